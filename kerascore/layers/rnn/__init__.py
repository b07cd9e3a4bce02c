"""Recurrent layers: RNN and its cells, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed.

Import layers from `kerascore.layers`; each module here holds one of them.
"""
