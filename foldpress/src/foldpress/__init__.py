"""foldpress: a static blog engine with an above-the-fold intro for every post."""
