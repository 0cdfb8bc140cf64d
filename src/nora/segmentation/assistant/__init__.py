"""The segmentation assistant: interactive 3D segmentation by points, scribbles, boxes, lassos and masks.

Sessions (one per user, ROI and image) live in the server process (:mod:`.sessions`), hold the image and
the interactions, and hand them to a backend (:mod:`.backends`: built-in, patchwork, nnInteractive remote).
See docs/segmentation-assistant.md.
"""
