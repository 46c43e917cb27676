# Shared by bin/lab and bin/test: make sure .venv exists and holds this checkout's package.
# Sourced, not run. Sets ROOT and PY.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
EXTRAS="${GANKIT_EXTRAS:-cpu,test,jax}"

if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 was not found. Install Python 3.10-3.12 and run this command again." >&2
  exit 1
fi
if [ ! -x "$PY" ]; then
  echo "Creating the course's virtual environment in $VENV (first run only) ..."
  python3 -m venv "$VENV" || { echo "python3 -m venv failed; on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
fi
# Reinstall when pyproject.toml changed since the last install (a stamp file remembers its hash).
stamp="$VENV/.gankit-installed"
want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-$EXTRAS"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing the course packages into $VENV (a few minutes the first time) ..."
  "$PY" -m pip install --quiet --upgrade pip
  "$PY" -m pip install --quiet -e "$ROOT[$EXTRAS]"
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
# Offline copies of the datasets, where this checkout sits beside them (tests and CI); otherwise
# gankit downloads each dataset once and checks its sha256.
if [ -z "${GANKIT_DATA:-}" ] && [ -d "$ROOT/../shared/datasets" ]; then
  export GANKIT_DATA="$(cd "$ROOT/../shared/datasets" && pwd)"
fi
