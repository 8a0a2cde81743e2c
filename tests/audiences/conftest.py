from __future__ import annotations

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def quick_password_hashing() -> object:
    """The cast's seven passwords dominate setup time with production hashing; these tests are not about it."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield
