# Shared by bin/lab and bin/test: make sure .venv exists and holds this checkout's package.
# Sourced, not run. Sets ROOT, VENV and PY. Uses only what stock Linux and macOS have.
#   GANKIT_EXTRAS   the extras to install (bin/lab: cpu,lab; bin/test: all of them)
#   GANKIT_PYTHON   the interpreter to build .venv with (default: the newest supported one found)
#   GANKIT_NEWEST=1 install the newest releases instead of the tested ones in requirements/
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
EXTRAS="${GANKIT_EXTRAS:-cpu,lab}"
SUPPORTED="3.10 3.11 3.12"

_minor() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true; }
_supported() { case " $SUPPORTED " in *" $1 "*) return 0 ;; esac; return 1; }

if [ ! -x "$PY" ]; then
  base=""
  for candidate in ${GANKIT_PYTHON:-python3.12 python3.11 python3.10 python3}; do
    path="$(command -v "$candidate" 2>/dev/null || true)"
    [ -n "$path" ] || continue
    if _supported "$(_minor "$path")"; then base="$path"; break; fi
  done
  if [ -z "$base" ]; then
    echo "No supported Python found (the course needs one of: $SUPPORTED)." >&2
    echo "Install one (e.g. from python.org, or: apt-get install python3.12-venv), or name it: GANKIT_PYTHON=/path/to/python3.12 $0" >&2
    exit 1
  fi
  echo "Creating the course's virtual environment in $VENV with Python $(_minor "$base") ($base) ..."
  "$base" -m venv "$VENV" || { echo "$base -m venv failed; on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
fi
version="$(_minor "$PY")"
if ! _supported "$version"; then
  echo "$VENV uses Python $version, which the course does not support ($SUPPORTED). Fix: delete $VENV and run this again." >&2
  exit 1
fi

# The tested versions of every package, one lock file per Python (refresh: bin/lock).
LOCK="$ROOT/requirements/lock-py${version/./}.txt"
constraints=()
if [ "${GANKIT_NEWEST:-}" = "1" ]; then
  mode="newest"
elif [ -f "$LOCK" ]; then
  mode="lock"; constraints=(--constraint "$LOCK")
else
  mode="newest"; echo "warning: no $LOCK for Python $version; installing the newest releases, which CI did not test." >&2
fi
# Reinstall when pyproject.toml or the lock file changed since the last install of these extras.
stamp="$VENV/.gankit-installed-${EXTRAS//,/-}"
want="$("$PY" -c '
import hashlib, pathlib, sys
digest = hashlib.sha256(sys.argv[3].encode())
for name in sys.argv[1:3]:
    path = pathlib.Path(name)
    digest.update(path.read_bytes() if path.is_file() else b"-")
print(digest.hexdigest()[:16])
' "$ROOT/pyproject.toml" "$LOCK" "$mode")"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing the course packages ($EXTRAS, $mode versions) into $VENV with Python $version (a few minutes the first time) ..."
  upgrade=(); [ "$mode" = "newest" ] && upgrade=(--upgrade --upgrade-strategy eager)
  "$PY" -m pip install --quiet --disable-pip-version-check ${constraints[@]+"${constraints[@]}"} ${upgrade[@]+"${upgrade[@]}"} -e "$ROOT[$EXTRAS]"
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
# Offline copies of the datasets, where this checkout sits beside them (tests and CI); otherwise
# gankit downloads each dataset once and checks its sha256.
if [ -z "${GANKIT_DATA:-}" ] && [ -d "$ROOT/../shared/datasets" ]; then
  export GANKIT_DATA="$(cd "$ROOT/../shared/datasets" && pwd)"
fi
