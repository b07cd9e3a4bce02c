"""`python -m server.cli`: the `horn` command (how `horn up` starts its worker and serving)."""

from server.cli import app

app()
