"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, cropping, padding, upsampling.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
