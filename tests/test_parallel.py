"""The fused step on many devices: keras.distribution.DataParallel on JAX, two simulated CPU devices.

XLA fixes the device count when JAX starts, so the step runs in a subprocess with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``. It trains one GAN step on one
device and one on both (the global batch split between them) and the weights must agree.
The generator has batch norm, whose statistics must then be taken over the whole batch (and
no bias before it: that bias's gradient is zero up to round-off, which Adam would magnify);
the discriminator has dropout, whose masks must not depend on how the batch is split.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # a JAX subprocess that compiles the step twice

SCRIPT = textwrap.dedent('''
    import json, sys
    import jax, keras, numpy as np
    from keras import layers
    from gankit import steps, trainer

    def one_step(parallel):
        if parallel:
            assert steps.use_all_devices() == 2
        keras.utils.set_random_seed(0)
        generator = keras.Sequential([keras.Input((4,)), layers.Dense(16, use_bias=False), layers.BatchNormalization(),
                                      layers.ReLU(), layers.Dense(16, activation="tanh")], name="generator")
        discriminator = keras.Sequential([keras.Input((16,)), layers.Dense(16), layers.LeakyReLU(0.2),
                                          layers.Dropout(0.3), layers.Dense(1)], name="discriminator")
        gan = trainer.GAN(generator, discriminator, 4, seed=7, average_decay=0.9)
        gan.compile(keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5))
        images = np.random.default_rng(0).uniform(-1, 1, (16, 16)).astype("float32")
        logs = gan.fit(images, batch_size=16, epochs=1, shuffle=False, verbose=0).history
        devices = len(gan.generator.weights[0].value.sharding.device_set)
        state = [np.asarray(v.value) for v in gan.variables + gan.optimizer.variables]
        return state, {name: float(value[0]) for name, value in logs.items()}, devices

    assert len(jax.devices()) == 2, jax.devices()
    single, single_logs, single_devices = one_step(False)
    both, both_logs, both_devices = one_step(True)  # gankit.steps.use_all_devices: DataParallel
    np.savez(sys.argv[1], *(single + both))
    print(json.dumps({"devices": [single_devices, both_devices], "logs": [single_logs, both_logs],
                      "count": len(single)}))
''')


def test_data_parallel_step_on_two_devices_matches_one_device(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
           "JAX_PLATFORMS": "cpu"}
    out = tmp_path / "state.npz"
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["devices"] == [1, 2], "the DataParallel run did not place its weights on both devices"
    with np.load(out) as saved:
        arrays = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    count = report["count"]
    single, both = arrays[:count], arrays[count:]
    assert len(both) == count > 20
    for a, b in zip(single, both):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    one, two = report["logs"]
    for name in ("d_loss", "g_loss", "d_accuracy"):
        assert abs(one[name] - two[name]) < 1e-5, (name, one, two)
