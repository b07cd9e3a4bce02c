"""Horn's workers: the Celery app, the train task, the sandboxed runner and the predictor."""
