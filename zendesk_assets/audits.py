"""Ticket audits in the ticket event export's shape, so list mode fills the same tables the same way.

An audit (``GET /ticket_audits``) and an exported ticket event describe the same ticket update; they
differ in form only: the audit names its author ``author_id`` and keeps ``system`` under ``metadata``;
its events carry ``type``, and a field change names the field in ``field_name``/``value`` where the
export's child event uses the field as its own key (a custom field under ``custom_ticket_fields``).
And ``via`` is an object (``{channel, source}``) on the audit where the export writes the via type's
name ("Web form", "Mail"): the name is looked up from the channel (``VIA_NAMES``).
https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_audits/,
https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference,
https://developer.zendesk.com/documentation/ticketing/reference-guides/via-object-reference
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zendesk_assets.zendesk.pagination import epoch

Record = dict[str, Any]  # an export-shaped record built here (mutable while built)

# The via object's channel -> the via type's name, as the ticket event export writes it (the via
# object reference pairs each channel with one type). A channel not listed keeps its own name.
VIA_NAMES: Mapping[str, str] = {
    "web": "Web form",
    "email": "Mail",
    "api": "Web service",
    "mobile": "Mobile",
    "chat": "Chat",
    "voice": "Voice",
    "side_conversation": "Side conversation",
    "native_messaging": "Native messaging",
    "rule": "Rule",
}
FIELD_EVENTS = ("Create", "Change")
CUSTOM_FIELD_CHANGE = "custom_ticket_fields"
# Event keys that are the audit API's own wording, not part of the export's child event.
_AUDIT_ONLY = frozenset({"type", "field_name", "value"})


def via_name(via: Any) -> Any:
    """The export's via string for an audit's (or event's) via object; anything else as it is."""
    if isinstance(via, Mapping):
        channel = via.get("channel")
        return VIA_NAMES.get(channel, channel) if isinstance(channel, str) else None
    return via


def audit_as_event(audit: Mapping[str, Any]) -> Record:
    """One audit as the ticket event export's record: the same ids, times, author, system context and
    child events, so the registry's row functions (``event_rows``, ``comment_rows``, ...) apply as they
    are. A comment keeps its own via object when the audit event has one (Zendesk adds it where it
    differs from the audit's), else takes the audit's."""
    created = audit.get("created_at")
    found = audit.get("metadata")
    metadata: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    via = via_name(audit.get("via"))
    children: list[Record] = []
    for event in audit.get("events") or ():
        if not isinstance(event, Mapping):
            continue
        kind = event.get("type")
        child: Record = {"id": event.get("id"), "via": via_name(event.get("via", via)),
                         "via_reference_id": event.get("via_reference_id")}  # fmt: skip
        if kind in FIELD_EVENTS:
            name = str(event.get("field_name"))
            if name.isdigit():  # a custom field, named by its id
                child[CUSTOM_FIELD_CHANGE] = {name: event.get("value")}
            else:
                child[name] = event.get("value")
            if kind == "Change":
                child["previous_value"] = event.get("previous_value")
            child["event_type"] = kind
        elif kind in ("Comment", "VoiceComment"):
            child.update(
                via=event.get("via", audit.get("via")),
                event_type=kind,
                comment_present=True,
                comment_public=event.get("public"),
                type=kind,
                **{k: v for k, v in event.items() if k not in ("id", "type", "via", "via_reference_id")},
            )
            child.setdefault("created_at", created)
            child.setdefault("metadata", metadata)
        else:
            child.update({k: v for k, v in event.items() if k != "type"}, event_type=kind)
        children.append(child)
    return {
        "id": audit.get("id"),
        "ticket_id": audit.get("ticket_id"),
        "timestamp": epoch(created),
        "created_at": created,
        "updater_id": audit.get("author_id"),
        "via": via,
        "via_reference_id": None,
        "system": metadata.get("system"),
        "event_type": "Audit",
        "child_events": children,
    }
