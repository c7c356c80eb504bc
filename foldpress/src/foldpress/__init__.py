"""foldpress: a static blog engine with an above-the-fold intro for every post."""

__version__ = "0.1.0"
