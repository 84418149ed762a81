"""Why a table stayed empty: what the sync log says when Zendesk keeps the records somewhere else.

An account that moved to Zendesk's new CSAT gets few or no legacy satisfaction ratings: its
ratings are CSAT survey responses (the Satisfaction Ratings reference calls its own endpoints the
legacy CSAT: https://developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings/).
A registry entry names such a ``successor``; when its table is still empty after a sync, one request
(a page of one record) to the successor's endpoint tells whether that is why, and the log says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial

from zendesk_assets.batches import TableStats
from zendesk_assets.collections import COLLECTIONS, SWEEPS
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.warehouse.reading import Reader
from zendesk_assets.zendesk.client import ZendeskClient
from zendesk_assets.zendesk.errors import ZendeskError


def empty_table_hints(
    client: ZendeskClient,
    warehouse: Warehouse,
    stats: Mapping[str, TableStats],
    tables: Iterable[str],
    enabled: Callable[[str], bool],
) -> dict[str, str]:
    """A line for each table of this run that holds nothing while its successor's endpoint has records."""
    hints: dict[str, str] = {}
    for table in tables:
        successor = COLLECTIONS[table].successor
        if successor is None or stats.get(table, TableStats()).rows:
            continue
        if warehouse.reading(partial(_holds_rows, table=table)):
            continue
        if _has_records(client, successor):
            where = (
                f"they are synced into {successor}"
                if enabled(successor)
                else f"add {successor} to ZENDESK_OPT_IN (opt_in: in an accounts file) to sync them"
            )
            endpoint = SWEEPS[COLLECTIONS[successor].sweep].endpoint
            hints[table] = (
                f"{table} is empty, but {endpoint} has records: this account keeps them in {successor} "
                f"instead (as accounts on Zendesk's new CSAT do); {where}."
            )
    return hints


def _has_records(client: ZendeskClient, table: str) -> bool:
    """Whether the endpoint feeding ``table`` lists anything; an endpoint the plan or role lacks has nothing."""
    sweep = SWEEPS[COLLECTIONS[table].sweep]
    try:
        page = client.get_json(sweep.endpoint, {"page[size]": 1})
    except ZendeskError:
        return False
    return bool(page.get(sweep.record_key))


def _holds_rows(reader: Reader, table: str) -> bool:
    return reader.exists(table) and reader.row_count(table) > 0
