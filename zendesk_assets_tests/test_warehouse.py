"""The warehouse shows Zendesk's latest state exactly, on DuckDB and on PostgreSQL.

Contract checked here, on both backends: upserts are idempotent; an older version after a newer
one changes nothing; a new custom field becomes a new column without touching old rows, and a
renamed field keeps its column; hostile field titles and schema names are just identifiers; ids
above 2^53 and emoji survive; snapshot tables mark vanished rows (only after a complete pass) and
clear the mark when they come back; each page's checkpoint commits with that page's rows.
The portable adapter other SQLAlchemy dialects use is held to the same contract (on PostgreSQL).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from zendesk_assets.batches import Batch, Checkpoint, FieldDef, Record, SweepStream
from zendesk_assets.collections import COLLECTIONS, SYSTEM_COLUMNS, field_history
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.warehouse.coerce import raw_record
from zendesk_assets.warehouse.dialects import DuckDBDialect, GenericDialect, dialect_for, warehouse_kind
from zendesk_assets.warehouse.warehouse import WarehouseMemoryError


@dataclass
class Backend:
    url: str
    schema: str
    generic: bool = False  # force the portable adapter every other SQLAlchemy dialect uses

    def warehouse(self, schema: str | None = None) -> Warehouse:
        wh = Warehouse(self.url, schema or self.schema)
        if self.generic:
            wh.dialect = GenericDialect(wh.dialect.url)
        return wh


@pytest.fixture(params=["duckdb", "postgres", "generic-on-postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "duckdb":
        return Backend(request.getfixturevalue("duckdb_url"), "zendesk")
    pg = request.getfixturevalue("pg_url")
    return Backend(pg, pg.schema, generic=request.param.startswith("generic"))


def ticket(tid: int, version: int, subject: str = "subject", **extra: Any) -> dict[str, Any]:
    return {
        "id": tid,
        "url": f"https://acme.zendesk.com/api/v2/tickets/{tid}.json",
        "subject": subject,
        "status": "open",
        "generated_timestamp": version,
        "created_at": "2024-01-01T10:00:00Z",
        "updated_at": "2024-01-02T10:00:00+00:00",
        "tags": ["a", "b"],
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "custom_fields": extra.pop("custom_fields", []),
        **extra,
    }


def stream(
    sweep: str,
    pages: Sequence[Mapping[str, Sequence[Record]]],
    *,
    field_defs: dict[str, list[FieldDef]] | None = None,
    snapshot: bool = False,
    done: bool = True,
) -> SweepStream:
    tables = tuple(t for t, c in COLLECTIONS.items() if c.sweep == sweep)

    def batches() -> Iterator[Batch]:
        for i, rows in enumerate(pages):
            last = i == len(pages) - 1
            yield Batch(rows, Checkpoint(sweep, 0, None, i + 1, f"page-{i + 1}", done=done and last))

    return SweepStream(
        sweep,
        tables,
        batches(),
        field_defs=field_defs or {},
        snapshot_tables=frozenset(tables) if snapshot else frozenset(),
    )


def rows(wh: Warehouse, table: str, cols: str, order: str = "id") -> list[tuple[Any, ...]]:
    return wh.fetch(f"SELECT {cols} FROM {wh.sql_name(table)} ORDER BY {order}")


def test_tables_follow_the_registry(backend: Backend) -> None:
    wh = backend.warehouse()
    wh.ensure_tables(COLLECTIONS)
    for name, coll in COLLECTIONS.items():
        names = {
            r[0]
            for r in wh.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND table_name = :t",
                {"s": wh.schema, "t": name},
            )
        }
        assert names == {c.name for c in (*coll.columns, *SYSTEM_COLUMNS)}, name
        assert [c.name for c in wh.table_schema(name).columns] == [
            c.name for c in (*coll.columns, *SYSTEM_COLUMNS)
        ]
        assert wh.row_count(name) == 0
    assert wh.checkpoints("tickets") == []


def test_upsert_is_idempotent(backend: Backend) -> None:
    wh = backend.warehouse()
    page = {"tickets": [ticket(1, 100), ticket(2, 100), ticket(3, 100)]}
    first = wh.write_stream(stream("tickets", [page]))
    again = wh.write_stream(stream("tickets", [page]))
    assert (first["tickets"].inserted, first["tickets"].updated) == (3, 0)
    assert (again["tickets"].inserted, again["tickets"].updated, again["tickets"].skipped_older) == (0, 3, 0)
    assert wh.row_count("tickets") == 3
    got = rows(wh, "tickets", "id, subject, status, _version, created_at, _removed_at")
    assert [(r[0], r[1], r[2], r[3]) for r in got] == [(i, "subject", "open", 100) for i in (1, 2, 3)]
    assert all(r[4].strftime("%Y-%m-%d %H:%M:%S") == "2024-01-01 10:00:00" and r[5] is None for r in got)


def test_older_version_after_newer_is_a_no_op(backend: Backend) -> None:
    wh = backend.warehouse()
    wh.write_stream(stream("tickets", [{"tickets": [ticket(1, 200, "new"), ticket(2, 200, "new")]}]))
    stats = wh.write_stream(
        stream("tickets", [{"tickets": [ticket(1, 150, "old"), ticket(2, 250, "newer")]}])
    )
    assert (stats["tickets"].updated, stats["tickets"].skipped_older) == (1, 1)
    assert rows(wh, "tickets", "id, subject, _version") == [(1, "new", 200), (2, "newer", 250)]


def test_batch_dedupes_by_key_keeping_highest_version(backend: Backend) -> None:
    wh = backend.warehouse()
    page = {"tickets": [ticket(7, 300, "third"), ticket(7, 100, "first"), ticket(7, 300, "tie-later")]}
    stats = wh.write_stream(stream("tickets", [page]))
    assert stats["tickets"].inserted == 1 and stats["tickets"].rows == 3
    assert rows(wh, "tickets", "id, subject, _version") == [(7, "tie-later", 300)]


def test_unversioned_collection_is_a_plain_upsert(backend: Backend) -> None:
    wh = backend.warehouse()
    att = {"id": 5, "file_name": "a.png", "size": 10, "ticket_id": 1, "comment_id": 2}
    wh.write_stream(stream("ticket_events", [{"attachments": [att]}]))
    wh.write_stream(stream("ticket_events", [{"attachments": [{**att, "file_name": "b.png"}]}]))
    assert rows(wh, "attachments", "id, file_name, size, _version") == [(5, "b.png", 10, None)]


def test_new_custom_field_adds_a_column_and_keeps_old_rows(backend: Backend) -> None:
    wh = backend.warehouse()
    defs = {"tickets": [FieldDef(101, "Plan", "tagger")]}
    wh.write_stream(
        stream(
            "tickets",
            [{"tickets": [ticket(1, 1, custom_fields=[{"id": 101, "value": "gold"}])]}],
            field_defs=defs,
        )
    )
    page = {
        "tickets": [
            ticket(
                2,
                2,
                custom_fields=[{"id": 101, "value": "free"}, {"id": 102, "value": "2024-03-04T00:00:00Z"}],
            )
        ]
    }
    wh.write_stream(
        SweepStream(
            "tickets",
            ("tickets", "ticket_metrics"),
            iter([Batch(page, None, field_defs={"tickets": [FieldDef(102, "Renewal date", "date")]})]),
        )
    )
    got = rows(wh, "tickets", 'id, subject, "plan", "renewal_date"')
    assert [(r[0], r[1], r[2]) for r in got] == [(1, "subject", "gold"), (2, "subject", "free")]
    assert got[0][3] is None and str(got[1][3]) == "2024-03-04"
    # A rename updates the dictionary only: same column, same data.
    wh.write_stream(stream("tickets", [], field_defs={"tickets": [FieldDef(101, "Customer plan", "tagger")]}))
    fields = {f.field_id: f for f in wh.custom_fields("tickets")}
    assert (fields[101].column_name, fields[101].title) == ("plan", "Customer plan")
    assert (fields[102].column_name, fields[102].sql_type.value) == ("renewal_date", "date")
    assert [r[:3] for r in rows(wh, "tickets", 'id, subject, "plan"')] == [
        (1, "subject", "gold"),
        (2, "subject", "free"),
    ]
    assert "renewal_date" in [c.name for c in wh.table_schema("tickets").columns]


def test_custom_field_types_clashes_and_undefined_fields(backend: Backend) -> None:
    wh = backend.warehouse()
    defs = [
        FieldDef(1, "Subject", "checkbox"),  # clashes with a seed column
        FieldDef(2, "Score", "decimal"),
        FieldDef(3, "score!", "integer"),  # clashes with field 2's name
        FieldDef(4, "", "multiselect"),  # empty title
        FieldDef(5, "received_at", "text"),  # clashes with a system column
    ]
    values = [
        {"id": 1, "value": True},
        {"id": 2, "value": "4.5"},
        {"id": 3, "value": "12"},
        {"id": 4, "value": ["x", "y"]},
        {"id": 5, "value": "hi"},
        {"id": 99, "value": "surprise"},
    ]
    wh.write_stream(
        stream("tickets", [{"tickets": [ticket(1, 1, custom_fields=values)]}], field_defs={"tickets": defs})
    )
    names = {f.field_id: f.column_name for f in wh.custom_fields("tickets")}
    assert names == {
        1: "subject_1",
        2: "score",
        3: "score_3",
        4: "field_4",
        5: "received_at_5",
        99: "field_99",
    }
    got = rows(wh, "tickets", "subject, subject_1, score, score_3, field_4, received_at_5, field_99")[0]
    assert got[:4] == ("subject", True, 4.5, 12)
    field_4 = got[4] if isinstance(got[4], list) else __import__("json").loads(got[4])
    assert field_4 == ["x", "y"] and got[5:] == ("hi", "surprise")


def test_user_fields_keyed_by_key(backend: Backend) -> None:
    wh = backend.warehouse()
    user = {
        "id": 9,
        "name": "Ann",
        "updated_at": "2024-01-01T00:00:00Z",
        "user_fields": {"plan_level": "gold", "birthday": "1990-05-06T00:00:00+00:00", "mystery": 3},
    }
    defs = {
        "users": [
            FieldDef(11, "Plan level", "dropdown", key="plan_level"),
            FieldDef(12, "Birthday", "date", key="birthday"),
        ]
    }
    wh.write_stream(stream("users", [{"users": [user]}], field_defs=defs))
    assert rows(wh, "users", "id, url, name, plan_level, CAST(birthday AS VARCHAR), field_mystery") == [
        (9, "9", "Ann", "gold", "1990-05-06", "3")
    ]


def test_hostile_identifiers(backend: Backend) -> None:
    hostile_schema = f'{backend.schema}"; DROP SCHEMA public; --'
    wh = backend.warehouse(hostile_schema)
    assert wh.schema == f"{backend.schema}_drop_schema_public"
    try:
        defs = {
            "tickets": [
                FieldDef(66, '"; drop table users; --', "text"),
                FieldDef(67, "Ünïcode ✓ title " * 8, "text"),
            ]
        }
        vals = [{"id": 66, "value": "'; select 1; --"}, {"id": 67, "value": "ok"}]
        wh.write_stream(stream("tickets", [{"tickets": [ticket(1, 1, custom_fields=vals)]}], field_defs=defs))
        cols = {f.field_id: f.column_name for f in wh.custom_fields("tickets")}
        assert cols[66] == "drop_table_users"
        assert len(cols[67]) <= 63 and cols[67].startswith("unicode_title_unicode")
        assert rows(wh, "tickets", f'"{cols[66]}", "{cols[67]}"') == [("'; select 1; --", "ok")]
        wh.ensure_tables(["users"])
        assert wh.row_count("users") == 0
    finally:
        if backend.url.startswith("postgres"):
            with psycopg.connect(getattr(backend.url, "base", ""), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{wh.schema}" CASCADE')


def test_big_ids_and_unicode_survive(backend: Backend) -> None:
    wh = backend.warehouse()
    big = 2**53 + 1
    huge = 2**63 - 7
    subject = "Ça marche 🎉👩‍👩‍👧 — 中文 \x00nul"
    page = {
        "tickets": [ticket(big, 1, subject, requester_id=huge), ticket(huge, 1, "x", requester_id=str(big))]
    }
    wh.write_stream(stream("tickets", [page]))
    got = rows(wh, "tickets", "id, requester_id, subject, _raw")
    assert [(r[0], r[1]) for r in got] == [(big, huge), (huge, big)]
    assert got[0][2] == "Ça marche 🎉👩‍👩‍👧 — 中文 \ufffdnul"  # a text column cannot hold NUL: U+FFFD instead
    assert [raw_record(r[3]) for r in got] == page["tickets"]  # _raw: exactly what was sent, NUL included


def test_nul_characters_keep_raw_exact_and_show_as_u_fffd(backend: Backend) -> None:
    wh = backend.warehouse()
    record = ticket(7, 1, "a\x00b", description="\x00x\x00", tags=["nul\x00tag"], **{"k\x00ey": {"v": "\x00"}})
    wh.write_stream(stream("tickets", [{"tickets": [record]}]))
    subject, description, tags, raw = rows(wh, "tickets", "subject, description, tags, _raw")[0]
    assert (subject, description) == ("a\ufffdb", "\ufffdx\ufffd")
    assert raw_record(tags) == ["nul\x00tag"]  # a JSON column with a NUL: one string layer, then exact
    assert raw_record(raw) == record
    assert json.dumps(raw_record(raw), sort_keys=True) == json.dumps(record, sort_keys=True)


def test_lenient_values_and_derived_paths(backend: Backend) -> None:
    wh = backend.warehouse()
    metric = {
        "id": 3,
        "ticket_id": 1,
        "reopens": "2",
        "replies": "n/a",
        "reply_time_in_minutes": {"calendar": 30, "business": 5},
        "solved_at": 1704067200,
        "updated_at": "2024-01-01T00:00:00Z",
    }
    event = {
        "id": 4,
        "ticket_event_id": 8,
        "ticket_id": 1,
        "timestamp": 1719792000,
        "via": {"channel": "api"},
        "system": {"client": "curl", "latitude": "51.5"},
    }
    wh.write_stream(stream("tickets", [{"ticket_metrics": [metric]}]))
    wh.write_stream(stream("ticket_events", [{"ticket_events": [event]}]))
    got = rows(
        wh,
        "ticket_metrics",
        "reopens, replies, reply_time_in_minutes_calendar, reply_time_in_minutes_business, solved_at",
    )
    assert got[0][:4] == (2, None, 30, 5)
    assert got[0][4].strftime("%Y-%m-%dT%H:%M:%S") == "2024-01-01T00:00:00"
    got = rows(wh, "ticket_events", "via, context_client, context_latitude, _version, timestamp")
    assert got[0][:4] == ('{"channel":"api"}', "curl", 51.5, 1719792000)
    assert got[0][4].strftime("%Y-%m-%d") == "2024-07-01"


def test_snapshot_marks_vanished_rows_and_clears_returning_ones(backend: Backend) -> None:
    wh = backend.warehouse()

    def group(gid: int, version: str = "2024-01-01T00:00:00Z") -> dict[str, Any]:
        return {"id": gid, "name": f"g{gid}", "updated_at": version}

    wh.write_stream(
        stream("groups", [{"groups": [group(1), group(2)]}, {"groups": [group(3)]}], snapshot=True)
    )
    assert wh.fetch(f"SELECT count(*) FROM {wh.sql_name('groups')} WHERE _removed_at IS NOT NULL") == [(0,)]
    # An incomplete pass (no final done checkpoint) must not mark anything.
    wh.write_stream(stream("groups", [{"groups": [group(1)]}], snapshot=True, done=False))
    assert wh.fetch(f"SELECT count(*) FROM {wh.sql_name('groups')} WHERE _removed_at IS NOT NULL") == [(0,)]
    # A snapshot is always read whole again: only what this complete pass saw counts (group 1,
    # seen by the interrupted pass only, is not counted as seen by this one).
    stats = wh.write_stream(stream("groups", [{"groups": [group(3)]}, {"groups": [group(1)]}], snapshot=True))
    assert stats["groups"].removed == 1
    marked = rows(wh, "groups", "id, _removed_at IS NOT NULL")
    assert marked == [(1, False), (2, True), (3, False)]
    # Group 2 comes back (even with an older version): the mark is cleared.
    stats = wh.write_stream(
        stream("groups", [{"groups": [group(1), group(2, "2023-01-01T00:00:00Z"), group(3)]}], snapshot=True)
    )
    assert stats["groups"].removed == 0 and stats["groups"].skipped_older == 1
    assert rows(wh, "groups", "id, _removed_at IS NOT NULL") == [(1, False), (2, False), (3, False)]


def test_two_passes_of_one_snapshot_at_once_mark_nothing_that_exists(backend: Backend) -> None:
    """Two syncs of one account at once (two Dagster instances sharing the warehouse): one pass
    completes while the other has written its first page but not its last. Neither marks a row
    that both saw as vanished."""
    wh = backend.warehouse()
    other = backend.warehouse()
    groups = [{"id": g, "name": f"g{g}", "updated_at": "2024-01-01T00:00:00Z"} for g in (1, 2, 3)]
    wh.write_stream(stream("groups", [{"groups": groups}], snapshot=True))
    committed = threading.Event()

    def first_pass() -> Iterator[Batch]:
        yield Batch({"groups": groups[:2]})
        assert committed.wait(30)  # (the next page is read while this one is written)
        # meanwhile another sync's pass of the same snapshot runs from start to end
        other.write_stream(stream("groups", [{"groups": groups[:2]}, {"groups": groups[2:]}], snapshot=True))
        yield Batch({"groups": groups[2:]}, Checkpoint("groups", 0, None, 1, None, done=True))

    stats = wh.write_stream(
        SweepStream("groups", ("groups",), first_pass(), snapshot_tables=frozenset({"groups"})),
        on_batch=lambda *_: committed.set(),
    )
    assert stats["groups"].removed == 0
    assert rows(wh, "groups", "id, _removed_at IS NULL") == [(1, True), (2, True), (3, True)]


def test_checkpoint_commits_with_its_page(backend: Backend) -> None:
    wh = backend.warehouse()

    def failing() -> Iterator[Batch]:
        yield Batch({"tickets": [ticket(1, 1)]}, Checkpoint("tickets", 1000, 2000, 1500, "cursor-1"))
        yield Batch({"tickets": [ticket(2, 1)]}, Checkpoint("tickets", 1000, 2000, 1600, "cursor-2"))
        raise ConnectionError("Zendesk went away mid-sweep")

    with pytest.raises(ConnectionError):
        wh.write_stream(SweepStream("tickets", ("tickets", "ticket_metrics"), failing()))
    assert wh.checkpoints("tickets") == [Checkpoint("tickets", 1000, 2000, 1600, "cursor-2", False)]
    assert rows(wh, "tickets", "id") == [(1,), (2,)]
    wh.write_stream(
        SweepStream(
            "tickets",
            ("tickets",),
            iter(
                [
                    Batch(
                        {"tickets": [ticket(3, 1)]}, Checkpoint("tickets", 1000, 2000, 2000, "cursor-3", True)
                    ),
                    Batch({}, Checkpoint("tickets", 0, 1000, 1000, None, True)),
                ]
            ),
        )
    )
    assert wh.checkpoints("tickets") == [
        Checkpoint("tickets", 0, 1000, 1000, None, True),
        Checkpoint("tickets", 1000, 2000, 2000, "cursor-3", True),
    ]
    assert wh.checkpoints("users") == []


def test_url_password_never_leaks() -> None:
    wh = Warehouse("postgresql://zd:s3cr3t-pw@127.0.0.1:1/nowhere", "acme")
    assert "s3cr3t-pw" not in repr(wh)
    with pytest.raises(Exception) as info:
        wh.row_count("tickets")
    assert "s3cr3t-pw" not in str(info.value) and "s3cr3t-pw" not in repr(info.value)


def test_bad_url_error_hides_password() -> None:
    with pytest.raises(ValueError) as info:
        Warehouse("not a url with p4ssw0rd", "acme")
    assert "p4ssw0rd" not in str(info.value) and "WAREHOUSE_URL" in str(info.value)


def test_default_duckdb_file_named_like_the_schema_is_not_ambiguous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WAREHOUSE_URL unset means ./zendesk.duckdb with schema zendesk: DuckDB names the file's catalog
    'zendesk' too, so unqualified "zendesk"."t" would be ambiguous."""
    monkeypatch.chdir(tmp_path)
    wh = Warehouse(None, "zendesk")
    wh.ensure_tables(["groups"])
    assert (tmp_path / "zendesk.duckdb").exists()
    assert wh.row_count("groups") == 0 and wh.checkpoints("groups") == []


