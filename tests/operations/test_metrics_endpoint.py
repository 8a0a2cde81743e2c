"""/metrics exists only with a token configured, and opens only to that bearer token, never to a session."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.personas import Cast

TOKEN = "metrics-token-0123456789"


def test_without_a_token_configured_metrics_do_not_exist(settings) -> None:
    settings.PUSHADMIN_METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.django_db
def test_metrics_open_to_the_bearer_token_only(settings, cast: Cast) -> None:
    settings.PUSHADMIN_METRICS_TOKEN = TOKEN
    signed_in = Client()
    signed_in.force_login(cast.admin)

    assert Client().get("/metrics").status_code == 401
    assert signed_in.get("/metrics").status_code == 401
    assert Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    page = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert page.status_code == 200 and page["Content-Type"].startswith("text/plain")
    text = page.content.decode()
    assert "pushadmin_mpaas_calls_in_flight" in text
    assert 'pushadmin_broker_queue_messages{queue="' in text and "pushadmin_broker_reachable 1.0" in text


def test_the_grafana_dashboard_reads_only_metrics_pushadmin_exports() -> None:
    import json
    import re
    from pathlib import Path

    from pushadmin.operations import metrics

    dashboard = json.loads((Path(__file__).resolve().parents[2] / "ops" / "grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {re.sub(r"_(total|bucket|count|sum)$", "", name) for e in exprs for name in re.findall(r"pushadmin_\w+", e)}
    exported = {m._name for m in vars(metrics).values() if hasattr(m, "_name") and hasattr(m, "_type")}
    scraped = {
        "pushadmin_broker_reachable",
        "pushadmin_broker_queue_messages",
        "pushadmin_broker_oldest_message_age_seconds",
    }
    assert used <= exported | scraped
    assert exported <= used, "every metric has a panel"
