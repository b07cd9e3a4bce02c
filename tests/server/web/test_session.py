"""The web page's session cookie: sign in, who is signed in, CSRF protection, sign out."""

from __future__ import annotations

import pytest

from server.api.sessions import CSRF_HEADER, SESSION_COOKIE

BASE = "http://testserver"


@pytest.fixture
def api_key(auth) -> str:
    """The bootstrap tenant's API key."""
    return auth["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def signed_in(client, api_key):
    """The client signed in with the bootstrap key; returns the session body."""
    response = client.post("/v1/session", json={"api_key": api_key})
    assert response.status_code == 200, response.text
    return response.json()


def test_sign_in_sets_a_strict_http_only_cookie(client, api_key):
    response = client.post("/v1/session", json={"api_key": api_key})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["authenticated"] is True
    assert body["tenant"]["name"] == "default"
    assert body["csrf_token"] and body["csrf_header"] == CSRF_HEADER
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered
    assert api_key not in cookie
    assert client.get("/v1/session").json()["tenant"]["name"] == "default"
    assert client.get("/v1/jobs").status_code == 200


def test_wrong_key_is_refused_and_sets_no_cookie(client):
    response = client.post("/v1/session", json={"api_key": "horn_wrong"})
    assert response.status_code == 401
    assert "Invalid or revoked API key" in response.json()["error"]["message"]
    assert "set-cookie" not in response.headers
    assert client.get("/v1/session").json() == {
        "authenticated": False,
        "tenant": None,
        "key_prefix": None,
        "expires_at": None,
        "csrf_token": None,
        "csrf_header": CSRF_HEADER,
    }
    assert client.get("/v1/jobs").status_code == 401


def test_cookie_changes_need_the_csrf_header(client, signed_in):
    files = {"file": ("m.py", b"def build_model(hparams):\n    return None\n")}
    missing = client.post("/v1/models", files=files)
    assert missing.status_code == 403
    assert missing.json()["error"]["code"] == "csrf_failed"
    wrong = client.post("/v1/models", files=files, headers={CSRF_HEADER: "nope"})
    assert wrong.status_code == 403
    good = client.post("/v1/models", files=files, headers={CSRF_HEADER: signed_in["csrf_token"]})
    assert good.status_code == 201, good.text
    cross = client.delete(
        f"/v1/models/{good.json()['id']}",
        headers={CSRF_HEADER: signed_in["csrf_token"], "Origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert cross.json()["error"]["code"] == "cross_origin_request"
    same = client.delete(
        f"/v1/models/{good.json()['id']}",
        headers={CSRF_HEADER: signed_in["csrf_token"], "Origin": BASE},
    )
    assert same.status_code == 204


def test_bearer_wins_over_the_cookie_and_needs_no_csrf(client, signed_in, auth):
    files = {"file": ("m.py", b"def build_model(hparams):\n    return None\n")}
    assert client.post("/v1/models", files=files, headers=auth).status_code == 201
    bad_bearer = client.get("/v1/jobs", headers={"Authorization": "Bearer horn_wrong"})
    assert bad_bearer.status_code == 401


def test_forged_cookie_is_refused(client, signed_in):
    value = client.cookies[SESSION_COOKIE]
    key_id, expires, nonce, signature = value.split(".")
    client.cookies.set(SESSION_COOKIE, f"{key_id}.{int(expires) + 3600}.{nonce}.{signature}")
    assert client.get("/v1/jobs").status_code == 401
    assert client.get("/v1/session").json()["authenticated"] is False


def test_malformed_cookie_and_origin_answer_4xx_not_500(client, signed_in):
    value = client.cookies[SESSION_COOKIE]
    key_id, expires, nonce, signature = value.split(".")
    client.cookies.clear()
    # Cookie bytes outside ASCII reach the app decoded as Latin-1 ("\xb2" is the digit "²").
    for raw in (f"{key_id}.{expires}.{nonce}.{signature}\xe9", f"{key_id}.\xb2.{nonce}.x"):
        cookie = f"{SESSION_COOKIE}={raw}".encode("latin-1")
        assert client.get("/v1/jobs", headers={"Cookie": cookie}).status_code == 401
        assert client.get("/v1/session", headers={"Cookie": cookie}).json() == {
            "authenticated": False,
            "tenant": None,
            "key_prefix": None,
            "expires_at": None,
            "csrf_token": None,
            "csrf_header": CSRF_HEADER,
        }
    bad_origin = client.post(
        "/v1/session", json={"api_key": "horn_x"}, headers={"Origin": "http://[::1"}
    )
    assert bad_origin.status_code == 403
    assert bad_origin.json()["error"]["code"] == "cross_origin_request"


def test_sign_out_ends_the_session(client, signed_in):
    value = client.cookies[SESSION_COOKIE]
    assert client.delete("/v1/session").status_code == 403
    response = client.delete("/v1/session", headers={CSRF_HEADER: signed_in["csrf_token"]})
    assert response.status_code == 204
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, value)
    assert client.get("/v1/jobs").status_code == 401


def test_revoking_the_key_ends_its_sessions(client, app):
    from server.store.db import session_scope
    from server.store.keys import create_api_key, revoke_api_key

    with session_scope(app.state.sessions) as session:
        key = create_api_key(session, "other")
    assert client.post("/v1/session", json={"api_key": key}).status_code == 200
    assert client.get("/v1/jobs").status_code == 200
    with session_scope(app.state.sessions) as session:
        assert revoke_api_key(session, key)
    assert client.get("/v1/jobs").status_code == 401
    assert client.get("/v1/session").json()["authenticated"] is False


def test_the_secret_is_shared_through_the_data_dir(settings, client, signed_in):
    from fastapi.testclient import TestClient

    from server.api.app import create_app

    secret = settings.data_dir / "session-secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    with TestClient(create_app(settings)) as second:
        second.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
        assert second.get("/v1/jobs").status_code == 200
