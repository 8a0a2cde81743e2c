"""Fixtures of the analytics tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analytics.sending import enqueued, send

__all__ = ["enqueued", "send"]


@pytest.fixture(autouse=True)
def quick_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
