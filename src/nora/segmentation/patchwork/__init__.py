"""Deep Neural Patchworks (Reisert et al. 2022) in PyTorch: patch trees, networks, training and apply.

Every module of this package imports torch; only the segmentation jobs (and tests, benchmarks) import it.
"""
