from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client

from pushadmin.audit import trail
from pushadmin.audit.models import AuditEntry
from tests.personas import PASSWORD, Cast

pytestmark = pytest.mark.django_db


def write_entries(count: int) -> list[AuditEntry]:
    return [trail.record("test.event", actor_label="tester", detail={"n": n, "text": "héllo ✓"}) for n in range(count)]


def test_entries_chain_to_their_predecessor_and_verify() -> None:
    entries = write_entries(3)
    assert entries[0].prev_hash == trail.GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert trail.verify_chain() == (3, None)
    call_command("verify_audit")


def test_secrets_in_before_and_after_are_replaced_by_a_mark() -> None:
    entry = trail.record("x.changed", before={"access_key_secret": "abc", "name": "a"}, after={"password": "p"})
    assert entry.before == {"access_key_secret": trail.SECRET_MARK, "name": "a"}
    assert entry.after == {"password": trail.SECRET_MARK}


def test_logins_and_failed_logins_are_recorded(cast: Cast) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "mia.marketer", "password": "wrong password"})
    client.post("/accounts/login/", {"username": "mia.marketer", "password": PASSWORD})
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert "user.login_failed" in actions and "user.logged_in" in actions
    failed = AuditEntry.objects.get(action="user.login_failed")
    assert "wrong password" not in str(failed.detail)


def execute_sql(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the edit itself; see the test below")
def test_editing_a_row_makes_verify_name_it() -> None:
    entries = write_entries(4)
    execute_sql("UPDATE audit_auditentry SET action = 'tampered' WHERE id = %s", [entries[2].pk])
    with pytest.raises(CommandError, match=f"entry #{entries[2].seq}"):
        call_command("verify_audit")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the delete itself")
def test_deleting_a_row_makes_verify_name_the_gap() -> None:
    entries = write_entries(4)
    execute_sql("DELETE FROM audit_auditentry WHERE id = %s", [entries[1].pk])
    checked, broken = trail.verify_chain()
    assert checked == 1 and broken is not None and broken.seq == entries[2].seq


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the update itself")
def test_swapping_two_rows_breaks_the_chain() -> None:
    entries = write_entries(3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET seq = 1000 WHERE id = %s", [entries[0].pk])
        cursor.execute("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [entries[0].seq, entries[1].pk])
        cursor.execute("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [entries[1].seq, entries[0].pk])
    checked, broken = trail.verify_chain()
    assert checked == 0 and broken is not None and broken.seq == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only")
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_auditentry SET action = 'x' WHERE id = %s", "DELETE FROM audit_auditentry WHERE id = %s"],
)
def test_postgresql_refuses_updates_and_deletes(statement: str) -> None:
    entry = write_entries(1)[0]
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, action="test.event").exists()
