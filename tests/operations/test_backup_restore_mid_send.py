"""Acceptance: a `pg_dump -Fc` taken while a campaign sends, restored with `pg_restore`, finishes without a duplicate.

This is the README's restore procedure ("Backups and restore") run for real: a worker sends to
the sandbox, the test database is dumped mid-send, the worker is stopped, the dump is restored
into a fresh database and a new worker pointed at it finishes the campaign. The restored
database is rewound to the dump: what was sent after it is unknown to it. The README promises
that those messages are sent again with the same MsgKeys (which mPaaS keeps once) or, for
calls in doubt under "mark unknown", end "unknown" — never a second copy stored, never lost.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from pushadmin.delivery import dispatch
from pushadmin.workspaces.models import AmbiguousPolicy
from tests.delivery.campaigns import approve, draft_campaign, point_at
from tests.fixtures.processes import SandboxProcess, WorkerProcess, database_url_of, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL (DATABASE_URL=postgres://…)"
    ),
]

TARGETS = 4000
ENDED = ("sent", "partly_sent", "failed")


def url_of(dbname: str) -> str:
    """The test server's address naming `dbname`: psycopg, pg_dump and pg_restore all take it."""
    return database_url_of({**connection.settings_dict, "NAME": dbname})


def connect(dbname: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url_of(dbname), autocommit=True)


@pytest.fixture
def restored_database() -> Iterator[str]:
    """A fresh, empty database for the restore (prefix pushadmin_ops_), dropped afterwards."""
    name = f"pushadmin_ops_restored_{uuid.uuid4().hex[:8]}"
    with connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connect("postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stored_keys(sandbox: SandboxProcess) -> set[str]:
    return {m["msgKey"] for m in sandbox.messages()}


@pytest.mark.parametrize("policy", [AmbiguousPolicy.RESEND, AmbiguousPolicy.MARK_UNKNOWN])
def test_a_campaign_dumped_mid_send_and_restored_finishes_without_a_second_copy(
    policy: str,
    cast: Any,
    mpaas_sandbox: SandboxProcess,
    celery_worker: WorkerProcess,
    restored_database: str,
    tmp_path: Path,
) -> None:
    # A gateway 50 ms away at 5 calls a second: the 40 calls take several seconds, long enough
    # to dump in the middle and keep sending after the dump.
    point_at(cast.workspace, mpaas_sandbox.url, calls_per_second=5, ambiguous_policy=policy)
    mpaas_sandbox.faults(latencyMs=50)
    campaign = approve(draft_campaign(cast.workspace, cast.marketer, TARGETS), cast.reviewer)
    dispatch.on_approved(campaign.pk)
    wait_for(lambda: mpaas_sandbox.stats()["messagesAccepted"] >= 600, timeout=90, what="the first calls")

    dump = tmp_path / "pushadmin.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--file", str(dump), database_url_of(connection.settings_dict)], check=True, timeout=120
    )
    sent_by_dump_end = stored_keys(mpaas_sandbox)
    # Keep sending after the dump, then stop the worker as an outage would.
    wait_for(
        lambda: mpaas_sandbox.stats()["messagesAccepted"] >= len(sent_by_dump_end) + 500,
        timeout=90,
        what="calls after the dump",
    )
    celery_worker.kill()
    time.sleep(0.5)  # a call the worker had on the wire when it died still lands
    sent_before_restore = stored_keys(mpaas_sandbox)
    assert len(sent_before_restore) < TARGETS, "the campaign finished before the outage; nothing to prove"
    assert mpaas_sandbox.stats()["duplicateMsgKeys"] == 0

    subprocess.run(
        ["pg_restore", "--no-owner", "--dbname", url_of(restored_database), str(dump)], check=True, timeout=300
    )
    # The queue describes the database that was left behind; the README empties it.
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "pushadmin", "purge", "-f", "--queues", celery_worker.queue],
        env=celery_worker.env,
        check=True,
        timeout=120,
        capture_output=True,
    )
    with connect(restored_database) as restored:

        def messages_by_status() -> dict[str, set[str]]:
            found: dict[str, set[str]] = {}
            rows = restored.execute(
                "SELECT status, msg_key FROM delivery_message WHERE campaign_id = %s", [campaign.pk]
            ).fetchall()
            for status, key in rows:
                found.setdefault(status, set()).add(key)
            return found

        def campaign_status() -> str:
            row = restored.execute("SELECT status FROM campaigns_campaign WHERE id = %s", [campaign.pk]).fetchone()
            assert row is not None
            return str(row[0])

        known_at_restore = messages_by_status().get("accepted", set())
        # The calls that were in flight at the dump: round-one batch k holds rows (k-1)*100+1 … k*100.
        in_flight_at_dump = {
            campaign.msg_key_for(seq)
            for (batch,) in restored.execute(
                "SELECT seq FROM delivery_batch WHERE campaign_id = %s AND status = 'in_flight'", [campaign.pk]
            ).fetchall()
            for seq in range((batch - 1) * 100 + 1, min(batch * 100, TARGETS) + 1)
        }
        # The restored database is rewound: it does not know what was accepted after the dump.
        assert known_at_restore <= sent_by_dump_end
        unknown_to_restored = sent_before_restore - known_at_restore
        sent_after_dump = sent_before_restore - sent_by_dump_end
        assert sent_after_dump, "no call happened between the dump and the outage"

        worker = WorkerProcess(
            {**celery_worker.env, "DATABASE_URL": url_of(restored_database)},
            celery_worker.queue,
            tmp_path,
            concurrency=celery_worker.concurrency,
        )
        worker.start()
        try:
            wait_for(lambda: campaign_status() in ENDED, timeout=240, what="the restored campaign to finish")
        finally:
            worker.stop()

        final = messages_by_status()
        status = campaign_status()

    stored = [m["msgKey"] for m in mpaas_sandbox.messages()]
    stats = mpaas_sandbox.stats()
    accepted = final.get("accepted", set())
    unknown = final.get("unknown", set())
    all_keys = {campaign.msg_key_for(seq) for seq in range(1, TARGETS + 1)}

    # Every target ends in exactly one final state, and only accepted or unknown.
    assert sum(len(keys) for keys in final.values()) == TARGETS
    assert set(final) <= {"accepted", "unknown"}
    assert accepted | unknown == all_keys
    # mPaaS kept each MsgKey once; a MsgKey reached it twice only for a message the restored
    # database did not know was accepted, sent again with the same MsgKey.
    assert len(stored) == len(set(stored))
    assert accepted <= set(stored)
    if policy == AmbiguousPolicy.RESEND:
        assert status == "sent"
        assert accepted == set(stored) == all_keys
        # Everything accepted after the dump (and the step in doubt) went out again, once.
        assert stats["duplicateMsgKeys"] == len(unknown_to_restored) >= len(sent_after_dump) > 0
    else:
        # The calls in flight at the dump (started, not yet recorded) are in doubt for the restored
        # database: they end "unknown" for a person to decide, never sent again. Batches that were
        # only waiting at the dump are sent again with their MsgKeys (repeats for those sent after
        # the dump) and end accepted.
        assert unknown == in_flight_at_dump
        assert stats["duplicateMsgKeys"] == len(unknown_to_restored - in_flight_at_dump)
        assert set(stored) <= accepted | unknown
        assert status == ("partly_sent" if unknown else "sent")
