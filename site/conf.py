"""Sphinx configuration of the course website (copied into build/site/src by bin/site).

The pages are assembled by site/build_site.py; nothing is executed here (nb_execution_mode).
"""

import json
import pathlib

_site = json.loads((pathlib.Path(__file__).parent / "site.json").read_text(encoding="utf-8"))
_location = _site["location"]

project = "Generative Adversarial Networks, hands on"
author = "The GAN course authors"
copyright = "the GAN course authors; code MIT, text and figures CC BY 4.0"
release = _location["tag"]

extensions = ["myst_nb"]
nb_execution_mode = "off"  # the pages show the runner's outputs; the build never runs a notebook
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "**.ipynb_checkpoints", "site.json"]
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "misc.highlighting_failure"]

html_theme = "sphinx_book_theme"
html_title = "GANs, hands on"
html_static_path = ["_static"]
html_copy_source = False  # the page is the source; no second copy to download
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "repository_url": _location["repository"],
    "repository_branch": _location["tag"],
    "use_repository_button": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "extra_footer": (f"Code: MIT licence. Text and figures: CC BY 4.0. Built from release "
                     f"{_location['tag']} of {_location['repository']}."),
}
