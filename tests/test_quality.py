"""Image quality measures: known values, and a blur that each measure notices."""

import numpy as np
import pytest
from PIL import Image, ImageFilter

from gankit import quality


def photos(n=4, size=32, seed=0):
    """Smooth random scenes with edges: a few blurred noise fields plus a sharp step."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(-1, 1, (n, size // 4, size // 4, 3))
    smooth = np.repeat(np.repeat(coarse, 4, axis=1), 4, axis=2)
    fine = rng.uniform(-0.3, 0.3, (n, size, size, 3))
    return np.clip(0.6 * smooth + fine, -1, 1)


def blur(images, radius=1.5):
    out = []
    for image in images:
        pixels = np.round((image + 1) * 127.5).astype(np.uint8)
        blurred = Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(radius))
        out.append(np.asarray(blurred, np.float64) / 127.5 - 1)
    return np.stack(out)


def brute_force_ssim(x, y, c1=(0.01 * 2) ** 2, c2=(0.03 * 2) ** 2, radius=5, sigma=1.5):
    """SSIM of two planes, one window at a time, with an explicit 2-D Gaussian window."""
    t = np.arange(-radius, radius + 1)
    w = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma ** 2))
    w /= w.sum()
    k = 2 * radius + 1
    values = []
    for i in range(x.shape[0] - k + 1):
        for j in range(x.shape[1] - k + 1):
            px, py = x[i:i + k, j:j + k], y[i:i + k, j:j + k]
            mx, my = (w * px).sum(), (w * py).sum()
            vx, vy = (w * px * px).sum() - mx ** 2, (w * py * py).sum() - my ** 2
            cov = (w * px * py).sum() - mx * my
            values.append((2 * mx * my + c1) * (2 * cov + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2)))
    return float(np.mean(values))


def test_identical_images():
    a = photos()
    assert quality.l1(a, a) == 0.0
    assert quality.psnr(a, a) == np.inf
    assert quality.ssim(a, a) == pytest.approx(1.0)
    assert quality.ssim(a, a, channels=True) == pytest.approx(1.0)


def test_constant_shift_known_values():
    a = np.zeros((2, 16, 16, 3))
    b = a + 0.2
    assert quality.l1(a, b) == pytest.approx(0.2)
    assert quality.psnr(a, b) == pytest.approx(10 * np.log10(4 / 0.04))  # 20 dB
    # flat images: no structure term, only the luminance term (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1)
    c1 = (0.01 * 2) ** 2
    assert quality.ssim(a, b) == pytest.approx(c1 / (0.2 ** 2 + c1))
    assert quality.ssim(a + 0.5, b + 0.5) == pytest.approx((2 * 0.5 * 0.7 + c1) / (0.5 ** 2 + 0.7 ** 2 + c1))


def test_ssim_matches_a_window_by_window_computation():
    a = photos(2, 16, seed=1)
    b = np.clip(a + np.random.default_rng(2).normal(0, 0.2, a.shape), -1, 1)
    expected = [brute_force_ssim(quality.luminance(a)[i], quality.luminance(b)[i]) for i in range(2)]
    assert quality.ssim(a, b, per_image=True) == pytest.approx(expected, rel=1e-9)
    assert quality.ssim(a, b) == pytest.approx(np.mean(expected))


def test_per_image_values_average_to_the_mean():
    a, b = photos(seed=3), photos(seed=4)
    for measure in (quality.l1, quality.psnr, quality.ssim):
        values = measure(a, b, per_image=True)
        assert values.shape == (4,) and measure(a, b) == pytest.approx(values.mean())
    assert quality.sharpness(a, per_image=True).shape == (4,)


def test_blur_lowers_ssim_sharpness_and_psnr():
    a = photos(size=64)
    slightly, strongly = blur(a, 0.7), blur(a, 2.0)
    assert 1.0 > quality.ssim(a, slightly) > quality.ssim(a, strongly)
    assert quality.psnr(a, slightly) > quality.psnr(a, strongly)
    assert quality.sharpness(a) > quality.sharpness(slightly) > quality.sharpness(strongly)
    assert quality.sharpness_ratio(strongly, a) < 0.6 < quality.sharpness_ratio(a, a) == pytest.approx(1.0)


def test_sharpness_known_value_and_ratio_resizes_the_reference():
    ramp = np.tile(np.linspace(-1, 1, 21)[None, :], (21, 1))  # +0.1 per pixel to the right
    image = np.repeat(ramp[None, ..., None], 3, axis=-1)
    assert quality.sharpness(image) == pytest.approx(0.1)
    a = photos(size=64)
    assert quality.sharpness_ratio(quality.resize(a, 32), a) == pytest.approx(1.0)


def test_luminance_weights_and_grey_images():
    pixel = np.array([0.5, -0.5, 1.0]).reshape(1, 1, 1, 3)
    assert quality.luminance(pixel)[0, 0, 0] == pytest.approx(0.299 * 0.5 - 0.587 * 0.5 + 0.114)
    grey = photos()[..., :1]
    assert quality.luminance(grey) == pytest.approx(grey[..., 0])


def test_bad_input_gets_a_clear_message():
    a = photos()
    with pytest.raises(ValueError, match=r"\[-1, 1\].*127.5"):
        quality.l1((a + 1) * 127.5, a)
    with pytest.raises(ValueError, match="same shape"):
        quality.ssim(a, a[:, :16, :16])
    with pytest.raises(ValueError, match="NHWC"):
        quality.sharpness(np.zeros((2, 3, 8, 8)))


def test_backend_tensors_are_accepted():
    import keras

    a = photos(2, 16)
    tensor = keras.ops.convert_to_tensor(a.astype("float32"))
    assert quality.ssim(tensor, a) == pytest.approx(1.0, abs=1e-6)
