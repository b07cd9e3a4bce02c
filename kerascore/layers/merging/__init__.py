"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
