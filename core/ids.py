"""Opaque, prefixed public identifiers (`conv_…`, `msg_…`, `act_…`): never sequential."""

import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, length: int = 20) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_token() -> str:
    return secrets.token_urlsafe(32)
