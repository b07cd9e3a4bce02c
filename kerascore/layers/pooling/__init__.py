"""Pooling layers: max and average pooling, local and global, in 1D, 2D and 3D.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
