"""New CSAT over real HTTP against the emulator: survey responses land in csat_survey_responses, and
an account whose legacy satisfaction ratings are empty because it moved to the new CSAT is told so."""

import logging
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from zendesk_assets.batches import TableStats
from zendesk_assets.collections import SWEEPS
from zendesk_assets.config import load_accounts
from zendesk_assets.definitions import build_definitions
from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, EmulatorConfig, EmulatorServer
from zendesk_assets.hints import empty_table_hints
from zendesk_assets.sweeps import SweepRequest, open_stream
from zendesk_assets.warehouse import Warehouse
from zendesk_assets.zendesk.client import ZendeskClient
from zendesk_assets.zendesk.resource import ZendeskResource
from zendesk_assets.zendesk.settings import OAuthToken


def _serve(csat: str, tmp_path: Path) -> Iterator[tuple[EmulatorServer, ZendeskClient]]:
    config = EmulatorConfig(seed=8, tickets=120, users=40, organizations=5, hold_back_seconds=0, csat=csat)
    with EmulatorServer(config) as srv:
        resource = ZendeskResource(
            subdomain="demo", auth=OAuthToken(token=DEMO_OAUTH_TOKEN), base_url=srv.base_url,
            core_requests_per_minute=100_000, incremental_requests_per_minute=100_000,
            state_url=f"sqlite:///{tmp_path / 'state.sqlite'}",
        )  # fmt: skip
        client = resource.get_client()
        yield srv, client
        client.close()


@pytest.fixture(params=["legacy", "new", "new_only"])
def account(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, EmulatorServer, ZendeskClient]]:
    for srv, client in _serve(request.param, tmp_path):
        yield request.param, srv, client


def _sync(client: ZendeskClient, wh: Warehouse, sweep: str) -> dict[str, TableStats]:
    request = SweepRequest(SWEEPS[sweep], (sweep,), None, 0)
    return wh.write_stream(open_stream(client, request, wh.checkpoints(request.state_key)))


def test_survey_responses_land_and_an_empty_legacy_table_is_explained(
    account: tuple[str, EmulatorServer, ZendeskClient], tmp_path: Path
) -> None:
    mode, srv, client = account
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}", "zendesk")
    ratings = _sync(client, wh, "satisfaction_ratings")
    responses = _sync(client, wh, "csat_survey_responses")

    truth = srv.emulator.truth("survey_responses")
    assert (len(truth) > 10) == (mode != "legacy")
    rows = wh.fetch("SELECT id, ticket_id, rating, rating_category, comment FROM zendesk.csat_survey_responses")
    assert {r[0] for r in rows} == {t["id"] for t in truth}
    assert responses["csat_survey_responses"].rows == len(truth)
    # Lifted out of the answers: the ticket, a 1-5 rating with its category, the comment if any.
    legacy = {t["id"]: t for t in srv.emulator.truth("tickets") if t["satisfaction_rating"]}
    for _id, ticket_id, rating, category, comment in rows:
        assert 1 <= rating <= 5 and category == ("good" if rating >= 4 else "neutral" if rating == 3 else "bad")
        assert (rating >= 4) == (legacy[ticket_id]["satisfaction_rating"]["score"] == "good")
        assert comment == legacy[ticket_id]["satisfaction_rating"]["comment"]

    hints = empty_table_hints(client, wh, ratings, ["satisfaction_ratings"], lambda t: False)
    if mode == "new_only":
        assert ratings["satisfaction_ratings"].rows == 0
        (hint,) = hints.values()
        assert "satisfaction_ratings is empty" in hint and "add csat_survey_responses to ZENDESK_OPT_IN" in hint
        (enabled,) = empty_table_hints(client, wh, ratings, ["satisfaction_ratings"], lambda t: True).values()
        assert "they are synced into csat_survey_responses" in enabled
    else:
        assert hints == {}  # legacy: nothing elsewhere; new: the legacy table is not empty


def test_the_sync_says_why_satisfaction_ratings_is_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The satisfaction_ratings asset of an account on the new CSAT only: its run warns and its
    materialization carries the reason, as the UI shows it."""
    for srv, _client in _serve("new_only", tmp_path):
        monkeypatch.setenv("ZENDESK_TEST_TOKEN", DEMO_OAUTH_TOKEN)
        monkeypatch.setenv("ZENDESK_TEST_WAREHOUSE", f"duckdb:///{tmp_path / 'w.duckdb'}")
        (account,) = load_accounts({
            "ZENDESK_SUBDOMAIN": "demo", "ZENDESK_BASE_URL": srv.base_url, "ZENDESK_OAUTH_TOKEN": "x",
            "ZENDESK_CORE_RPM": "100000", "ZENDESK_INCREMENTAL_RPM": "100000",
        })  # fmt: skip
        account = account.model_copy(update={
            "auth": OAuthToken(token=dg.EnvVar("ZENDESK_TEST_TOKEN")), "warehouse_url": dg.EnvVar("ZENDESK_TEST_WAREHOUSE"),
            "state_url": f"sqlite:///{tmp_path / 'state.sqlite'}",
        })  # fmt: skip
        defs = build_definitions([account])
        key = dg.AssetKey([account.name, "satisfaction_ratings"])
        with dg.DagsterInstance.ephemeral() as instance:
            result = dg.materialize(
                [defs.get_assets_def(key)], resources=defs.resources, selection=[key], instance=instance
            )
            assert result.success
            logged = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
        (event,) = result.get_asset_materialization_events()
        why = event.materialization.metadata["zendesk/why_empty"].value
        assert isinstance(why, str) and "add csat_survey_responses to ZENDESK_OPT_IN" in why
        assert any("satisfaction_ratings is empty" in m for m in logged), logged
