"""gankit: the helper package of the GAN course.

The notebooks teach; this package holds what they share. Modules:

* ``gankit.data``      -- datasets: registry, checksummed downloads, loaders
* ``gankit.download``  -- downloads from several sources: checksums, resumption, safe unpacking
* ``gankit.images``    -- image folders (unpaired, paired, any), decode-once cache, jittered batches
* ``gankit.profiles``  -- smoke / standard / full run profiles
* ``gankit.seeding``   -- seed everything in one call
* ``gankit.plots``     -- image grids, loss curves, GIFs
* ``gankit.progress``  -- steps done and time left, for downloads, training and measuring loops
* ``gankit.checks``    -- exercise checks with plain-word failures
* ``gankit.judge``     -- the MNIST judge that scores generated digits
* ``gankit.toy``       -- the 1-D toy GAN of notebook 00
* ``gankit.models``    -- reference DCGAN builders (MNIST sizes, and any power-of-two size)
* ``gankit.steps``     -- the one training step (TensorFlow, JAX) and games of several players
* ``gankit.trainer``   -- the fused GAN trainer with resume
* ``gankit.utils``     -- small shared helpers (``to_numpy``)
* ``gankit.callbacks`` -- sample grids, loss history, GIFs; checkpoints and saved generators for every game
* ``gankit.metrics``   -- Frechet distance, KID, precision and recall in the judge's features; mode coverage
* ``gankit.blocks``    -- image-to-image blocks: instance norm, ResNet generator, PatchGAN, U-Net
* ``gankit.cyclegan``  -- CycleGAN (notebook 03): LSGAN, cycle and identity losses, image pool
* ``gankit.pix2pix``   -- pix2pix (notebook 04): conditional discriminator, GAN + L1
* ``gankit.quality``   -- image measures: L1, PSNR, SSIM, sharpness
* ``gankit.style``     -- the Monet style judge of notebook 03, checked on known cases first
* ``gankit.conditional`` -- the class-conditional DCGAN of notebook 05
* ``gankit.capstone``  -- notebook 05's study: small labelled set, mixing, augmentation, sweep
* ``gankit.stable``    -- notebook 06: Wasserstein, gradient-penalty and hinge losses, critic turns (``CriticGAN``)
* ``gankit.augment``   -- DiffAugment: colour, translation and cutout that gradients pass through
* ``gankit.ring``      -- the ring of 8 Gaussians: modes covered, high-quality share; ``python -m gankit.ring``
* ``gankit.stable_study`` -- notebook 06's study: ring runs, the discriminator race, equal wall time, overfitting gap
* ``gankit.exercises`` -- the visible checks of each notebook's exercises
* ``gankit.bench``     -- ``python -m gankit.bench``: fused vs toggling speed, time to quality
* ``gankit.fullshape`` -- ``python -m gankit.bench fullshape``: each notebook's full settings on CPU
* ``gankit.run``       -- ``python -m gankit.run``: the notebooks under a profile, held to ``bars.yaml``
"""

__version__ = "0.1.0"
