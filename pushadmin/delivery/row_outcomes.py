"""Writing the outcome of a step's calls onto their message rows (batch states are `batch_state`'s).

These statements are composed here as SQL text: they run once per recording step of every
worker, and building the message UPDATE from ORM expressions (a CASE with a WHEN per batch for
each of three columns, and a range per run of ids) took about a tenth of a sending worker's CPU.
Only table and column names from the models and placeholders go into the text; every value is a
parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from django.db import connection, models

from pushadmin.delivery import membership
from pushadmin.delivery.models import Batch, Message


class BatchAnswer(NamedTuple):
    """What one call answered for its batch: the values its rows take."""

    batch: Batch
    request_id: str
    task_id: str


def write(
    pks: Iterable[int], answers: Sequence[BatchAnswer], *, status: str, code: str, text: str, now: datetime
) -> int:
    """Give these rows (of the answered batches) their final state and each its batch's RequestId and
    task id; first-round rows also get their batch reference (see `membership`). Returns rows written."""
    sets = ["status = %s", "result_code = %s", "result_message = %s", "updated_at = %s"]
    params: list[Any] = [status, code, text, db_time(Message, now)]
    columns: dict[str, list[tuple[Batch, str | int]]] = {
        "request_id": [(a.batch, a.request_id) for a in answers],
        "task_id": [(a.batch, a.task_id) for a in answers],
    }
    if any(a.batch.send_round == membership.FIRST_ROUND for a in answers):
        columns["batch_id"] = [(a.batch, a.batch.pk) for a in answers]
    for column, values in columns.items():
        expression, expression_params = by_batch(column, values)
        sets.append(f"{column} = {expression}")
        params.extend(expression_params)
    where, where_params = pk_condition(pks)
    if not where:
        return 0
    sql = f"UPDATE {Message._meta.db_table} SET {', '.join(sets)} WHERE {where}"  # noqa: S608 (names and placeholders only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
        updated: int = cursor.rowcount
        return updated


def db_time(model: type[models.Model], value: datetime) -> Any:
    """`value` as the database takes the model's `updated_at` (SQLite stores text)."""
    field = cast("models.DateTimeField[Any, Any]", model._meta.get_field("updated_at"))
    return field.get_db_prep_value(value, connection)


def by_batch(column: str, values: Sequence[tuple[Batch, Any]]) -> tuple[str, list[Any]]:
    """One value per batch, as SQL: the value itself when every batch has the same.

    Later rounds' rows point to their batch. First-round rows do not yet: among the step's rows,
    a row belongs to the first batch (by number) whose last row is not before it.
    """
    distinct = {v for _, v in values}
    if len(distinct) == 1:
        return "%s", [distinct.pop()]
    whens: list[str] = []
    params: list[Any] = []
    for batch, value in values:
        if batch.send_round != membership.FIRST_ROUND:
            whens.append("WHEN batch_id = %s THEN %s")
            params.extend([batch.pk, value])
    for number, value in sorted((b.seq, v) for b, v in values if b.send_round == membership.FIRST_ROUND):
        whens.append("WHEN seq <= %s THEN %s")
        params.extend([membership.seq_range(number)[1], value])
    return f"(CASE {' '.join(whens)} ELSE {column} END)", params


def pk_condition(pks: Iterable[int]) -> tuple[str, list[int]]:
    """`id IN pks` as ranges of consecutive ids where it can: a step's rows are mostly one run of
    ids, and a range is far cheaper to send and to run than hundreds of literals."""
    parts: list[str] = []
    params: list[int] = []
    singles: list[int] = []
    for first, last in membership.runs(sorted(set(pks))):
        if last - first >= 2:
            parts.append("id BETWEEN %s AND %s")
            params.extend([first, last])
        else:
            singles.extend(range(first, last + 1))
    if singles:
        parts.append(f"id IN ({', '.join(['%s'] * len(singles))})")
        params.extend(singles)
    return " OR ".join(parts), params
