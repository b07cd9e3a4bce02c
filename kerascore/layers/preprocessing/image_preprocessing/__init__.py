"""Image preprocessing layers: resizing, cropping and random augmentations."""
