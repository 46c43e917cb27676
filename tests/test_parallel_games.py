"""Several devices: each image-to-image game takes one step on 2 simulated JAX devices, with its full batch logic.

XLA fixes the device count when JAX starts, so the steps run in a subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``. For CycleGAN (03), pix2pix (04)
and the conditional GAN (05) the subprocess reads the batch of the notebook's ``full``
profile (:func:`gankit.profiles.notebook_profile`): ``use_all_devices`` must refuse a
global batch the two devices cannot share (the papers' batch of 1) at once, with a message
that names the fix, and the batch it suggests must then train one step on both devices.
The models are built at reduced size; the batch logic is the full profile's.
"""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # a JAX subprocess that compiles three games

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent('''
    import json, re, sys
    import jax, keras, numpy as np
    from gankit import conditional, cyclegan, pix2pix, steps
    from gankit.profiles import notebook_profile

    root = sys.argv[1]
    assert len(jax.devices()) == 2, jax.devices()
    full = {"cyclegan": notebook_profile(root + "/solutions/03_cyclegan/03_cyclegan.ipynb")["batch_size"],
            "pix2pix": notebook_profile(root + "/solutions/04_pix2pix/04_pix2pix.ipynb")["batch_size"],
            "conditional": notebook_profile(root + "/solutions/05_capstone/05_capstone.ipynb")["gan_batch"]}

    def build(name):
        keras.utils.set_random_seed(0)
        if name == "cyclegan":
            gan = cyclegan.CycleGAN(image_size=16, width=4, blocks=1, d_width=4, d_layers=2, pool_size=3, seed=1)
            gan.compile(cyclegan.adam(10), cyclegan.adam(10), cyclegan.adam(10))
            return gan, lambda n: (np.full((n, 16, 16, 3), 0.1, "float32"), np.full((n, 16, 16, 3), -0.1, "float32"))
        if name == "pix2pix":
            gan = pix2pix.Pix2Pix(16, levels=3, width=4, d_width=4, d_layers=2)
            gan.compile(pix2pix.adam(), pix2pix.adam())
            return gan, lambda n: (np.full((n, 16, 16, 3), 0.1, "float32"), np.full((n, 16, 16, 3), -0.1, "float32"))
        gan = conditional.ConditionalGAN(conditional.conditional_generator(8), conditional.conditional_discriminator(),
                                         8, seed=1)
        gan.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5))
        return gan, lambda n: (np.zeros((n, 28, 28, 1), "float32"), (np.arange(n) % 10).astype("int32"))

    report = {}
    for name, batch in full.items():
        row = {"full_batch": batch}
        try:
            steps.use_all_devices(batch)
            row["refused"] = None
        except ValueError as error:
            row["refused"] = str(error)
            batch = int(re.search(r"Fix: set \\w+=(\\d+)", str(error)).group(1))  # what the message says to set
            steps.use_all_devices(batch)
        gan, data = build(name)
        x, y = data(batch)
        logs = gan.fit(x, y, batch_size=batch, epochs=1, verbose=0).history
        row["batch"] = batch
        row["devices"] = len(gan.trainable_variables[0].value.sharding.device_set)
        row["finite"] = all(np.isfinite(v[-1]) for v in logs.values())
        row["steps"] = int(max(int(p.optimizer.iterations) for p in gan.players()))
        report[name] = row
        keras.distribution.set_distribution(None)
    print(json.dumps(report))
''')


def test_each_image_to_image_game_steps_on_two_devices_with_its_full_batch_logic():
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT)], env=env, capture_output=True, text=True,
                         timeout=1500)  # compiling three games under JAX: minutes on a busy 2-core machine
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(report) == {"cyclegan", "pix2pix", "conditional"}
    for name, row in report.items():
        if row["full_batch"] % 2:
            assert row["refused"] and "multiple of 2" in row["refused"] and "Fix:" in row["refused"], row
            assert row["batch"] == 2, row  # one image per device: the papers' batch of 1, per device
        else:
            assert row["refused"] is None and row["batch"] == row["full_batch"], row
        assert row["devices"] == 2 and row["finite"] and row["steps"] == 1, (name, row)
    # the papers' batches: CycleGAN 1 (refused on 2 devices, then one image each), pix2pix's edges2shoes 4
    assert report["cyclegan"]["full_batch"] == 1 and report["pix2pix"]["full_batch"] == 4
