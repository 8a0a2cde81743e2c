"""Encrypting AccessKey secrets at rest with rotating Fernet keys.

`PUSHADMIN_ENCRYPTION_KEYS` lists keys newest first: new values are encrypted with the
first, any listed key decrypts, and `rotate` re-encrypts a token under the first key.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret was encrypted with a key that is no longer configured."""


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.PUSHADMIN_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return cipher().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("the stored secret cannot be decrypted with PUSHADMIN_ENCRYPTION_KEYS") from None


def rotate(token: str) -> str:
    try:
        return cipher().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("the stored secret cannot be decrypted with PUSHADMIN_ENCRYPTION_KEYS") from None
