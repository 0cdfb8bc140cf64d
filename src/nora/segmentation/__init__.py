"""Deep-learning segmentation: patchwork training and apply jobs, models, the interactive assistant."""
