"""Browser sessions of the web page: a signed cookie standing in for the API key.

The cookie `horn_session` holds `<api key id>.<expiry>.<nonce>.<signature>`: no key, no key
hash. The signature is an HMAC-SHA256 with a secret kept in `<data_dir>/session-secret`
(created on first use, mode 600), so every API process on the same data dir accepts the same
cookies. Each request with the cookie re-checks the key (revoking it ends its sessions). The
CSRF token of a session is an HMAC of its nonce; the page sends it in `X-Horn-CSRF`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request

from server.api.errors import ApiError

SESSION_COOKIE = "horn_session"
CSRF_HEADER = "X-Horn-CSRF"
SESSION_TTL_S = 8 * 3600
SECRET_FILE = "session-secret"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class BrowserSession:
    """A verified session cookie: the API key row it stands for, its expiry and nonce."""

    key_id: str
    expires_at: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SessionSigner:
    """Issues and verifies session cookies and their CSRF tokens.

    Args:
        secret: the HMAC key (at least 32 bytes).
        ttl_s: how long a session lasts.
    """

    def __init__(self, secret: bytes, ttl_s: int = SESSION_TTL_S):
        if len(secret) < 32:
            raise ValueError(
                f"Expected a session secret of at least 32 bytes. Received: {len(secret)}"
            )
        self._secret = secret
        self.ttl_s = ttl_s
        self._signed_out: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> SessionSigner:
        """The signer whose secret is `<data_dir>/session-secret`, created if missing."""
        return cls(load_or_create_secret(Path(data_dir) / SECRET_FILE))

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, key_id: str) -> tuple[str, BrowserSession]:
        """Returns a new cookie value for API key `key_id` and the session it encodes."""
        session = BrowserSession(key_id, int(time.time()) + self.ttl_s, secrets.token_hex(16))
        payload = f"{session.key_id}.{session.expires_at}.{session.nonce}"
        return f"{payload}.{self._sign('session|' + payload)}", session

    def verify(self, value: str) -> BrowserSession | None:
        """The session of a cookie value, or None if it is forged, expired or signed out."""
        # A cookie header is decoded as Latin-1: non-ASCII bytes cannot be ours.
        parts = value.split(".") if value.isascii() else []
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        key_id, expires, nonce, signature = parts
        expected = self._sign(f"session|{key_id}.{expires}.{nonce}")
        if not hmac.compare_digest(signature, expected):
            return None
        if int(expires) <= time.time() or nonce in self._signed_out:
            return None
        return BrowserSession(key_id, int(expires), nonce)

    def csrf_token(self, session: BrowserSession) -> str:
        """The CSRF token of a session (the page sends it in `X-Horn-CSRF`)."""
        return self._sign(f"csrf|{session.nonce}")

    def sign_out(self, session: BrowserSession) -> None:
        """Refuses the session's cookie from now on in this process."""
        now = time.time()
        with self._lock:
            self._signed_out = {n: exp for n, exp in self._signed_out.items() if exp > now}
            self._signed_out[session.nonce] = session.expires_at


def load_or_create_secret(path: Path) -> bytes:
    """Reads the session secret at `path`, creating a random one (mode 600) if there is none.

    Written to a temporary name and then hard-linked into place, so API processes starting
    together agree on one secret.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode("ascii"))
        finally:
            os.close(fd)
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            temp.unlink()
    secret = path.read_bytes().strip()
    if len(secret) < 32:
        raise RuntimeError(
            f"The session secret {path} is shorter than 32 bytes ({len(secret)}). Delete it; "
            "a new one is created on the next request (signed-in browsers must sign in again)."
        )
    return secret


_signer_lock = threading.Lock()


def get_signer(request: Request) -> SessionSigner:
    """The app's session signer, created on first use."""
    state = request.app.state
    signer = getattr(state, "session_signer", None)
    if signer is None:
        with _signer_lock:
            signer = getattr(state, "session_signer", None)
            if signer is None:
                signer = SessionSigner.from_data_dir(state.settings.data_dir)
                state.session_signer = signer
    return signer


def check_same_origin(request: Request) -> None:
    """Refuses a request whose `Origin` (or, without one, `Referer`) is another site.

    Raises:
        ApiError: 403 `cross_origin_request`.
    """
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    source = origin if origin is not None else request.headers.get("referer")
    if source is None:
        return
    try:
        netloc = urlsplit(source).netloc
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        netloc = None
    if netloc != host or not host:
        raise ApiError(
            403,
            "cross_origin_request",
            f"Refused a request from another site: {'Origin' if origin else 'Referer'} "
            f"{source!r} does not match this server ({host!r}). Use the web page served by "
            "this server, or an API key in the Authorization header.",
            {"origin": source, "host": host},
        )


def check_csrf(request: Request, signer: SessionSigner, session: BrowserSession) -> None:
    """For a cookie-authenticated request that changes state: same origin and a valid
    `X-Horn-CSRF` header.

    Raises:
        ApiError: 403 `csrf_failed` or `cross_origin_request`.
    """
    if request.method not in UNSAFE_METHODS:
        return
    check_same_origin(request)
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent.encode(), signer.csrf_token(session).encode()):
        raise ApiError(
            403,
            "csrf_failed",
            f"A request signed in with the session cookie that changes something must carry "
            f"the {CSRF_HEADER} header from GET /v1/session "
            f"({'it was missing' if not sent else 'the one sent does not match the session'}). "
            "Scripts should send `Authorization: Bearer <api key>` instead.",
            {"header": CSRF_HEADER},
        )
