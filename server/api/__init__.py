"""Horn's HTTP API (FastAPI). Never imports TensorFlow."""
