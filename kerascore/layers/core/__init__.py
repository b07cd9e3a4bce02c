"""Core layers: Dense, Embedding, Input, Lambda, Identity, Masking.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
