"""Tests for RemoteMonitor against a local http.server, beside Keras 3's."""

import http.server
import json
import threading
import urllib.parse
import warnings

import keras
import numpy as np
import pytest

import kerascore


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.server.received.append(
            {
                "path": self.path,
                "content_type": self.headers["Content-Type"],
                "token": self.headers.get("X-Token"),
                "body": self.rfile.read(length).decode("utf-8"),
            }
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), RecordingHandler)
    httpd.received = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def root_of(server):
    return f"http://127.0.0.1:{server.server_address[1]}"


def train(library, callback, epochs=3):
    library.utils.set_random_seed(0)
    x = np.linspace(-1, 1, 64, dtype="float32").reshape(32, 2)
    y = x.sum(axis=1, keepdims=True)
    model = library.Sequential([library.Input((2,)), library.layers.Dense(1)])
    model.compile(optimizer=library.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[callback])


def test_posts_each_epochs_logs_as_json(server):
    monitor = kerascore.callbacks.RemoteMonitor(
        root=root_of(server), path="/epochs", send_as_json=True, headers={"X-Token": "abc"}
    )
    history = train(kerascore, monitor)
    assert len(server.received) == 3
    for epoch, request in enumerate(server.received):
        assert request["path"] == "/epochs"
        assert request["content_type"] == "application/json"
        assert request["token"] == "abc"
        body = json.loads(request["body"])
        assert set(body) == {"epoch", "loss", "mae"}
        assert body["epoch"] == epoch
        assert body["loss"] == pytest.approx(history.history["loss"][epoch], rel=1e-6)
        assert body["mae"] == pytest.approx(history.history["mae"][epoch], rel=1e-6)


def test_form_encoded_body_matches_keras(server):
    for library in (kerascore, keras):
        monitor = library.callbacks.RemoteMonitor(root=root_of(server), field="logs")
        train(library, monitor, epochs=1)
    ours, theirs = server.received
    assert ours["path"] == theirs["path"] == "/publish/epoch/end/"
    assert ours["content_type"] == theirs["content_type"] == "application/x-www-form-urlencoded"
    our_fields = urllib.parse.parse_qs(ours["body"])
    their_fields = urllib.parse.parse_qs(theirs["body"])
    assert set(our_fields) == set(their_fields) == {"logs"}
    our_logs = json.loads(our_fields["logs"][0])
    their_logs = json.loads(their_fields["logs"][0])
    assert set(our_logs) == set(their_logs) == {"epoch", "loss", "mae"}
    assert our_logs["epoch"] == their_logs["epoch"] == 0


def test_numpy_values_become_plain_numbers(server):
    monitor = kerascore.callbacks.RemoteMonitor(root=root_of(server), send_as_json=True)
    monitor.on_epoch_end(4, {"loss": np.float32(0.5), "lr": np.array(0.01)})
    assert json.loads(server.received[0]["body"]) == {
        "epoch": 4,
        "loss": 0.5,
        "lr": pytest.approx(0.01),
    }


def test_an_unreachable_server_warns_and_training_goes_on(server):
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    monitor = kerascore.callbacks.RemoteMonitor(root=f"http://127.0.0.1:{port}", timeout=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = train(kerascore, monitor, epochs=2)
    assert len(history.history["loss"]) == 2
    messages = [str(warning.message) for warning in caught]
    assert sum("Could not reach RemoteMonitor" in message for message in messages) == 2


def test_root_must_be_an_http_url():
    with pytest.raises(ValueError, match="root='localhost:9000'"):
        kerascore.callbacks.RemoteMonitor(root="localhost:9000")
