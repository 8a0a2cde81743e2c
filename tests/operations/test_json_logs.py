"""LOG_FORMAT=json: one JSON object per line, with the request, workspace, campaign and batch ids known."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from pushadmin.operations import log_context
from pushadmin.operations.log_format import JsonFormatter
from tests.personas import Cast

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What the root logger writes, as the JSON handler of the settings formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(log_context.ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_carries_the_ids_bound_where_it_was_logged_and_an_exception_stays_on_it(json_log) -> None:
    logger = logging.getLogger("pushadmin.test")
    with log_context.bound(workspace_id=3, campaign_id=17):
        log_context.note(batch_id=99)
        try:
            raise ValueError("two\nlines")
        except ValueError:
            logger.exception("batch %s could not be prepared", 99)
    logger.warning("after the block")

    first, second = lines(json_log)
    assert first["message"] == "batch 99 could not be prepared" and first["level"] == "ERROR"
    assert (first["workspace_id"], first["campaign_id"], first["batch_id"]) == (3, 17, 99)
    assert first["exception_type"] == "ValueError" and "two\nlines" in first["exception"]
    assert "campaign_id" not in second and second["logger"] == "pushadmin.test"


@pytest.mark.django_db
def test_a_request_has_an_id_in_its_response_and_in_its_log_lines_with_its_workspace(cast: Cast, json_log) -> None:
    client = Client()
    client.force_login(cast.marketer)
    response = client.get(f"/w/{cast.workspace.pk}/campaigns/999999/", headers={"X-Request-ID": "lb-req-0042abcd"})

    assert response.status_code == 404 and response["X-Request-ID"] == "lb-req-0042abcd"
    (logged,) = [line for line in lines(json_log) if line["logger"] == "django.request"]
    assert logged["request_id"] == "lb-req-0042abcd" and logged["workspace_id"] == cast.workspace.pk
    assert logged["campaign_id"] == 999999
    made_up = Client().get("/healthz", headers={"X-Request-ID": "bad id\n"})["X-Request-ID"]
    assert len(made_up) == 32 and made_up != "bad id\n"


def test_log_format_json_makes_every_line_of_a_process_json(tmp_path: Path) -> None:
    env = {**os.environ, "PUSHADMIN_VAR_DIR": str(tmp_path), "LOG_FORMAT": "json"}
    script = "import django, logging; django.setup(); logging.getLogger('pushadmin.x').warning('hello %s', 'there')"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stderr.splitlines()]
    assert line["message"] == "hello there" and line["level"] == "WARNING"
    bad = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "LOG_FORMAT must be plain or json" in bad.stderr
