"""Field history, the columns analysts query, AI-agent tickets and new CSAT, over real HTTP.

Contract: every Change child of the ticket_events export carries `previous_value`, and the history is a
chain: each change starts where the previous value of that field left off and ends at the ticket's
current value (status, priority, tags, assignee, custom fields under `custom_ticket_fields`), also after
`advance()`; `truth("ticket_field_history")` has one row per field per Create/Change child and agrees with
the audits API's `field_name`/`value`/`previous_value` events; the columns issue 12 lists are present with
realistic values; AI-agent tickets stay out of the ticket and ticket-event exports unless
`support_type_scope` asks for them; a new-CSAT account serves survey responses consistent with its
ratings.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from zendesk_assets.emulator import DEMO_OAUTH_TOKEN, EmulatorConfig, EmulatorServer
from zendesk_assets.emulator.crawl import walk_cbp, walk_cursor_export, walk_time_export

BASE: dict[str, Any] = dict(seed=12, tickets=400, users=120, organizations=30, hold_back_seconds=0)
STATE_FIELDS = ("status", "priority", "tags", "assignee_id", "group_id", "type", "subject", "requester_id")


def _client(srv: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=srv.base_url + "/api/v2", headers={"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"},
                        timeout=30)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(**BASE)) as srv:
        yield srv


def _replay(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Each ticket's fields after replaying its field history; asserts every change is a chain link."""
    state: dict[int, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r["updated"], r["ticket_event_id"], r["id"])):
        fields = state.setdefault(row["ticket_id"], {})
        # Creation audits list system fields only, so a custom field's first change has no row before it.
        first_custom = row["ticket_field_id"] is not None and row["field_name"] not in fields
        if row["event_type"] == "Change" and not first_custom:
            assert fields.get(row["field_name"]) == row["previous_value"], row
            assert row["value"] != row["previous_value"], row
        fields[row["field_name"]] = row["value"]
    return state


def _assert_history_matches_tickets(em: Any) -> None:
    rows = em.truth("ticket_field_history")
    state = _replay(rows)
    for ticket in em.truth("tickets"):
        fields = state[ticket["id"]]
        expected = {k: ticket[k] for k in STATE_FIELDS if k in fields}
        if ticket["status"] == "deleted" and fields["status"] != "deleted":
            expected.pop("status")  # a ticket created and deleted in one audit is not modelled
        assert {k: fields[k] for k in expected} == expected, ticket["id"]
        custom = {str(cf["id"]): cf["value"] for cf in ticket["custom_fields"]}
        assert all(custom[k] == v for k, v in fields.items() if k.isdigit()), ticket["id"]


