"""Field changes of ticket audits: the audit API's event shape and the ticket_field_history truth.

The emulator stores every audit once, in the ticket_events export's form (a Create/Change child names
the changed attribute as its own key, custom fields under `custom_ticket_fields`). The Ticket Audits
API lists the same changes as events with `field_name`, `value` and `previous_value`:
https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/ and
https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from zendesk_assets.emulator import catalog as cat

# Keys of a Create/Change child that are not the changed attribute.
_CHILD_META = frozenset({"id", "via", "via_reference_id", "event_type", "previous_value", "added_tags",
                         "removed_tags"})
FIELD_EVENT_TYPES = ("Create", "Change")
_EMPTY_SOURCE: dict[str, Any] = {"from": {}, "to": {}, "rel": None}


def field_changes(child: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(field_name, value) pairs of one Create/Change child: the attribute, or each custom field id."""
    custom = child.get("custom_ticket_fields")
    if isinstance(custom, dict):
        yield from custom.items()
        return
    for key, value in child.items():
        if key not in _CHILD_META:
            yield key, value
            return


def audit_view(event: dict[str, Any]) -> dict[str, Any]:
    """One stored audit as `GET /ticket_audits` and `GET /tickets/{id}/audits` render it. A comment
    carries its own via object where it differs from the audit's ("An event will have its own via
    object if it's different from the via object of the audit": the audit events reference)."""
    via = {"channel": cat.VIA_CHANNEL_OF.get(event["via"], "web"), "source": _EMPTY_SOURCE}
    events: list[dict[str, Any]] = []
    for child in event["child_events"]:
        kind = child["event_type"]
        if kind in FIELD_EVENT_TYPES:
            for name, value in field_changes(child):
                item = {"id": child["id"], "type": kind, "field_name": name, "value": value}
                if kind == "Change":
                    item["previous_value"] = child.get("previous_value")
                events.append(item)
        elif kind == "Comment":
            events.append({"id": child["id"], "type": "Comment", "author_id": child["author_id"],
                           "body": child["body"], "html_body": child["html_body"],
                           "plain_body": child["plain_body"], "public": child["public"],
                           "attachments": child["attachments"], "audit_id": child["audit_id"]}
                          | ({"via": child["via"]} if child.get("via") != via else {}))
        else:  # e.g. a SatisfactionRating event: already in the audit events reference's shape
            events.append({k: v for k, v in child.items() if k not in ("event_type", "via", "via_reference_id")}
                          | {"type": kind})
    return {
        "id": event["id"],
        "ticket_id": event["ticket_id"],
        "created_at": event["created_at"],
        "author_id": event["updater_id"],
        "metadata": {"system": event["system"], "custom": {}},
        "via": via,
        "events": events,
    }


def field_history_rows(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """ticket_field_history truth: one row per field a Create/Change child set, per audit."""
    for child in event["child_events"]:
        kind = child["event_type"]
        if kind not in FIELD_EVENT_TYPES:
            continue
        custom = isinstance(child.get("custom_ticket_fields"), dict)
        for name, value in field_changes(child):
            yield {
                "id": child["id"],
                "ticket_event_id": event["id"],
                "ticket_id": event["ticket_id"],
                "field_name": name,
                "ticket_field_id": int(name) if custom else None,
                "value": value,
                "previous_value": child.get("previous_value") if kind == "Change" else None,
                "event_type": kind,
                "updated": event["created_at"],
                "user_id": event["updater_id"],
                "via": child.get("via", event["via"]),
            }
