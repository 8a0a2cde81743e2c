"""Fresh planner statistics after a bulk write, so PostgreSQL keeps reading by index.

After a million rows arrive in one go, PostgreSQL's statistics still describe the table before
them until autovacuum gets round to it; meanwhile it estimates a campaign's rows at a few hundred
and reads every remaining row (bitmap scan and sort) for each keyset page: a page of 5,000 rows
took 1.2 s instead of 3 ms. ANALYZE samples the table (30,000 rows, well under a second).
Outside a transaction it is VACUUM (ANALYZE): that also marks the new pages all-visible, without
which counting a campaign's rows (every look at its builder) read each of its million rows from
the table instead of the index (1.8 s a page). VACUUM reads only pages changed since the last one.
SQLite's planner needs no statistics for these queries.
"""

from __future__ import annotations

import logging

from django.db import connection
from django.db.models import Model

logger = logging.getLogger(__name__)


def refresh_after_bulk_write(model: type[Model]) -> None:
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
    logger.info("planner statistics refreshed for %s", model._meta.db_table)
