"""What travels from a sweep to the warehouse: lazy batches of records with their checkpoint.

A sweep reads one Zendesk endpoint once and routes each page's records to the tables it feeds.
It hands the warehouse a ``SweepStream``: an iterator of ``Batch`` objects, each holding the
rows of one API page for every table plus the checkpoint that page reached. The warehouse writes
a batch's rows and its checkpoint in one transaction, so a crash at any instant resumes from the
last committed page: nothing lost, nothing doubled. Memory stays at one page, whatever the
account's size. Writing a stream returns each table's ``TableStats``; the sweep's multi-asset
reports them, one ``MaterializeResult`` per table, so one read of Zendesk feeds several assets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from zendesk_assets.windows import Window

Record = Mapping[str, Any]


@dataclass(frozen=True)
class FieldDef:
    """A custom field definition (ticket, user or organization field)."""

    id: int
    title: str
    type: str
    key: str | None = None  # user/organization fields are keyed by key in records
    active: bool = True


@dataclass(frozen=True)
class Checkpoint:
    """How far a sweep has durably got inside one time window.

    Windows are half-open ``[window_start, window_end)`` in epoch seconds; ``window_end`` None is
    the live edge (the stream runs until Zendesk's end_of_stream). ``position`` is the epoch the
    stream has reached: everything in ``[window_start, position)`` is stored. ``resume`` is the
    opaque token (export cursor, next start_time, next-page URL) to continue from.
    ``committed_at`` is when the warehouse stored it (read back from ``_sync_state``; never compared).
    """

    sweep: str
    window_start: int
    window_end: int | None
    position: int | None
    resume: str | None
    done: bool = False
    committed_at: datetime | None = field(default=None, compare=False)

    @property
    def window(self) -> Window:
        return Window(self.window_start, self.window_end)

    @property
    def live(self) -> bool:
        return self.window_end is None

    def stored(self) -> Window:
        """What this window durably holds: the live window reaches the live edge, a closed window
        holds up to ``position`` until it is done, and all of itself once done."""
        if self.window_end is None or self.done:
            return self.window
        return Window(self.window_start, self.position or self.window_start)


@dataclass(frozen=True)
class Reread:
    """A page of a complete re-read of a list: once the whole pass is stored (its last checkpoint is
    done), rows of its tables that the pass did not return vanished from Zendesk and get
    _removed_at; only rows whose ``column`` is at or after ``since`` (epoch), the range the pass
    asked for, when ``since`` is set."""

    column: str
    since: int | None = None


@dataclass
class Batch:
    """One API page's worth of rows per table, and the checkpoint reached after it."""

    rows: Mapping[str, Sequence[Record]]
    checkpoint: Checkpoint | None = None
    field_defs: Mapping[str, Sequence[FieldDef]] | None = None  # newly discovered definitions
    # table -> (column, values): rows whose column holds one of the values get _removed_at
    removals: Mapping[str, tuple[str, Sequence[Any]]] | None = None
    reread: Reread | None = None  # part of a complete re-read of a list (see Reread)
    # table -> (column, value, ids): rows with these primary keys get column = value (a deleted
    # ticket known only by its id from the deleted-tickets list gets status 'deleted')
    marks: Mapping[str, tuple[str, Any, Sequence[Any]]] | None = None
    # partitioned sweeps: the month (partition key) every record of this batch belongs to, so what
    # the warehouse did can be reported per partition
    partition: str | None = None


@dataclass
class TableStats:
    """What the warehouse did to one table while writing one stream (or one page of it)."""

    rows: int = 0  # records received
    inserted: int = 0
    updated: int = 0
    skipped_older: int = 0  # monotonic guard: an older version arrived after a newer one
    removed: int = 0  # rows marked _removed_at (vanished from a snapshot, or with their parent)
    pages: int = 0

    def add(self, other: TableStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass(frozen=True)
class SweepStream:
    """A lazy stream of batches for the tables one sweep feeds; the warehouse drains it once."""

    sweep: str  # the state key its checkpoints are stored under
    tables: tuple[str, ...]
    batches: Iterator[Batch]
    field_defs: Mapping[str, Sequence[FieldDef]] = field(default_factory=dict)
    snapshot_tables: frozenset[str] = frozenset()  # complete snapshots: mark rows that vanished
