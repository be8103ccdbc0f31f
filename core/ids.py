"""Opaque, prefixed public identifiers (`conv_…`, `msg_…`, `act_…`): never sequential; and the
bearer tokens that open a conversation, stored only as their hash."""

import hashlib
import hmac
import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id(prefix: str, length: int = 20) -> str:
    """`prefix_` and `length` characters drawn uniformly from `_ALPHABET`: one draw of a number
    below 36**length written in base 36 (a draw per character read the system's random source
    each time, about 70 µs an id)."""
    number, chars = secrets.randbelow(len(_ALPHABET) ** length), []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return f"{prefix}_" + "".join(chars)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a token: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(*, stored_hash: str, token: str | None) -> bool:
    """Does `token` open what `stored_hash` guards? Constant-time; no token never matches."""
    return bool(token) and bool(stored_hash) and hmac.compare_digest(stored_hash, token_hash(token))
