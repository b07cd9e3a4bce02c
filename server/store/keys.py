"""API keys: creation and lookup. Only the sha256 hash of a key is ever stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.store.db import ApiKey, Tenant, utcnow

KEY_PREFIX = "horn_"


def hash_api_key(key: str) -> str:
    """Returns the hex sha256 of an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def get_or_create_tenant(session: Session, tenant_name: str) -> Tenant:
    """Returns the tenant named `tenant_name`, creating it if needed (the caller commits)."""
    name = tenant_name.strip()
    if not name:
        raise ValueError(f"Expected a non-empty tenant name. Received: {tenant_name!r}")
    tenant = session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        tenant = Tenant(name=name)
        session.add(tenant)
        session.flush()
    return tenant


def create_api_key(
    session: Session, tenant_name: str, key: str | None = None, name: str | None = None
) -> str:
    """Creates an API key for a tenant (created if missing) and returns it in plain text.

    The plain key is shown once: only its hash is stored. The caller commits.

    Args:
        session: the database session.
        tenant_name: name of the tenant the key belongs to.
        key: the key to store (e.g. `HORN_BOOTSTRAP_API_KEY`); a new random one if None.
        name: optional label of the key.

    Returns:
        The plain-text API key.
    """
    tenant = get_or_create_tenant(session, tenant_name)
    plain = key if key is not None else KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(tenant_id=tenant.id, key_hash=hash_api_key(plain), prefix=plain[:12], name=name)
    )
    session.flush()
    return plain


def ensure_api_key(session: Session, tenant_name: str, key: str) -> None:
    """Stores `key` for `tenant_name` unless a key with the same hash exists (the caller commits).

    Raises:
        ValueError: if the key exists but belongs to another tenant or was revoked.
    """
    existing = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if existing is None:
        create_api_key(session, tenant_name, key=key, name="bootstrap")
        return
    tenant = session.get(Tenant, existing.tenant_id)
    if tenant is None or tenant.name != tenant_name or existing.revoked_at is not None:
        raise ValueError(
            f"The bootstrap API key exists but is revoked or belongs to another tenant than "
            f"{tenant_name!r}. Set another HORN_BOOTSTRAP_API_KEY or HORN_BOOTSTRAP_TENANT."
        )


def authenticate(session: Session, key: str) -> Tenant | None:
    """Returns the tenant of a valid, unrevoked API key, or None."""
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if api_key is None or api_key.revoked_at is not None:
        return None
    return session.get(Tenant, api_key.tenant_id)


def revoke_api_key(session: Session, key: str) -> bool:
    """Revokes an API key given in plain text; returns whether an active key was revoked."""
    api_key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    if api_key is None or api_key.revoked_at is not None:
        return False
    api_key.revoked_at = utcnow()
    return True


def list_api_keys(session: Session, tenant_name: str | None = None) -> list[tuple[ApiKey, Tenant]]:
    """Returns every API key (only a tenant's with `tenant_name`) with its tenant, oldest first."""
    query = select(ApiKey, Tenant).join(Tenant, Tenant.id == ApiKey.tenant_id)
    if tenant_name is not None:
        query = query.where(Tenant.name == tenant_name.strip())
    return [(key, tenant) for key, tenant in session.execute(query.order_by(ApiKey.created_at))]


def revoke_api_key_by_id(session: Session, key_id_or_prefix: str) -> ApiKey:
    """Revokes the API key with this id (`key_...`) or display prefix; the caller commits.

    Returns:
        The revoked key (already revoked keys are returned unchanged).

    Raises:
        ValueError: when no key, or more than one, matches.
    """
    value = key_id_or_prefix.strip()
    matches = list(
        session.scalars(select(ApiKey).where((ApiKey.id == value) | (ApiKey.prefix == value)))
    )
    if len(matches) != 1:
        problem = "No API key has" if not matches else f"{len(matches)} API keys have"
        raise ValueError(
            f"{problem} the id or prefix {value!r}. List them with `horn keys list` and give "
            "the id (key_...)."
        )
    api_key = matches[0]
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
    return api_key
