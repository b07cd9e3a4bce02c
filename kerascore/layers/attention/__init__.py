"""Attention layers: Attention, AdditiveAttention, MultiHeadAttention.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
