"""A sweep's multi-asset writes one stream through the warehouse resource and reports every table.

Contract: one ``SweepStream`` is drained once, writing all of its tables; each table's
``MaterializeResult`` carries (``table_metadata``) ``dagster/row_count``, the rows_* counts, pages,
``dagster/table_name`` (never the URL), ``dagster/column_schema`` with custom-field columns, and the
sweep's telemetry under ``zendesk/``; a downstream asset loads a lazy table handle through
``WarehouseIOManager``. Checked on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, SweepStream
from zendesk_assets.warehouse import WarehouseIOManager, WarehouseResource, WarehouseTable, table_metadata


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
        "tickets", ("tickets", "ticket_metrics"), batches(), field_defs={"tickets": [FieldDef(42, "Seats", "integer")]}
    )


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_one_write_reports_each_table_and_downstream_loads_it(backend: str, request: pytest.FixtureRequest) -> None:
    if backend == "duckdb":
        url, schema = request.getfixturevalue("duckdb_url"), "zendesk"
    else:
        pg = request.getfixturevalue("pg_url")
        url, schema = str(pg), pg.schema
    consumed: list[int] = []
    loaded: dict[str, object] = {}

    @dg.multi_asset(
        specs=[dg.AssetSpec(t).with_io_manager_key("io_manager") for t in ("tickets", "ticket_metrics")],
        required_resource_keys={"warehouse"},
    )
    def tickets_sweep(context) -> Iterator[dg.MaterializeResult]:  # `context` unannotated: Dagster reads annotations
        wh = context.resources.warehouse.get_warehouse()
        stats = wh.write_stream(_stream(consumed))
        for table in ("tickets", "ticket_metrics"):
            telemetry = {"requests": 3, "rate_limited_429": 1}
            yield dg.MaterializeResult(asset_key=table, metadata=table_metadata(wh, table, stats[table], telemetry))

    @dg.asset
    def ticket_report(tickets: WarehouseTable) -> None:
        loaded["name"] = tickets.qualified_name
        loaded["ids"] = sorted(r["id"] for r in tickets.rows(batch_size=5))

    resource = WarehouseResource(url=url, schema_name=schema)
    result = dg.materialize(
        [tickets_sweep, ticket_report],
        resources={"warehouse": resource, "io_manager": WarehouseIOManager(warehouse=resource)},
    )
    assert result.success
    assert consumed == [0, 1, 2]  # drained once for both tables
    events = [e.materialization for e in result.get_asset_materialization_events()]
    meta = {m.asset_key.path[-1]: m.metadata for m in events}
    t, m = meta["tickets"], meta["ticket_metrics"]
    assert t["dagster/row_count"].value == 12 and m["dagster/row_count"].value == 6
    assert (t["zendesk/rows_received"].value, t["zendesk/rows_inserted"].value) == (12, 12)
    assert (m["zendesk/rows_received"].value, m["zendesk/rows_inserted"].value, m["zendesk/rows_updated"].value) == (6, 6, 0)
    assert t["zendesk/rows_skipped_older"].value == 0 and t["zendesk/rows_removed"].value == 0
    assert t["dagster/table_name"].value == f"{schema}.tickets"
    assert t["zendesk/sweep_requests"].value == 3 and t["zendesk/sweep_rate_limited_429"].value == 1
    ours = [k for k in t if not k.startswith("dagster/")]
    assert all(k.startswith("zendesk/") for k in ours), ours  # one namespace of our own keys
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
