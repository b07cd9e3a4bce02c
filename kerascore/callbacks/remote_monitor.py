"""`RemoteMonitor`: posts each epoch's logs to a server as JSON."""

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from kerascore.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """Sends the logs of every epoch to a server with an HTTP POST, as Keras's does.

    The body is `{"epoch": epoch, **logs}` as JSON: with `send_as_json=True` it is the
    request body (`Content-Type: application/json`); otherwise it is the form field `field`
    of a form-encoded body (`data=<json>`). A server that cannot be reached only warns;
    training goes on.

    Args:
        root: the server's root URL.
        path: the path the logs are posted to, appended to `root`.
        field: the form field that carries the JSON (with `send_as_json=False`).
        headers: extra HTTP headers, a dict.
        send_as_json: whether the body is the JSON itself.
        timeout: seconds to wait for the server on each post.

    Example:
        >>> monitor = RemoteMonitor(root="http://localhost:9000", send_as_json=True)
        >>> monitor.root + monitor.path
        'http://localhost:9000/publish/epoch/end/'
    """

    def __init__(
        self,
        root="http://localhost:9000",
        path="/publish/epoch/end/",
        field="data",
        headers=None,
        send_as_json=False,
        timeout=10.0,
    ):
        super().__init__()
        if not str(root).startswith(("http://", "https://")):
            raise ValueError(
                f"Expected root to be an http:// or https:// URL. Received: root={root!r}"
            )
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        payload = {"epoch": epoch}
        for key, value in (logs or {}).items():
            payload[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        if self.send_as_json:
            body = json.dumps(payload).encode("utf-8")
            content_type = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(payload)}).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.root + self.path,
            data=body,
            headers={"Content-Type": content_type, **(self.headers or {})},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
