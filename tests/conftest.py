from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import time_machine

if TYPE_CHECKING:
    from tests.personas import Cast

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["tests.fixtures.browser", "tests.fixtures.processes"]

FROZEN_NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # a Thursday, 16:00 in Shanghai


@pytest.fixture
def freeze_clock() -> Iterator[datetime]:
    """Start the clock at FROZEN_NOW: a test whose dates are written out reads the same on any day it runs."""
    with time_machine.travel(FROZEN_NOW, tick=True):
        yield FROZEN_NOW


@pytest.fixture(autouse=True)
def the_default_language() -> Iterator[None]:
    """Each test starts in the default language: a page a Chinese-speaking person opened in an earlier
    test leaves its language active in this thread, and translated labels would follow it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing() -> Iterator[None]:
    """Personas are created per test; the production hasher's cost would dominate the run, and no test is about it."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def cast(db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()
