"""Activation layers: Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
