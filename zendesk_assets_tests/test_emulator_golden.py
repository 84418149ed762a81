"""Golden digests of the generated account: speed work on the generator must not change one byte.

The emulator's records are pure functions of (seed, index, anchor); these digests pin them for two
seeds (every collection and extra truth via `truth()`, the state after a fixed `advance()`, and raw
export and list-mode pages served through the ASGI app). If a digest changes, generated data changed: that is a behaviour change, not a
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
from zendesk_assets.emulator.state import EXTRA_TRUTHS

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
        lists: tuple[tuple[str, dict[str, Any]], ...] = (
            ("/tickets.json", {"sort": "updated_at", "page[size]": 50}),
            ("/search/export.json", {"filter[type]": "ticket", "query": "updated>2020-01-01", "page[size]": 50}),
            ("/ticket_audits.json", {"page[size]": 20}),
            ("/deleted_users.json", {"page[size]": 20}),
            ("/ticket_forms.json", {}),
        )
        for path, query in lists:
            r = await c.get(path, params=query)
            assert r.status_code == 200, (path, r.text)
            out.append(r.content)
    return out


def _digests(seed: int) -> dict[str, str]:
    em = _emulator(seed)
    out = {name: _sha(em.truth(name)) for name in COLLECTION_NAMES + EXTRA_TRUTHS}
    out["pages"] = hashlib.sha256(b"\n".join(asyncio.run(_pages(em)))).hexdigest()
    em.advance(updates=6, deletes=2, creations=3, system_updates=2, unarchive=2, late_skips=2, rating_updates=2,
               late_audit_logs=2, late_activities=2)
    out["advanced"] = _sha({name: em.truth(name) for name in COLLECTION_NAMES + EXTRA_TRUTHS})
    return out


GOLDEN: dict[int, dict[str, str]] = {
    1: {
        "activities": "29e2f71817f4d5cbd755e7e2f7aa1d668c548ecef573d89617a0142b7b12ec09",
        "advanced": "dfdc20ba0300eedee3cf6a73a1d7d7e8c785f40dc03f43ca498b1724d8d8d9b3",
        "attachments": "113732763b81707d49d2e083ab806cf521c64f1140b36ccc252afea36284ebab",
        "audit_logs": "e9dd505460f4b01abce4c4bedf217da8f3ba55adac48058f527c0abea770d934",
        "group_memberships": "6b8df244935fbe8321cca1a3bfd76162313acef5298acccd30fd594e0aa7a92e",
        "groups": "2353d2ee3556ff1b5f646ca55e53d9fc8ba12eb7ba9d0e66825b2b5591b3992c",
        "organization_memberships": "2dd127536d30828b91946f33e975bf746d2921a59a9ebf699d98d80624363797",
        "organizations": "292bf11bdf6bd90633f0ae79fa1d520c33fad99e1c7f9a1739833267791e9e40",
        "pages": "5ee88b6ced127abe90f95fedd729979967a953150e131f5a837b714ad365a9d2",
        "satisfaction_ratings": "4b37157a57d9fcec329e6c21f58ed4a75ace51ba7ce91bef624af0e4ac0d76bc",
        "survey_responses": "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
        "ticket_comments": "28eab96c568eaf340ad6dec6b526a79c16c33d6cac44b515f17f92b958273b79",
        "ticket_events": "07f879e997f8c482d1fc90afacdf55665d2aea97e830980df4421b2ada3c455a",
        "ticket_field_history": "8f400c84008de66ce80a06baca3b8bd814bfc780293d15010841826186974dc8",
        "ticket_fields": "2f4ef4c877b52b88073005aa5f1bfc3b4353f855469f67831107b8342727562d",
        "ticket_forms": "f1b53169209668586771a72a703fc04612711ef73eeaaed57c76eef1fe1ca07e",
        "ticket_metrics": "4dddcaf1c9acfc1c6f6e7b5e4411d4a34658bbec52ed288013d2d32260daa543",
        "ticket_skips": "5aa7c23bd6b7a76d1d7cb602fa76033976b2008c52e55a2c979c9f9b8318387f",
        "tickets": "ba0d0a0a30b8ed33c9f97330f10bc1169e607d0d889ca460f040d6cc39ae1b49",
        "users": "f8f6b4dcc9a387dd648578c1a6ef4449843b738e63f91f6c609d1a5ce4b48783",
    },
    7: {
        "activities": "c9618d45a2cb683e69b0b97eeae54af1610a7301d698ff74172dc8b1085a39d9",
        "advanced": "bdb3dcec908e571a9d0b07c749d67603eb9caccbf9083c71186e1d740d8262cd",
        "attachments": "f2ff51d61e6c2c7a77bd3a5442664501f706bdf6e4bdce719950089590f9ef0b",
        "audit_logs": "f23c7e84d67577bd6f71aee0afe3420040d8340420cf4d79908a49dae13c1c92",
        "group_memberships": "d08d8addec98472a13a2cc1d2a78f06a34bcfc60046f299b581686f2bbceaf57",
        "groups": "4f9882ca652051fe1ad25758f62d1c0d22e5e866b7ec56d8baacd19abaf669ab",
        "organization_memberships": "4e40e31511cb5f1d761a094d5a2b5ca67cbdb0490e604d34b1118c7eeeff6e95",
        "organizations": "0785c6821eadf9b904b501effb62ee4950f32e14bf7aac05766ffa784ed77b51",
        "pages": "4a9024fd4b9966ab9951e5e0e20c8d6392bd007686cddd48a5147ae08de80f44",
        "satisfaction_ratings": "6556bcb55d7228c58b115b3512c6ef0fff466954f31ce63d38eb85b7eb4d2d73",
        "survey_responses": "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
        "ticket_comments": "11dac9fddc5cb28f8576f24b0bf22865c22293e093b2abaf32970d02eeaf933b",
        "ticket_events": "d4da58eb9f0dd4cd1fabea268e9ee40389967d56aa7e7fdd5dcf6ea02c832e8b",
        "ticket_field_history": "76c536b2beca4f0976f0b6e9595d56ba5de164edf36617b9d67b5f96b5b86166",
        "ticket_fields": "2f4ef4c877b52b88073005aa5f1bfc3b4353f855469f67831107b8342727562d",
        "ticket_forms": "f1b53169209668586771a72a703fc04612711ef73eeaaed57c76eef1fe1ca07e",
        "ticket_metrics": "411a8754ee1ee557a07be435a71ea87593987f77e92811eae2fad9cd9e335a43",
        "ticket_skips": "7a0c6e0babb77a0eb673b18fad7df3dff4018fd1608c5c9cf392840cd095b8eb",
        "tickets": "37ab3b97f26f87976b5e72f3aba4cbb37b6f44c1bcb24c42e55aba8c71e56ba8",
        "users": "4e2fee1d9643b217e15df3b6b4cf8f480139dfdeefd9471ab6fc8d89f1da1d9c",
    },
}


@pytest.mark.parametrize("seed", [1, 7])
def test_generated_account_is_byte_identical(seed: int) -> None:
    assert _digests(seed) == GOLDEN[seed]
