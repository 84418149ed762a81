"""The IO manager drains a sweep's shared stream once and reports every table's statistics.

Contract: several asset outputs sharing one ``SweepStream`` write all of the stream's tables on
the first output; each output's materialization carries ``dagster/row_count``, the rows_* counts,
pages, ``dagster/table_name`` (never the URL), ``dagster/column_schema`` with custom-field columns,
and the sweep's telemetry under ``zendesk/``; a downstream asset loads a lazy table handle.
Checked on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, SweepStream, TableOutput
from zendesk_assets.warehouse import WarehouseIOManager, WarehouseResource, WarehouseTable


def _stream(consumed: list[int]) -> SweepStream:
    def batches() -> Iterator[Batch]:
        for p in range(3):
            consumed.append(p)
            tickets = [
                {"id": p * 10 + i, "generated_timestamp": 5, "custom_fields": [{"id": 42, "value": "7"}]}
                for i in range(4)
            ]
            metrics = [{"id": 1000 + p * 10 + i, "ticket_id": p * 10 + i, "updated_at": 5} for i in range(2)]
            yield Batch({"tickets": tickets, "ticket_metrics": metrics}, Checkpoint("tickets", 0, None, p, str(p)))

    return SweepStream(
        "tickets",
        ("tickets", "ticket_metrics"),
        batches(),
        field_defs={"tickets": [FieldDef(42, "Seats", "integer")]},
        telemetry={"requests": 3, "rate_limited_429": 1},
    )


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_io_manager_writes_once_and_reports_each_table(backend: str, request: pytest.FixtureRequest) -> None:
    if backend == "duckdb":
        url, schema = request.getfixturevalue("duckdb_url"), "zendesk"
    else:
        pg = request.getfixturevalue("pg_url")
        url, schema = str(pg), pg.schema
    consumed: list[int] = []
    loaded: dict[str, object] = {}

    @dg.multi_asset(outs={"tickets": dg.AssetOut(), "ticket_metrics": dg.AssetOut()})
    def tickets_sweep() -> Iterator[dg.Output[TableOutput]]:
        stream = _stream(consumed)
        yield dg.Output(TableOutput(stream, "tickets"), output_name="tickets")
        yield dg.Output(TableOutput(stream, "ticket_metrics"), output_name="ticket_metrics")

    @dg.asset
    def ticket_report(tickets: WarehouseTable) -> None:
        loaded["name"] = tickets.qualified_name
        loaded["ids"] = sorted(r["id"] for r in tickets.rows(batch_size=5))

    resource = WarehouseResource(url=url, schema_name=schema)
    result = dg.materialize(
        [tickets_sweep, ticket_report],
        resources={"io_manager": WarehouseIOManager(warehouse=resource)},
    )
    assert result.success
    assert consumed == [0, 1, 2]  # drained once, not once per output
    events = [e.materialization for e in result.get_asset_materialization_events()]
    meta = {m.asset_key.path[-1]: m.metadata for m in events}
    t, m = meta["tickets"], meta["ticket_metrics"]
    assert t["dagster/row_count"].value == 12 and m["dagster/row_count"].value == 6
    assert (t["rows_received"].value, t["rows_inserted"].value, t["pages"].value) == (12, 12, 3)
    assert (m["rows_received"].value, m["rows_inserted"].value, m["rows_updated"].value) == (6, 6, 0)
    assert t["rows_skipped_older"].value == 0 and t["rows_removed"].value == 0
    assert t["dagster/table_name"].value == f"{schema}.tickets"
    assert t["zendesk/requests"].value == 3 and t["zendesk/rate_limited_429"].value == 1
    schema_value = t["dagster/column_schema"]
    assert isinstance(schema_value, dg.TableSchemaMetadataValue)
    columns = {c.name: c for c in schema_value.schema.columns}
    assert columns["seats"].type == "bigint" and "Seats" in (columns["seats"].description or "")
    assert "id" in columns and "_raw" in columns
    assert loaded == {"name": f"{schema}.tickets", "ids": sorted(p * 10 + i for p in range(3) for i in range(4))}


def test_resource_repr_masks_password() -> None:
    resource = WarehouseResource(url="postgresql://u:hunter2@db/x")
    assert "hunter2" not in repr(resource)
    assert "hunter2" not in repr(resource.get_warehouse())
