"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
