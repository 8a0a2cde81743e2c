from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.personas import Cast

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["tests.fixtures.browser", "tests.fixtures.processes"]


@pytest.fixture
def cast(db: None) -> Cast:
    from tests.personas import make_cast

    return make_cast()