def test_field_history_is_a_chain_ending_at_each_ticket(server: EmulatorServer) -> None:
    em = server.emulator
    rows = em.truth("ticket_field_history")
    names = {r["field_name"] for r in rows}
    assert {"status", "priority", "tags", "assignee_id"} <= names
    assert any(r["ticket_field_id"] is not None and r["field_name"] == str(r["ticket_field_id"]) for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    _assert_history_matches_tickets(em)


def test_field_history_stays_a_chain_after_changes() -> None:
    with EmulatorServer(EmulatorConfig(**BASE)) as srv:
        em = srv.emulator
        em.advance(updates=25, deletes=5, creations=8, rating_updates=3)
        em.advance(updates=25)
        _assert_history_matches_tickets(em)


def test_export_change_children_carry_previous_value(client_events: list[dict[str, Any]]) -> None:
    changes = [c for e in client_events for c in e["child_events"] if c["event_type"] == "Change"]
    assert changes and all("previous_value" in c for c in changes)
    creates = [c for e in client_events for c in e["child_events"] if c["event_type"] == "Create"]
    assert creates and not any("previous_value" in c for c in creates)
    custom = [c for c in changes if "custom_ticket_fields" in c]
    assert custom and all(len(c["custom_ticket_fields"]) == 1 for c in custom)


@pytest.fixture(scope="module")
def client_events(server: EmulatorServer) -> list[dict[str, Any]]:
    with _client(server) as c:
        events, _ = walk_time_export(c, "/incremental/ticket_events.json", "ticket_events", include="comment_events")
    return list(events.values())


def test_audits_api_events_agree_with_the_field_history(server: EmulatorServer) -> None:
    em = server.emulator
    i = next(i for i in range(em.n_tickets)
             if not em.archived(i) and em.ticket(i)["status"] != "deleted"
             and any("previous_value" in c for e in em.ticket_events(i) for c in e["child_events"]))
    tid = em.gen.ticket_id(i)
    with _client(server) as c:
        audits = walk_cbp(c, f"/tickets/{tid}/audits.json", "audits")
    from_api = [(e["id"], e["field_name"], e["value"], e.get("previous_value"))
                for a in audits for e in a["events"] if e["type"] in ("Create", "Change")]
    from_truth = [(r["id"], r["field_name"], r["value"], r["previous_value"])
                  for r in em.truth("ticket_field_history") if r["ticket_id"] == tid]
    assert from_api == from_truth
    comment = next(e for a in audits for e in a["events"] if e["type"] == "Comment")
    assert {"body", "html_body", "plain_body", "public", "author_id", "attachments", "audit_id"} <= set(comment)
    assert all(a["via"]["channel"] and a["metadata"]["system"] for a in audits)


# ---- columns analysts query (issue 12) -----------------------------------------------------------------------------
def test_the_columns_analysts_query_are_present(server: EmulatorServer) -> None:
    em = server.emulator
    groups = em.truth("groups")
    assert {"is_public", "default", "description"} <= set(groups[0])
    assert any(not g["is_public"] for g in groups) and any(g["description"] for g in groups)
    users = em.truth("users")
    assert all({"iana_time_zone", "default_group_id", "photo", "shared_phone_number", "report_csv"} <= set(u)
               for u in users)
    assert any(u["photo"] and u["photo"]["thumbnails"] for u in users)
    assert any(u["shared_phone_number"] is True for u in users) and any(u["shared_phone_number"] is False for u in users)
    tickets = em.truth("tickets")
    keys = {"is_public", "allow_channelback", "allow_attachments", "email_cc_ids", "followup_ids",
            "from_messaging_channel"}
    assert all(keys <= set(t) for t in tickets)
    assert any(not t["is_public"] for t in tickets) and any(t["email_cc_ids"] for t in tickets)
    assert any(t["followup_ids"] for t in tickets)
    fields = em.truth("ticket_fields")
    assert all({"agent_description", "sub_type_id"} <= set(f) for f in fields)
    assert any(f.get("custom_field_options") for f in fields) and any(f.get("system_field_options") for f in fields)
    assert all({"url", "custom_status_updated_at"} <= set(m) for m in em.truth("ticket_metrics"))
    assert all("via_reference_id" in e for e in em.truth("ticket_events"))
    assert all({"object", "target"} <= set(a) for a in em.truth("activities"))
    attachments = em.truth("attachments")
    assert all({"thumbnails", "width", "height", "malware_access_override", "malware_scan_result"} <= set(a)
               for a in attachments)
    assert any(a["thumbnails"] for a in attachments) and {a["malware_scan_result"] for a in attachments} == {
        "malware_not_found", "not_scanned"}
    comments = em.truth("ticket_comments")
    assert all(c["metadata"]["system"]["client"] and c["audit_id"] and "plain_body" in c for c in comments)
    forms = em.truth("ticket_forms")
    assert any(f["end_user_conditions"] and f["agent_conditions"] for f in forms)
    assert all({"default", "view_tickets"} <= set(m) for m in em.truth("organization_memberships"))
    assert all(a["actor_name"] for a in em.truth("audit_logs"))
    ratings = em.truth("satisfaction_ratings")
    assert any(r["reason_id"] for r in ratings if r["score"] == "bad")


# ---- AI-agent tickets -----------------------------------------------------------------------------------------------
def test_ai_agent_tickets_need_support_type_scope() -> None:
    with EmulatorServer(EmulatorConfig(**BASE, ai_agent_share=0.2)) as srv, _client(srv) as c:
        em = srv.emulator
        ai = {t["id"] for t in em.truth("tickets") if t["via"]["channel"] == "native_messaging"}
        assert ai and all(t["assignee_id"] is None for t in em.truth("tickets") if t["id"] in ai)
        default, _, _ = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets")
        agent, _, _ = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets",
                                         support_type_scope="agent")
        everything, _, _ = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets",
                                              support_type_scope="all")
        only_ai, _, _ = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets",
                                           support_type_scope="ai_agent")
        assert {t["id"] for t in default} == {t["id"] for t in agent} == {t["id"] for t in everything} - ai
        assert {t["id"] for t in everything} == {t["id"] for t in em.truth("tickets")}
        assert {t["id"] for t in only_ai} == ai
        events, _ = walk_time_export(c, "/incremental/ticket_events.json", "ticket_events")
        all_events, _ = walk_time_export(c, "/incremental/ticket_events.json", "ticket_events",
                                         support_type_scope="all")
        assert not {e["ticket_id"] for e in events.values()} & ai
        assert set(all_events) == {e["id"] for e in em.truth("ticket_events")}
        bad = c.get("/incremental/ticket_events.json", params={"start_time": 0, "support_type_scope": "bots"})
        assert bad.status_code == 400
        # Escalation: once an agent is assigned, an AI-agent ticket is a regular one and the default
        # export carries it (moved to the end, as any changed ticket).
        _, _, cursor = walk_cursor_export(c, "/incremental/tickets/cursor.json", "tickets")
        escalated: set[int] = set()
        for _ in range(20):
            escalated |= set(em.advance(updates=20)["tickets"]["updated"]) & ai
            if escalated:
                break
        assert escalated
        time.sleep(1.1)
        later = c.get("/incremental/tickets/cursor.json", params={"cursor": cursor}).json()["tickets"]
        assert escalated <= {t["id"] for t in later}


