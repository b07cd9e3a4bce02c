"""Normalization layers: Batch, Layer, Group, Unit and RMS normalization.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
