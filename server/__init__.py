"""Horn: Keras-style training as a service (API, workers, store)."""
