"""An audience over the API: a CSV streamed in as multipart, imported by a real worker, its refused
rows read back with line and reason, and a campaign built from it."""

from __future__ import annotations

from typing import Any

import pytest

from pushadmin.accounts.models import Role
from pushadmin.audiences.models import Audience
from tests.api.api_client import Api, openapi_document, token_for
from tests.fixtures.processes import wait_for
from tests.personas import Cast

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CSV = "target,name,money\nuser-1,Ann,10\nuser-2,Bo,20\n,Nobody,30\nuser-1,Again,40\nuser-3,Cy,50\n"


def test_a_marketer_uploads_an_audience_and_sends_a_campaign_to_it(
    cast: Cast, live_server: Any, celery_worker: Any
) -> None:
    document = openapi_document(live_server.url)
    marketer = Api(live_server.url, token_for(cast.marketer, cast.workspace, Role.MARKETER), document)
    auditor = Api(live_server.url, token_for(cast.auditor, cast.workspace, Role.AUDITOR), document)

    created = marketer.post(
        "/audiences",
        data={"name": "Spring list", "delivery_type": "3"},
        files={"upload": ("spring.csv", CSV.encode(), "text/csv")},
        headers={"Idempotency-Key": "spring-list"},
    )
    assert created.status_code == 201, created.text
    audience = created.json()
    assert audience["import_status"] == "importing"

    def imported() -> dict[str, Any] | None:
        now = auditor.get(f"/audiences/{audience['id']}").json()
        return now if now["latest_import"]["status"] == "done" else None

    done = wait_for(imported, timeout=60, what="the import to finish")
    assert (done["members"], done["columns"]) == (3, ["name", "money"]), done
    assert (done["latest_import"]["rows_imported"], done["latest_import"]["rows_rejected"]) == (3, 2)
    refused = auditor.get(f"/audiences/{audience['id']}/rejected-rows").json()["items"]
    assert [row["line"] for row in refused] == [4, 5]
    assert all(row["reason"] for row in refused)

    same_name = marketer.post(
        "/audiences", data={"name": "Spring list"}, files={"upload": ("again.csv", CSV.encode(), "text/csv")}
    )
    assert same_name.status_code == 422 and same_name.json()["errors"][0]["field"] == "name"
    assert Audience.objects.filter(workspace=cast.workspace).count() == 1

    template = marketer.post("/templates", json={"name": "Spring", "title": "Hi #name#", "content": "You won #money#"})
    campaign = marketer.post(
        "/campaigns", json={"name": "Spring", "template_id": template.json()["id"], "audience_id": audience["id"]}
    )
    assert campaign.status_code == 201, campaign.text

    def rows_built() -> dict[str, Any] | None:
        now = marketer.get(f"/campaigns/{campaign.json()['id']}").json()
        return now if now["rows_state"] == "ready" and now["rows"] == 3 else None

    wait_for(rows_built, timeout=60, what="the campaign's rows")
    targets = [m["target"] for m in marketer.get(f"/campaigns/{campaign.json()['id']}/messages").json()["items"]]
    assert targets == ["user-1", "user-2", "user-3"]
