"""The `horn` command: run the service or its parts, manage API keys, and drive a server.

Server side (`service.py`): `horn up`, `horn api`, `horn worker`, `horn serve`, `horn migrate`,
`horn keys create|list|revoke`, `horn tenants list|limit`, `horn secrets init` (`secrets.py`,
compose's first start).
Client side (`remote.py`; talks to `HORN_URL` with `HORN_API_KEY`, or the file `horn login`
writes): `horn datasets|models push|ls|rm`, `horn submit`, `horn jobs ls|show|cancel|logs`,
`horn watch`, `horn checkpoints ls|pull`, `horn predict`, `horn sweep submit|show|ls|cancel`.
Listings and `show` take `--json` (JSON on stdout only). Errors are one line on stderr
(`output.py`); exit status 1 for an error answer, 2 for a wrong argument, 3 when the server
cannot be reached, 4 when the key is refused, 5 when the resource does not exist.
"""

from __future__ import annotations

import typer

from server.cli import remote, secrets, service
from server.cli.service import bootstrap_api_key

__all__ = ["app", "bootstrap_api_key"]

app = typer.Typer(
    name="horn",
    help="Horn: Keras-style training as a service.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(service.keys_app, name="keys")
app.add_typer(service.tenants_app, name="tenants")
app.add_typer(secrets.secrets_app, name="secrets")
app.add_typer(remote.datasets_app, name="datasets")
app.add_typer(remote.models_app, name="models")
app.add_typer(remote.jobs_app, name="jobs")
app.add_typer(remote.checkpoints_app, name="checkpoints")
app.add_typer(remote.sweep_app, name="sweep")
for command in (
    service.migrate,
    service.api,
    service.worker,
    service.serve,
    service.up,
    remote.login,
    remote.submit,
    remote.watch,
    remote.predict,
):
    app.command()(command)
