"""Training internals: compile/fit/evaluate/predict, data adapters, compiled steps."""
