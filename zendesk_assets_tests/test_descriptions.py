"""Every description we ship (assets, columns, sweeps) is written by us and right for its table.

No mention of another vendor's product, no sentence of the product spec reused (8-word shingles and
short sentences, compared by fingerprint: ``wording.py``), and each asset description tells a
warehouse user its key, how deletes show, and, for an opt-in, how to turn it on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zendesk_assets.collections import COLLECTIONS, SWEEPS, SYSTEM_COLUMNS, SweepKind
from zendesk_assets_tests import wording

SPEC = Path("/work/shared/seed/zendesk-source.md")  # where the product spec lives on a team machine


def shipped() -> dict[str, str]:
    """Every description that reaches the UI or the warehouse docs, by where it sits."""
    from zendesk_assets.assets import account_assets
    from zendesk_assets.config import AccountConfig
    from zendesk_assets.translator import AccountGraph

    texts = {f"system column {c.name}": c.description for c in SYSTEM_COLUMNS}
    for c in COLLECTIONS.values():
        texts[f"{c.name}"] = c.description
        texts |= {f"{c.name}.{col.name}": col.description for col in c.columns}
    texts |= {f"sweep {s.name}": s.description for s in SWEEPS.values()}
    account = AccountConfig(name="zendesk", subdomain="acme", schema_name="zendesk")
    graph = AccountGraph.build(account, kind="duckdb")
    texts |= {f"endpoint {s.key.to_user_string()}": s.description or "" for s in graph.endpoints.values()}
    for assets in account_assets(graph):
        for spec in assets.specs:
            texts[f"asset {spec.key.to_user_string()}"] = spec.description or ""
    return texts


def test_no_description_names_another_vendor() -> None:
    found = [where for where, text in shipped().items() if "segment" in text.lower()]
    assert not found, f"descriptions naming Segment: {found}"


def test_no_description_reuses_a_sentence_of_the_spec() -> None:
    spec = wording.load()
    copied = {where: runs for where, text in shipped().items() if (runs := wording.copied_runs(text, spec))}
    assert not copied, f"wording taken from the product spec: {copied}"


def test_the_check_catches_a_copied_sentence() -> None:
    """The guard can fail: a column description pasted from the spec is caught."""
    pasted = "The API url of this ticket."
    assert wording.copied_runs(pasted, wording.load())


@pytest.mark.skipif(not SPEC.exists(), reason="the product spec is not on this machine")
def test_fingerprints_are_those_of_the_spec() -> None:
    assert wording.fingerprints(SPEC.read_text()) == wording.load(), (
        "run `python -m zendesk_assets_tests.wording /work/shared/seed/zendesk-source.md`"
    )


@pytest.mark.parametrize("name", list(COLLECTIONS))
def test_asset_description_says_what_a_warehouse_user_needs(name: str) -> None:
    c = COLLECTIONS[name]
    text = c.description
    assert f"keyed by `{c.primary_key}`" in text, f"{name}: name the primary key"
    if SWEEPS[c.sweep].kind is SweepKind.SNAPSHOT or c.removed_with_parent:
        assert "`_removed_at`" in text, f"{name}: say that vanished rows get _removed_at"
    if c.deleted is not None:
        assert c.deleted.column in text, f"{name}: say how a deleted record shows ({c.deleted.column})"
    if SWEEPS[c.sweep].partitioned:
        assert "partitioned" in text.lower(), f"{name}: say how it is partitioned"
    columns = {col.name: col.description for col in c.columns}
    assert all(columns.values()), f"{name}: a column without a description"
    assert "primary key" in columns[c.primary_key], f"{name}.{c.primary_key}: say it is the primary key"


def test_opt_in_assets_say_how_to_turn_them_on() -> None:
    texts = shipped()
    for c in COLLECTIONS.values():
        text = texts[f"asset zendesk/{c.name}"]
        assert ("ZENDESK_OPT_IN" in text and "opt_in" in text) == c.opt_in, c.name
