"""Regularization layers: dropouts, noise, activity regularization.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
