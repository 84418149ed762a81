"""The mutation clock: `Emulator.advance()` applies updates, deletes, creations and system-only updates,
plus the late arrivals a sync must reconcile (un-archived tickets, late skips, audit logs and
activities stamped in the past, ratings changed after creation).

Changes are stamped at now() and kept in the emulator's overlay; base records never change. Each
changed record leaves its base export slot and moves to the end of the export order, as on Zendesk.
Every Change child carries `previous_value`, the value the field held before.
"""

from __future__ import annotations

import bisect
import copy
import html
import random
from typing import Any, Protocol

from zendesk_assets.emulator import catalog as cat
from zendesk_assets.emulator import generate as gen
from zendesk_assets.emulator.config import EmulatorConfig
from zendesk_assets.emulator.generate import CUSTOM_STATUS_IDS, Generator, iso, mark_org_deleted
from zendesk_assets.emulator.ordering import ExportOrder

ADVANCE_COUNTS = ("updates", "deletes", "creations", "system_updates", "unarchive", "late_skips",
                  "rating_updates", "late_audit_logs", "late_activities")
LATE_LAG = (300, 3 * 3600)  # how far in the past a late record's created_at lies: 5 min to 3 h



class Account(Protocol):
    """What the mutation clock reads and changes of the emulated account (``state.Emulator``): the
    generator, the overlay of changed and late records, and the export orders."""

    config: EmulatorConfig
    gen: Generator
    n_tickets: int
    n_users: int
    n_orgs: int
    ticket_over: dict[int, dict[str, Any]]
    metric_over: dict[int, dict[str, Any] | None]
    rating_over: dict[int, dict[str, Any]]
    survey_over: dict[int, dict[str, Any]]
    user_over: dict[int, dict[str, Any]]
    org_over: dict[int, dict[str, Any]]
    events_over: dict[int, list[dict[str, Any]]]
    event_overlay: list[tuple[int, int, int, int]]
    gm_removed: set[int]
    gm_created: list[dict[str, Any]]
    om_removed: set[int]
    audit_logs_created: list[dict[str, Any]]
    activities_created: list[dict[str, Any]]
    skips_created: list[tuple[int, int, int, str]]
    unarchived: set[int]
    overlay_audit_serial: int
    ticket_order: ExportOrder
    user_order: ExportOrder
    org_order: ExportOrder

    def ticket(self, i: int) -> dict[str, Any]: ...
    def metric_set(self, i: int) -> dict[str, Any] | None: ...
    def rating(self, i: int) -> dict[str, Any] | None: ...
    def archived(self, i: int) -> bool: ...
    def skips_of(self, i: int) -> list[int]: ...
    def forget_skip_index(self) -> None: ...
    def user_index_of(self, user_id: int) -> int | None: ...
    def org_membership(self, j: int) -> dict[str, Any] | None: ...
    def group_membership(self, m: int) -> dict[str, Any] | None: ...


