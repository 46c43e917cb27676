"""gankit: the helper package of the GAN course.

The notebooks teach; this package holds what they share. Modules:

* ``gankit.data``      -- datasets: registry, checksummed downloads, loaders
* ``gankit.download``  -- downloads from several sources: checksums, resumption, safe unpacking
* ``gankit.images``    -- image folders (unpaired, paired, any), decode-once cache, jittered batches
* ``gankit.profiles``  -- smoke / standard / full run profiles
* ``gankit.seeding``   -- seed everything in one call
* ``gankit.plots``     -- image grids, loss curves, GIFs
* ``gankit.progress``  -- a progress bar for training loops
* ``gankit.checks``    -- exercise checks with plain-word failures
* ``gankit.judge``     -- the MNIST judge that scores generated digits
* ``gankit.toy``       -- the 1-D toy GAN of notebook 00
* ``gankit.models``    -- reference DCGAN builders (CPU-sized and paper-sized)
* ``gankit.trainer``   -- the fused GAN trainer (TensorFlow, JAX, PyTorch) with resume
* ``gankit.callbacks`` -- sample grids, loss history, GIFs and checkpoints during training
* ``gankit.metrics``   -- Frechet distance in the judge's feature space, mode coverage
* ``gankit.bench``     -- ``python -m gankit.bench``: fused vs toggling speed, time to quality
"""

__version__ = "0.1.0"
