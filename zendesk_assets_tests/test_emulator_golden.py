"""Golden digests of the generated account: speed work on the generator must not change one byte.

The emulator's records are pure functions of (seed, index, anchor); these digests pin them for two
seeds (every collection via `truth()`, the state after a fixed `advance()`, and raw export pages served
through the ASGI app). If a digest changes, generated data changed: that is a behaviour change, not a
refactoring, and needs its own decision (then regenerate the constants with `_digests()`).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx
import orjson
import pytest

from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, Emulator, EmulatorConfig
from zendesk_assets.emulator.app import create_app
from zendesk_assets.emulator.config import COLLECTION_NAMES

ANCHOR = 1_700_000_000
SMALL: dict[str, Any] = dict(tickets=300, users=90, organizations=30, activities=60, ticket_skips=40,
                             audit_logs=80, hold_back_seconds=0, anchor=ANCHOR)


def _emulator(seed: int) -> Emulator:
    em = Emulator(EmulatorConfig(seed=seed, **SMALL))
    em.now = lambda: ANCHOR + 10  # type: ignore[method-assign]  # pin the clock: activities, hold-back, advance
    return em


def _sha(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def _pages(em: Emulator) -> list[bytes]:
    """Raw bodies of a few export pages, as the server sends them."""
    transport = httpx.ASGITransport(app=create_app(em))
    headers = {"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"}
    out: list[bytes] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test/api/v2",
                                 headers=headers) as c:
        start = em.gen.t_start
        r = await c.get("/incremental/tickets/cursor.json",
                        params={"start_time": start, "per_page": 100, "include": "metric_sets"})
        out.append(r.content)
        r = await c.get("/incremental/tickets/cursor.json",
                        params={"cursor": r.json()["after_cursor"], "per_page": 100, "include": "metric_sets"})
        out.append(r.content)
        for include in ("comment_events", None):
            params: dict[str, Any] = {"start_time": start, "per_page": 200}
            if include:
                params["include"] = include
            r = await c.get("/incremental/ticket_events.json", params=params)
            out.append(r.content)
        r = await c.get("/incremental/users/cursor.json", params={"start_time": start, "per_page": 100})
        out.append(r.content)
        r = await c.get("/incremental/organizations.json", params={"start_time": start})
        out.append(r.content)
    return out


def _digests(seed: int) -> dict[str, str]:
    em = _emulator(seed)
    out = {name: _sha(em.truth(name)) for name in COLLECTION_NAMES}
    out["pages"] = hashlib.sha256(b"\n".join(asyncio.run(_pages(em)))).hexdigest()
    em.advance(updates=6, deletes=2, creations=3, system_updates=2)
    out["advanced"] = _sha({name: em.truth(name) for name in COLLECTION_NAMES})
    return out


GOLDEN: dict[int, dict[str, str]] = {
    1: {
        "activities": "29e2f71817f4d5cbd755e7e2f7aa1d668c548ecef573d89617a0142b7b12ec09",
        "advanced": "3cc180561eb1735613bb8ab3352af8291c2a83ccce1fb02939e51cee29e1f737",
        "attachments": "b42fefaecf541f8c07e5159142f32fd4e50dde13da74c1df2029a3aa8055f332",
        "audit_logs": "e9dd505460f4b01abce4c4bedf217da8f3ba55adac48058f527c0abea770d934",
        "group_memberships": "6b8df244935fbe8321cca1a3bfd76162313acef5298acccd30fd594e0aa7a92e",
        "groups": "026257821f9de59f5a623f30b33a8bbf40ca90a90cdedf1013f1f5b8a3092ede",
        "organization_memberships": "2dd127536d30828b91946f33e975bf746d2921a59a9ebf699d98d80624363797",
        "organizations": "292bf11bdf6bd90633f0ae79fa1d520c33fad99e1c7f9a1739833267791e9e40",
        "pages": "7f04db694e3045fcc2bef186220d9f3a81b93b561ca807f98d7ace1e02526937",
        "satisfaction_ratings": "6c0d14990963752076cec0e3b0bdcd4b3ad01f1ec7022c821d160ca908c31aae",
        "ticket_comments": "af5677e18b5b96b57c4fca39322071df5ff77122bec193ec25a4ddc574653c39",
        "ticket_events": "8baac5110e15f1c6a20fd1e59d3ca84c701dc1595dbef852af3b66699fd91b45",
        "ticket_fields": "5be404ccd4037013663152176e6835b644a003736d46176a65531db6c47a3d7d",
        "ticket_forms": "ffd1cdb249ca33b4cf72a32bc6aa018bfa92182b79679d6f4af0fd7d42f57025",
        "ticket_metrics": "4dddcaf1c9acfc1c6f6e7b5e4411d4a34658bbec52ed288013d2d32260daa543",
        "ticket_skips": "56a7b08f2a01401aee4a2dfc3ddde0c919995e5c42dab56f78b76c26fbc37775",
        "tickets": "232a71ca8a01a3ac94598423d085971c7947c155057d6f65bcbfdea1c8eb27b1",
        "users": "8d9831d0ce6a8716dd81088434603c0d70f2bdb636c8ff6a02647d830e36a20b",
    },
    7: {
        "activities": "c9618d45a2cb683e69b0b97eeae54af1610a7301d698ff74172dc8b1085a39d9",
        "advanced": "8bbe0aaf5f8284da8334b3da317fa594b3faef5a4ded99ac996c2191950bcae5",
        "attachments": "62f4ca0612ee92d36013ee639aa936e0dcc75749a11b408af2961efa2531a2a9",
        "audit_logs": "f23c7e84d67577bd6f71aee0afe3420040d8340420cf4d79908a49dae13c1c92",
        "group_memberships": "d08d8addec98472a13a2cc1d2a78f06a34bcfc60046f299b581686f2bbceaf57",
        "groups": "1333baf1dc47950e04d35f4853b87ef6a0a260dd1d912eac4eefbb0d008e15a6",
        "organization_memberships": "4e40e31511cb5f1d761a094d5a2b5ca67cbdb0490e604d34b1118c7eeeff6e95",
        "organizations": "0785c6821eadf9b904b501effb62ee4950f32e14bf7aac05766ffa784ed77b51",
        "pages": "527b1ea76e6b30293a02fa19cddc3744ef2ab0b1081f31b61288c8b56a805638",
        "satisfaction_ratings": "18a0918f36f8d4e3e4e18c92cd7ca8316e363041ac92f5e5f1f9369e3880b3d0",
        "ticket_comments": "99933a28d18ecd4c58195479200f1a8fdb656d91d19cd99c255a5b1aa90cb16f",
        "ticket_events": "6c684ee6fe6fa8e9c4acd3d27cb34adeb0188723494ec5deee43b2f9b050ca60",
        "ticket_fields": "5be404ccd4037013663152176e6835b644a003736d46176a65531db6c47a3d7d",
        "ticket_forms": "ffd1cdb249ca33b4cf72a32bc6aa018bfa92182b79679d6f4af0fd7d42f57025",
        "ticket_metrics": "411a8754ee1ee557a07be435a71ea87593987f77e92811eae2fad9cd9e335a43",
        "ticket_skips": "edebe2023f26ec7c97aa0c20c4f9aa77931cc04c508a7c2587e3cf424ea0db22",
        "tickets": "14331b1fd58f389d38b535f47e332720f5fb182bf4cef438bc24484291043e8d",
        "users": "ef1047259137f601a286ffec0673533e83e266e796aa89e9d067127c82fcd377",
    },
}


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_account_is_byte_identical(seed: int) -> None:
    assert _digests(seed) == GOLDEN[seed]