class Mutator:
    """One `advance()` call: deterministic from (seed, mutation number)."""

    def __init__(self, emulator: Account, r: random.Random, now: int) -> None:
        self.em = emulator
        self.r = r
        self.now = now
        self.summary: dict[str, dict[str, list[int]]] = {}

    def note(self, collection: str, action: str, record_id: int) -> None:
        self.summary.setdefault(collection, {}).setdefault(action, []).append(record_id)

    def run(self, counts: dict[str, int]) -> dict[str, Any]:
        if min(counts.values(), default=0) < 0:
            raise ValueError("advance(): counts must be >= 0")
        get = counts.get
        updates, deletes, creations = get("updates", 0), get("deletes", 0), get("creations", 0)
        system_updates = get("system_updates", 0)
        picked: set[int] = set()
        for _ in range(updates):
            i = self.pick_ticket(picked)
            if i is not None:
                self.update_ticket(i)
        for _ in range(_share(updates, 4)):
            self.update_user()
        for _ in range(_share(updates, 10)):
            self.update_org(delete=False)
        for _ in range(deletes):
            i = self.pick_ticket(picked)
            if i is not None:
                self.delete_ticket(i)
        for _ in range(_share(deletes, 2)):
            self.deactivate_user()
            self.remove_group_membership()
            self.remove_org_membership()
        for _ in range(_share(deletes, 3)):
            self.update_org(delete=True)
        for _ in range(creations):
            self.create_ticket()
        for _ in range(_share(creations, 2)):
            self.create_user()
            self.create_group_membership()
            self.create_audit_log()
        for _ in range(_share(creations, 5)):
            self.create_org()
        for _ in range(system_updates):
            i = self.pick_ticket(picked)
            if i is not None:
                self.system_update(i)
        for _ in range(get("unarchive", 0)):
            self.unarchive()
        for _ in range(get("late_skips", 0)):
            self.late_skip(picked)
        for _ in range(get("rating_updates", 0)):
            self.update_rating(picked)
        for _ in range(get("late_audit_logs", 0)):
            self.create_audit_log(late=True)
        for _ in range(get("late_activities", 0)):
            self.create_activity()
        return self.summary

    def lag(self) -> int:
        lo, hi = LATE_LAG
        return lo + int(self.r.random() * (hi - lo))
    # ---- tickets --------------------------------------------------------------------------------------
    def pick_ticket(self, picked: set[int], *, rated: bool = False) -> int | None:
        """A live ticket not touched yet in this call; never an archived one (archived tickets are
        read-only: https://support.zendesk.com/hc/en-us/articles/4408887617050)."""
        em = self.em
        for _ in range(400):
            i = int(self.r.random() * em.n_tickets)
            if i in picked or em.ticket(i)["status"] == "deleted" or em.archived(i):
                continue
            if rated and em.rating(i) is None:
                continue
            picked.add(i)
            return i
        return None

    def own_ticket(self, i: int) -> dict[str, Any]:
        rec = self.em.ticket_over.get(i)
        if rec is None:
            rec = copy.deepcopy(self.em.gen.ticket(i))
            self.em.ticket_over[i] = rec
        return rec

    def new_audit(self, i: int, updater_id: int, via: str, children: list[dict[str, Any]],
                  ticket_id: int) -> dict[str, Any]:
        em = self.em
        em.overlay_audit_serial += 1
        audit_id = gen.OVERLAY_AUDIT_BASE + em.overlay_audit_serial * gen.EVENT_STRIDE
        for n, child in enumerate(children, start=1):
            child["id"] = audit_id + n
            if child["event_type"] == "Comment":
                child["audit_id"] = audit_id
                for a, att in enumerate(child["attachments"]):
                    att_id = gen.ATTACHMENT_ID_BASE + (audit_id + n - gen.AUDIT_ID_BASE) * 4 + a
                    att["id"] = att_id
                    att["url"] = f"{em.gen.api}/attachments/{att_id}.json"
        system = em.gen.system_context(self.r)
        for child in children:
            if child["event_type"] == "Comment":
                child["metadata"] = {"system": system, "custom": {}}
        event = {
            "id": audit_id, "ticket_id": ticket_id, "timestamp": self.now, "created_at": iso(self.now),
            "updater_id": updater_id, "via": via, "via_reference_id": None,
            "system": system, "event_type": "Audit", "child_events": children,
        }
        events = em.events_over.setdefault(i, [])
        events.append(event)
        bisect.insort(em.event_overlay, (self.now, audit_id, i, len(events) - 1))
        self.note("ticket_events", "created", audit_id)
        return event

    def comment(self, author_index: int, public: bool, with_attachment: bool) -> dict[str, Any]:
        g = self.em.gen
        body = " ".join(cat.SENTENCES[int(self.r.random() * len(cat.SENTENCES))] for _ in range(2))
        child = g.comment_child(0, 0, self.now, author_index, body, public,
                                {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}}, self.r,
                                with_attachments=False)
        if with_attachment:
            child["attachments"] = [g.attachment(gen.AUDIT_ID_BASE, 0, self.r)]
        return child

    def touch_ticket(self, i: int, rec: dict[str, Any], *, system_only: bool = False) -> None:
        rec["generated_timestamp"] = self.now
        if not system_only:
            rec["updated_at"] = iso(self.now)
        self.em.ticket_order.touch(i, self.now, rec["id"])

    def touch_metric(self, i: int, rec: dict[str, Any], replies: int = 1) -> None:
        em = self.em
        ms = em.metric_set(i)
        if ms is None:
            return
        ms = copy.deepcopy(ms)
        ms["updated_at"] = rec["updated_at"]
        ms["replies"] += replies
        ms["latest_comment_added_at"] = rec["updated_at"]
        ms["status_updated_at"] = rec["updated_at"]
        ms["solved_at"] = rec["updated_at"] if rec["status"] in ("solved", "closed") else None
        em.metric_over[i] = ms
        self.note("ticket_metrics", "updated", ms["id"])

    def update_ticket(self, i: int) -> None:
        em, r = self.em, self.r
        rec = self.own_ticket(i)
        status = ("open", "pending", "solved", "hold")[int(r.random() * 4)]
        priority = ("low", "normal", "high", "urgent")[int(r.random() * 4)]
        tag = cat.TAGS[int(r.random() * len(cat.TAGS))]
        fields = rec["custom_fields"]
        k = int(r.random() * len(fields))
        value = em.gen.field_pools[k][1][19 + int(r.random() * 45)]
        children: list[dict[str, Any]] = []

        def change(key: str, new: Any, before: Any, **extra: Any) -> None:
            children.append({"id": 0, "via": "Web form", "via_reference_id": None, key: new, **extra,
                             "previous_value": before, "event_type": "Change"})

        if status != rec["status"]:
            change("status", status, rec["status"])
            rec["status"] = status
            rec["custom_status_id"] = CUSTOM_STATUS_IDS[status]
        if priority != rec["priority"]:
            change("priority", priority, rec["priority"])
            rec["priority"] = priority
        if tag not in rec["tags"]:
            before_tags = rec["tags"]
            rec["tags"] = sorted({*before_tags, tag})
            change("tags", rec["tags"], before_tags, added_tags=[tag], removed_tags=[])
        if value != fields[k]["value"]:
            change("custom_ticket_fields", {str(fields[k]["id"]): value}, fields[k]["value"])
            fields[k]["value"] = value
        rec["fields"] = copy.deepcopy(fields)
        self.touch_ticket(i, rec)
        assignee = rec["assignee_id"] or em.gen.user_id(0)
        if rec["assignee_id"] is None:
            change("assignee_id", assignee, None)
            rec["assignee_id"] = assignee
        a_index = em.user_index_of(assignee) or 0
        children.append(self.comment(a_index, r.random() < 0.7, r.random() < 0.5))
        self.new_audit(i, assignee, "Web form", children, rec["id"])
        self.touch_metric(i, rec)
        self.note("tickets", "updated", rec["id"])

    def delete_ticket(self, i: int) -> None:
        em = self.em
        rec = self.own_ticket(i)
        before = rec["status"]
        rec["status"] = "deleted"
        rec["custom_status_id"] = CUSTOM_STATUS_IDS["deleted"]
        self.touch_ticket(i, rec)
        if em.config.skips_hide_archived_and_deleted:  # the ticket's skips vanish with it
            for s in em.skips_of(i):
                self.note("ticket_skips", "deleted", gen.SKIP_ID_BASE + s)
        child = {"id": 0, "via": "Web form", "via_reference_id": None, "status": "deleted", "previous_value": before,
                 "event_type": "Change"}
        self.new_audit(i, self.em.gen.user_id(0), "Web form", [child], rec["id"])
        ms = self.em.metric_set(i)
        if ms is not None:
            self.note("ticket_metrics", "deleted", ms["id"])
        self.em.metric_over[i] = None  # deleted tickets have no metric set (the export sends none for them)
        self.note("tickets", "deleted", rec["id"])

    def system_update(self, i: int) -> None:
        """Automation/SLA-style change: generated_timestamp moves, updated_at does not."""
        rec = self.own_ticket(i)
        self.touch_ticket(i, rec, system_only=True)
        self.note("tickets", "system_updated", rec["id"])

    def create_ticket(self) -> None:
        em, g, r = self.em, self.em.gen, self.r
        i = em.n_tickets
        em.n_tickets += 1
        rec = copy.deepcopy(g._ticket(i))
        solved = r.random() < 0.3
        status = "solved" if solved else "new"
        rec.update({"created_at": iso(self.now), "updated_at": iso(self.now), "generated_timestamp": self.now,
                    "status": status, "custom_status_id": CUSTOM_STATUS_IDS[status], "satisfaction_rating": None,
                    "problem_id": None})
        if solved and rec["assignee_id"] is None:
            rec["assignee_id"] = g.user_id(0)
        em.ticket_over[i] = rec
        em.ticket_order.touch(i, self.now, rec["id"])
        requester = em.user_index_of(rec["requester_id"]) or 0
        keys = ("status", "priority", "type", "subject", "requester_id", "group_id", "tags")
        children: list[dict[str, Any]] = [
            {"id": 0, "via": "Web service", "via_reference_id": None, key: rec[key], "event_type": "Create"}
            for key in (*keys, "assignee_id") if key != "assignee_id" or rec["assignee_id"] is not None
        ]
        first = self.comment(requester, True, r.random() < 0.5)
        first["body"] = first["plain_body"] = rec["description"]
        first["html_body"] = f'<div class="zd-comment" dir="auto"><p>{html.escape(rec["description"])}</p></div>'
        children.append(first)
        self.new_audit(i, rec["requester_id"], "Web service", children, rec["id"])
        ms = g.build_metric_set(i, rec, self.now, self.now, 1, r)
        em.metric_over[i] = ms
        self.note("ticket_metrics", "created", ms["id"])
        if solved:
            rid = gen.RATING_ID_BASE + i
            rating = {
                "url": f"{g.api}/satisfaction_ratings/{rid}.json", "id": rid, "assignee_id": rec["assignee_id"],
                "group_id": rec["group_id"], "requester_id": rec["requester_id"], "ticket_id": rec["id"],
                "score": "good", "comment": "Fast and friendly 👍", "reason": "No reason provided",
                "reason_id": None, "created_at": iso(self.now), "updated_at": iso(self.now),
            }
            em.rating_over[i] = rating
            rec["satisfaction_rating"] = {"id": rid, "score": "good", "comment": rating["comment"],
                                          "reason": rating["reason"], "reason_id": None}
            self.note("satisfaction_ratings", "created", rid)
        self.note("tickets", "created", rec["id"])

    # ---- users, organizations, memberships, audit logs ---------------------------------------------
    def own_user(self, j: int) -> dict[str, Any]:
        rec = self.em.user_over.get(j)
        if rec is None:
            rec = copy.deepcopy(self.em.gen.user(j))
            self.em.user_over[j] = rec
        return rec

    def touch_user(self, j: int, rec: dict[str, Any]) -> None:
        rec["updated_at"] = iso(self.now)
        self.em.user_order.touch(j, self.now, rec["id"])

    def pick_end_user(self) -> int:
        g = self.em.gen
        return g.n_agents + int(self.r.random() * (self.em.n_users - g.n_agents))

    def update_user(self) -> None:
        j = self.pick_end_user()
        rec = self.own_user(j)
        rec["tags"] = sorted({*rec["tags"], cat.TAGS[int(self.r.random() * len(cat.TAGS))]})
        rec["user_fields"]["vip"] = not rec["user_fields"]["vip"]
        rec["notes"] = f"Updated at {iso(self.now)}"
        self.touch_user(j, rec)
        self.note("users", "updated", rec["id"])

    def deactivate_user(self) -> None:
        j = self.pick_end_user()
        rec = self.own_user(j)
        rec["active"] = False
        rec["email"] = None  # deleted users: active false, email null
        self.touch_user(j, rec)
        self.note("users", "deleted", rec["id"])

    def create_user(self) -> None:
        em = self.em
        j = em.n_users
        em.n_users += 1
        rec = copy.deepcopy(em.gen._user(j))
        rec.update({"created_at": iso(self.now), "active": True})
        if rec["email"] is None:
            rec["email"] = f"new.user.{j}@example.com"
        em.user_over[j] = rec
        self.touch_user(j, rec)
        self.note("users", "created", rec["id"])
        membership = em.org_membership(j)
        if membership is not None:
            self.note("organization_memberships", "created", membership["id"])

    def own_org(self, k: int) -> dict[str, Any]:
        rec = self.em.org_over.get(k)
        if rec is None:
            rec = copy.deepcopy(self.em.gen.organization(k))
            self.em.org_over[k] = rec
        return rec

    def update_org(self, *, delete: bool) -> None:
        em = self.em
        for _ in range(50):
            k = int(self.r.random() * em.n_orgs)
            rec = self.own_org(k)
            if rec["deleted_at"] is None:
                break
        else:
            return
        rec["updated_at"] = iso(self.now)
        if delete:
            mark_org_deleted(rec, self.now)
        else:
            rec["notes"] = f"Renewed {iso(self.now)[:10]}"
            rec["organization_fields"]["is_partner"] = not rec["organization_fields"]["is_partner"]
        em.org_order.touch(k, self.now, rec["id"])
        self.note("organizations", "deleted" if delete else "updated", rec["id"])

    def create_org(self) -> None:
        em = self.em
        k = em.n_orgs
        em.n_orgs += 1
        rec = copy.deepcopy(em.gen._organization(k))
        prefix = f"{rec['id']}_deleted_"
        if rec["name"].startswith(prefix):
            rec["name"] = rec["name"][len(prefix):]
        rec.update({"created_at": iso(self.now), "updated_at": iso(self.now), "deleted_at": None})
        em.org_over[k] = rec
        em.org_order.touch(k, self.now, rec["id"])
        self.note("organizations", "created", rec["id"])

    def remove_group_membership(self) -> None:
        em = self.em
        for _ in range(50):
            m = int(self.r.random() * 2 * em.gen.n_agents)
            rec = em.group_membership(m)
            if rec is not None:
                em.gm_removed.add(m)
                self.note("group_memberships", "deleted", rec["id"])
                return

    def remove_org_membership(self) -> None:
        em = self.em
        for _ in range(200):
            j = self.pick_end_user()
            rec = em.org_membership(j)
            if rec is not None:
                em.om_removed.add(j)
                self.note("organization_memberships", "deleted", rec["id"])
                return

    def create_group_membership(self) -> None:
        em, g = self.em, self.em.gen
        agent = int(self.r.random() * g.n_agents)
        group = int(self.r.random() * g.n_live_groups)
        mid = gen.GROUP_MEMBERSHIP_ID_BASE + (1 << 40) + len(em.gm_created)
        rec = {"url": f"{g.api}/group_memberships/{mid}.json", "id": mid, "user_id": g.user_id(agent),
               "group_id": g.group_id(group), "default": False, "created_at": iso(self.now),
               "updated_at": iso(self.now)}
        em.gm_created.append(rec)
        self.note("group_memberships", "created", mid)

    def create_audit_log(self, *, late: bool = False) -> None:
        """A new audit log; a late one is stamped up to hours in the past (it became visible late)."""
        em, g = self.em, self.em.gen
        a = em.config.audit_logs + len(em.audit_logs_created)
        rec = dict(g.audit_log(a))
        rec["created_at"] = iso(self.now - (self.lag() if late else 0))
        em.audit_logs_created.append(rec)
        self.note("audit_logs", "created", rec["id"])

    def create_activity(self) -> None:
        """An activity about the demo admin that shows up late (created_at in the past)."""
        em, g = self.em, self.em.gen
        a = em.config.activities + len(em.activities_created)
        rec = dict(g.activity(a))
        created = iso(self.now - self.lag())
        rec.update({"user_id": g.user_id(0), "created_at": created, "updated_at": created})
        em.activities_created.append(rec)
        self.note("activities", "created", rec["id"])

    # ---- late arrivals ---------------------------------------------------------------------------------
    def unarchive(self) -> None:
        """Take an archived ticket out of the archive: it is listed by /tickets again and, with
        `skips_hide_archived_and_deleted`, its old skips appear on /skips (with their old created_at)."""
        em = self.em
        for _ in range(2000):
            i = int(self.r.random() * em.gen.n_tickets)
            if em.archived(i):
                em.unarchived.add(i)
                self.note("tickets", "unarchived", em.gen.ticket_id(i))
                if em.config.skips_hide_archived_and_deleted:
                    for s in em.skips_of(i):
                        self.note("ticket_skips", "appeared", gen.SKIP_ID_BASE + s)
                return

    def late_skip(self, picked: set[int]) -> None:
        """A skip that reaches /skips late: its created_at lies up to hours in the past."""
        em, g = self.em, self.em.gen
        i = self.pick_ticket(picked)
        if i is None:
            return
        agent = g.random_agent(self.r)
        reason = cat.SKIP_REASONS[int(self.r.random() * len(cat.SKIP_REASONS))]
        em.skips_created.append((i, agent, self.now - self.lag(), reason))
        em.forget_skip_index()
        self.note("ticket_skips", "created", gen.SKIP_ID_BASE + em.config.ticket_skips + len(em.skips_created) - 1)

    def update_rating(self, picked: set[int]) -> None:
        """The requester changes a rating after giving it: updated_at moves, created_at stays, and the
        ticket records it (a SatisfactionRating audit event, see the audit events reference)."""
        em = self.em
        i = self.pick_ticket(picked, rated=True)
        if i is None:
            return
        old = em.rating(i)
        assert old is not None
        rating = copy.deepcopy(old)
        good = rating["score"] != "good"
        rating.update({"score": "good" if good else "bad",
                       "comment": "Changed my mind, all good now" if good else "It broke again",
                       "reason": "No reason provided" if good else "The issue was not resolved",
                       "reason_id": None if good else gen.BAD_REASON_ID + 1, "updated_at": iso(self.now)})
        em.rating_over[i] = rating
        rec = self.own_ticket(i)
        rec["satisfaction_rating"] = {k: rating[k] for k in ("id", "score", "comment", "reason", "reason_id")}
        self.touch_ticket(i, rec)
        child = {"id": 0, "via": "Web form", "via_reference_id": None, "score": rating["score"],
                 "assignee_id": rating["assignee_id"], "body": rating["comment"], "event_type": "SatisfactionRating"}
        self.new_audit(i, rec["requester_id"], "Web form", [child], rec["id"])
        if em.config.new_csat:
            em.survey_over[i] = em.gen.survey_response(i, rating)
        self.note("satisfaction_ratings", "updated", rating["id"])
        self.note("tickets", "updated", rec["id"])


def _share(n: int, divisor: int) -> int:
    """Side effects scale with the main count: ceil(n / divisor), 0 when n is 0."""
    return 0 if n <= 0 else -(-n // divisor)
