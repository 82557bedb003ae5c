"""Password hashing with argon2id (argon2-cffi): salted, slow on purpose, never stored in plain."""

from __future__ import annotations

import functools

MIN_LENGTH = 8
MAX_LENGTH = 1024


@functools.cache
def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (``$argon2id$v=19$m=...``; a fresh random salt each time)."""
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False for a wrong password or a malformed hash."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so that case takes as long as a wrong password."""
    return hash_password("not-a-real-password-0")
