"""Core layers: Dense, Embedding, Input, Lambda, Identity, Masking, and OpLayer (an op node).

Import layers from `kerascore.layers`; each module here holds one of them.
"""