def test_record_larger_than_16_mb(backend: Backend) -> None:
    """A huge comment body (DuckDB's default JSON object limit is 16 MB) still lands whole."""
    wh = backend.warehouse()
    body = "lorem ipsum " * (17 * 2**20 // 12)
    comment = {"id": 1, "ticket_id": 2, "body": body, "created_at": "2024-01-01T00:00:00Z"}
    wh.write_stream(stream("ticket_events", [{"ticket_comments": [comment]}]))
    assert rows(wh, "ticket_comments", "id, length(body)") == [(1, len(body))]


def _exhausting_merge(monkeypatch: pytest.MonkeyPatch, fail_attempts: set[int]) -> list[Any]:
    """DuckDB's merge, raising DuckDB's own out-of-memory error on the given attempts (1-based);
    returns the driver connection of every attempt."""
    merge = DuckDBDialect.merge
    attempts: list[Any] = []

    def exhausting(self: DuckDBDialect, conn: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(conn.connection.driver_connection)
        if len(attempts) in fail_attempts:
            raise duckdb.OutOfMemoryException(
                "Out of Memory Error: could not allocate block of size 256.0 KiB (60.8 MiB/61.0 MiB used)"
            )
        return merge(self, conn, *args, **kwargs)

    monkeypatch.setattr(DuckDBDialect, "merge", exhausting)
    return attempts


def test_duckdb_out_of_memory_writes_the_page_again_on_a_fresh_connection(
    duckdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over a long stream DuckDB's memory_limit fills with what was written since its last checkpoint
    (seen at 100,000 tickets); a fresh connection starts with it free, and the page lands once."""
    wh = Warehouse(duckdb_url, "zendesk")
    attempts = _exhausting_merge(monkeypatch, {2})  # page 2's first try
    pages = [{"tickets": [ticket(n * 10 + k, 1) for k in range(5)]} for n in range(1, 4)]
    with wh.holding():  # as a sweep writes: one connection kept across its pages
        stats = wh.write_stream(stream("tickets", pages))
    assert len(attempts) == 4
    assert attempts[0] is attempts[1], "pages share the held connection"
    assert attempts[2] is not attempts[1], "the page ran again on a new connection"
    assert rows(wh, "tickets", "id") == [(n * 10 + k,) for n in range(1, 4) for k in range(5)]
    assert stats["tickets"].inserted == 15 and stats["tickets"].pages == 3
    assert [cp.position for cp in wh.checkpoints("tickets")] == [3]


def test_duckdb_out_of_memory_twice_on_one_page_says_how_to_raise_the_limit(
    duckdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wh = Warehouse(duckdb_url + "?memory_limit=96MB", "zendesk")
    _exhausting_merge(monkeypatch, {2, 3})
    pages = [{"tickets": [ticket(n, 1)]} for n in range(1, 4)]
    with pytest.raises(WarehouseMemoryError) as raised:
        wh.write_stream(stream("tickets", pages))
    message = str(raised.value)
    assert "memory_limit (96MB)" in message and "WAREHOUSE_URL" in message and "memory_limit=512MB" in message
    assert rows(wh, "tickets", "id") == [(1,)]  # page 1 committed, page 2 not at all
    assert [cp.position for cp in wh.checkpoints("tickets")] == [1]


def test_default_duckdb_file_named_like_its_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No URL: ./zendesk.duckdb with schema zendesk (catalog and schema share a name in DuckDB)."""
    monkeypatch.chdir(tmp_path)
    wh = Warehouse(None)
    wh.write_stream(stream("tickets", [{"tickets": [ticket(1, 1)]}]))
    assert (tmp_path / "zendesk.duckdb").exists()
    assert wh.row_count("tickets") == 1 and wh.checkpoints("tickets")[0].done
    assert rows(wh, "tickets", "id, subject") == [(1, "subject")]


def test_rows_removed_with_their_parent_are_marked_and_restored(backend: Backend) -> None:
    """A ticket deleted in Zendesk loses its metric set: the batch names the rows to mark, and a
    later upsert of the same row (the ticket was restored) clears the mark."""
    wh = backend.warehouse()

    def metric(mid: int, tid: int, version: str = "2024-01-01T00:00:00Z") -> dict[str, Any]:
        return {"id": mid, "ticket_id": tid, "replies": 1, "updated_at": version}

    wh.write_stream(stream("tickets", [{"ticket_metrics": [metric(10, 1), metric(20, 2)]}]))
    tombstone = SweepStream(
        "tickets", ("tickets", "ticket_metrics"),
        iter([Batch({"tickets": [ticket(2, 5, status="deleted")]}, removals={"ticket_metrics": ("ticket_id", [2])})]),
    )  # fmt: skip
    assert wh.write_stream(tombstone)["ticket_metrics"].removed == 1
    assert rows(wh, "ticket_metrics", "id, _removed_at IS NOT NULL") == [(10, False), (20, True)]
    wh.write_stream(stream("tickets", [{"ticket_metrics": [metric(20, 2, "2024-02-01T00:00:00Z")]}]))
    assert rows(wh, "ticket_metrics", "id, _removed_at IS NOT NULL") == [(10, False), (20, False)]


def test_the_engine_is_decided_in_one_place_from_the_url() -> None:
    """The asset kind and the adapter come from the same URL parsing (dialects.DIALECTS)."""
    assert [warehouse_kind(u) for u in (None, "postgres://u@h/d", "duckdb:///x.duckdb", "snowflake://a/b")] == [
        "duckdb", "postgres", "duckdb", "snowflake",
    ]  # fmt: skip
    assert warehouse_kind("not a url with p4ssw0rd") == "sql"  # reported when a run opens it
    assert type(dialect_for("postgres://u@h/d")).__name__ == "PostgresDialect"


def test_names_are_quoted_and_qualified_by_the_engine(duckdb_url: str) -> None:
    wh = Warehouse(duckdb_url, "acme")
    assert wh.sql_name("tickets") == '"warehouse"."acme"."tickets"'  # DuckDB: the file's catalog too
    assert wh.dialect.quote('a"b') == '"a""b"'


def test_field_history_names_custom_fields_as_the_tickets_pivot(backend: Backend) -> None:
    """A history row of a custom field carries the column name the field has in tickets, from the one
    dictionary that names custom fields: defined fields by title (the events sweep brings the
    definitions when the tickets sweep has not run yet), an undefined one as field_<id>, and a
    field renamed later keeps its name in both places."""
    wh = backend.warehouse()

    def audit(audit_id: int, *children: dict[str, Any]) -> dict[str, Any]:
        return {"id": audit_id, "ticket_id": 7, "timestamp": 1_700_000_000 + audit_id, "created_at": "2023-11-14T22:13:20Z",
                "updater_id": 5, "via": "Web form", "child_events": list(children)}  # fmt: skip

    events = [
        audit(10, {"id": 11, "status": "open", "previous_value": "new", "event_type": "Change"}),
        audit(20, {"id": 21, "custom_ticket_fields": {"101": "gold"}, "previous_value": None, "event_type": "Change"},
              {"id": 22, "custom_ticket_fields": {"999": 3}, "event_type": "Change"}),
    ]  # fmt: skip
    defs = {"tickets": [FieldDef(101, "Customer plan", "tagger")]}
    wh.write_stream(stream("ticket_events", [{"ticket_field_history": list(field_history(events, {}))}], field_defs=defs))
    got = rows(wh, "ticket_field_history", "id, field_name, ticket_field_id, value, previous_value")
    assert got == [(11, "status", None, "open", "new"), (21, "customer_plan", 101, "gold", None),
                   (22, "field_999", 999, "3", None)]  # fmt: skip
    pivot = {c.field_id: c.column_name for c in wh.custom_fields("tickets")}
    assert pivot == {101: "customer_plan", 999: "field_999"}
    # The tickets sweep, later, with the field renamed: same column for the ticket's value.
    renamed = {"tickets": [FieldDef(101, "Plan", "tagger"), FieldDef(999, "Seats", "integer")]}
    wh.write_stream(stream("tickets", [{"tickets": [ticket(7, 1, custom_fields=[{"id": 101, "value": "gold"}])]}],
                           field_defs=renamed))  # fmt: skip
    assert rows(wh, "tickets", 'id, "customer_plan", "field_999"') == [(7, "gold", None)]