# ---- new CSAT -------------------------------------------------------------------------------------------------------
def test_new_csat_serves_survey_responses_matching_the_ratings() -> None:
    with EmulatorServer(EmulatorConfig(**BASE, csat="new")) as srv, _client(srv) as c:
        em = srv.emulator
        responses = walk_cbp(c, "/guide/survey_responses.json", "survey_responses", size=25)
        ratings = {r["ticket_id"]: r for r in em.truth("satisfaction_ratings")}
        assert len(responses) == len(ratings) == len(em.truth("survey_responses"))
        for resp in responses:
            ticket_id = int(resp["subjects"][0]["id"])
            rating = ratings[ticket_id]
            scale = resp["answers"][0]
            assert resp["subject_zrns"] == [f"zen:ticket:{ticket_id}"]
            assert resp["responder_id"] == rating["requester_id"] and len(resp["id"]) == 26
            assert (scale["rating"] >= 4) == (rating["score"] == "good")
        one = responses[0]
        zrn = one["subject_zrns"][0]
        only = c.get("/guide/survey_responses.json", params={"filter[subject_zrns]": zrn}).json()
        assert [r["id"] for r in only["survey_responses"]] == [one["id"]]
        changed = em.advance(rating_updates=2)["satisfaction_ratings"]["updated"]
        after = {r["subjects"][0]["id"]: r for r in em.truth("survey_responses")}
        for rid in changed:
            rating = next(r for r in em.truth("satisfaction_ratings") if r["id"] == rid)
            answer = after[str(rating["ticket_id"])]["answers"][0]
            assert (answer["rating"] >= 4) == (rating["score"] == "good")
            assert answer["updated_at"] != answer["created_at"]


def test_legacy_csat_accounts_have_no_survey_responses(server: EmulatorServer) -> None:
    with _client(server) as c:
        assert c.get("/guide/survey_responses.json").json()["survey_responses"] == []
    with EmulatorServer(EmulatorConfig(**BASE, plan="team", csat="new")) as srv, _client(srv) as c:
        assert c.get("/guide/survey_responses.json").status_code == 403
