"""Static parts of the generated account: field definitions, forms and vocabularies.

Hostile values are deliberate: the warehouse side must survive SQL-ish titles, empty and duplicate
titles, unicode and emoji, because real admins type all of these into Zendesk.
"""

from __future__ import annotations

from typing import Any

TICKET_FIELD_ID_BASE = 360_000_000_000

# (type, title, key-ish tag, options) for the custom ticket fields, one of every Zendesk field type.
CUSTOM_TICKET_FIELDS: tuple[tuple[str, str], ...] = (
    ("checkbox", "Escalated"),
    ("date", "Renewal date"),
    ("decimal", "Contract value"),
    ("integer", "Seats"),
    ("regexp", "Order number"),
    ("tagger", "Region"),
    ("multiselect", "Products"),
    ("text", "Region"),  # duplicate title on purpose (two fields titled "Region")
    ("textarea", "Internal notes"),
    ("lookup", "Account manager"),
    ("partialcreditcard", "Card"),
    ("text", '"; drop table users; --'),
    ("text", ""),  # an empty title
    ("tagger", "Priorität 🚀 de la démo"),
    ("date", "Go-live"),
    ("integer", "Legacy counter"),  # inactive field, still present in custom_fields
)
INACTIVE_FIELD_POSITIONS = frozenset({15})

REGION_OPTIONS = (("EMEA", "emea"), ("Americas", "americas"), ("APAC", "apac"), ("Other / 其他", "other_region"))
PRODUCT_OPTIONS = (("Core", "prod_core"), ("Analytics", "prod_analytics"), ("Mobile 📱", "prod_mobile"))
PRIORITAET_OPTIONS = (("Hoch", "hoch"), ("Mittel", "mittel"), ("Niedrig", "niedrig"))

# System fields as /ticket_fields lists them: Type and Priority are `removable: true` on real accounts
# (an admin may deactivate them), the others are not; their `type` is the system field's own name.
# https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_fields/
SYSTEM_TICKET_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("subject", "Subject", False),
    ("description", "Description", False),
    ("status", "Status", False),
    ("tickettype", "Type", True),
    ("priority", "Priority", True),
    ("group", "Group", False),
    ("assignee", "Assignee", False),
    ("custom_status", "Ticket status", False),
)
SYSTEM_FIELD_TYPES = frozenset(t for t, _title, _removable in SYSTEM_TICKET_FIELDS)
# `system_field_options` of the system fields that have fixed choices.
SYSTEM_FIELD_OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "status": (("Open", "open"), ("Pending", "pending"), ("Solved", "solved")),
    "tickettype": (("Question", "question"), ("Incident", "incident"), ("Problem", "problem"), ("Task", "task")),
    "priority": (("Low", "low"), ("Normal", "normal"), ("High", "high"), ("Urgent", "urgent")),
}

USER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("user_date", "date", "Customer since"),
    ("user_decimal", "decimal", "Lifetime value"),
    ("user_dropdown", "dropdown", "Plan"),
    ("vip", "checkbox", "VIP"),
    ("seats", "integer", "Seats"),
    ("bio", "textarea", "Bio 📝"),
    ("employee_code", "regexp", "Employee code"),
    ("nickname", "text", '"; drop table users; --'),
)
ORGANIZATION_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("org_tier", "dropdown", "Tier"),
    ("renewal_date", "date", "Renewal date"),
    ("arr", "decimal", "ARR"),
    ("is_partner", "checkbox", "Partner"),
    ("account_owner", "text", "Account owner"),
    ("employees", "integer", "Employees"),
)
PLAN_OPTIONS = ("free", "pro", "enterprise")
TIER_OPTIONS = ("bronze", "silver", "gold")

FIRST_NAMES = (
    "Ana", "Björn", "Chloé", "Dmitri", "Eun-ji", "Fatima", "Giorgos", "Hiro", "Ingrid", "José", "Kwame",
    "Łukasz", "Maëlle", "Nadia", "Oğuz", "Priya", "Quentin", "Rosa", "Søren", "Tomás", "Uma", "Wei",
    "Xóchitl", "Yara", "Zoë", "O'Brien", "Jean-Luc", "María José",
)
LAST_NAMES = (
    "Andersson", "Bianchi", "Chen", "Dubois", "Eriksen", "Fernández", "García", "Hoffmann", "Ivanova",
    "Jensen", "Kowalski", "López", "Müller", "Nakamura", "O'Connor", "Petrov", "Quispe", "Rossi",
    "Schmidt", "Tanaka", "Üzüm", "Van der Berg", "Wójcik", "Xu", "Yilmaz", "Zhang", "山田", "Ólafsson",
)
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Cyberdyne", "Soylent",
    "Tyrell", "Aperture", "Vandelay", "Pied Piper", "Gringotts", "Nakatomi", "Oscorp", "Monarch",
)
COMPANY_SUFFIX = ("Inc.", "GmbH", "S.A.", "Ltd", "株式会社", "LLC", "& Co.", "AB", "Oy", "S.p.A.")
TLDS = ("com", "de", "fr", "io", "co.uk", "jp", "es", "se")
TIME_ZONES = (
    ("Eastern Time (US & Canada)", "America/New_York"),
    ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"),
    ("Tokyo", "Asia/Tokyo"),
    ("Pacific Time (US & Canada)", "America/Los_Angeles"),
    ("Sydney", "Australia/Sydney"),
)
LOCALES = (("en-US", 1), ("de", 8), ("fr", 16), ("ja", 67), ("es", 2), ("pt-BR", 19))

SUBJECT_TEMPLATES = (
    "Help, my {thing} is on fire!",
    "Cannot log in to {thing}",
    "Invoice question about {thing}",
    "Feature request: {thing} export",
    "{thing} shows error 500",
    "Problème avec {thing} — urgent",
    "{thing} の設定について",
    "Refund for {thing} 💸",
    "Re: Re: Fwd: {thing}",
    "Data \"quoted\" and 'single' in {thing}",
    "Backslash \\ path C:\\{thing}\\new",
    "Emoji storm 🔥🔥🔥 {thing} 👩‍💻",
    "مشكلة في {thing}",
    "{thing}: line one\nline two",
)
THINGS = (
    "printer", "dashboard", "API", "mobile app", "SSO", "billing portal", "webhook", "report",
    "Zendesk widget", "CSV import", "Überweisung", "naïve café sync", "データ",
)
SENTENCES = (
    "Thanks for reaching out, we are looking into it.",
    "Could you send a screenshot of the error?",
    "The issue started after yesterday's deploy.",
    "Merci de votre patience, nous revenons vers vous rapidement.",
    "ご不便をおかけして申し訳ありません。",
    "Tried clearing the cache; no luck 😕.",
    "Please see the attached log file.",
    "Escalating to tier 2 — ETA 24h.",
    "Größe: 12 µm; Temperatur: \u22124 °C.",
    "SELECT * FROM tickets; -- not a real query",
    "<script>alert('x')</script> was pasted by the customer.",
    "Line with tabs\tand\ttabs.",
)
TAGS = (
    "vip", "billing", "bug", "feature_request", "urgent", "mobile", "sso", "refund", "churn_risk",
    "enterprise", "trial", "api", "überprüfung", "日本", "emoji_🚀",
)
VIA_CHANNELS = ("web", "email", "api", "mobile", "chat", "voice", "side_conversation")
EVENT_VIA = {"web": "Web form", "email": "Mail", "api": "Web service", "mobile": "Mobile",
             "chat": "Chat", "voice": "Voice", "side_conversation": "Side conversation",
             "native_messaging": "Native messaging"}
# The inverse, for audits (whose `via` is an object with a channel).
VIA_CHANNEL_OF = {v: k for k, v in EVENT_VIA.items()}
CLIENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36",
    "Zendesk/iOS 6.2",
    "curl/8.5.0",
)
LOCATIONS = (
    ("Berlin, BE, Germany", 52.52, 13.405),
    ("San Francisco, CA, United States", 37.7749, -122.4194),
    ("Tokyo, 13, Japan", 35.6762, 139.6503),
    ("São Paulo, SP, Brazil", -23.5505, -46.6333),
    ("", 0.0, 0.0),
)
FILE_TYPES = (
    ("screenshot.png", "image/png"),
    ("log file (1).txt", "text/plain"),
    ("invoice_2024-07.pdf", "application/pdf"),
    ("données.csv", "text/csv"),
    ("写真.jpg", "image/jpeg"),
)
SKIP_REASONS = ("Not my area", "Need more context", "Customer is rude 🙃", "", "Language: 日本語")
ACTIVITY_VERBS = ("tickets.assignment", "tickets.comment", "tickets.priority_increase")
AUDIT_ACTIONS = (("login", "Signed in"), ("create", "Created"), ("update", "Updated"), ("destroy", "Deleted"))


def ticket_field_options(position: int) -> list[tuple[str, str]]:
    """The dropdown/multiselect options of a custom ticket field, by its catalog position."""
    field_type, title = CUSTOM_TICKET_FIELDS[position]
    if field_type == "multiselect":
        return list(PRODUCT_OPTIONS)
    if field_type == "tagger":
        return list(PRIORITAET_OPTIONS) if "Priorität" in title else list(REGION_OPTIONS)
    return []


def static_ticket_fields(subdomain: str, created_at: str) -> list[dict[str, Any]]:
    """`/ticket_fields` records: system fields first, then every custom field type."""
    records: list[dict[str, Any]] = []
    position = 0
    for field_type, title, removable in SYSTEM_TICKET_FIELDS:
        record = _ticket_field(subdomain, TICKET_FIELD_ID_BASE + position, field_type, title, position, True,
                               removable, [], created_at)
        if field_type in SYSTEM_FIELD_OPTIONS:
            record["system_field_options"] = [{"name": name, "value": value}
                                              for name, value in SYSTEM_FIELD_OPTIONS[field_type]]
        records.append(record)
        position += 1
    for k, (field_type, title) in enumerate(CUSTOM_TICKET_FIELDS):
        fid = custom_field_id(k)
        records.append(_ticket_field(subdomain, fid, field_type, title, position, k not in INACTIVE_FIELD_POSITIONS,
                                     True, ticket_field_options(k), created_at))
        position += 1
    return records


def custom_field_id(position: int) -> int:
    return TICKET_FIELD_ID_BASE + 1000 + position


def _ticket_field(subdomain: str, fid: int, field_type: str, title: str, position: int, active: bool,
                  removable: bool, options: list[tuple[str, str]], created_at: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "url": f"https://{subdomain}.zendesk.com/api/v2/ticket_fields/{fid}.json",
        "id": fid,
        "type": field_type,
        "slug": _slug(title) if title else None,
        "title": title,
        "raw_title": title,
        "description": f"Field {title}" if title else "",
        "raw_description": f"Field {title}" if title else "",
        "position": position,
        "active": active,
        "required": False,
        "collapsed_for_agents": False,
        "regexp_for_validation": r"^ORD-\d{6}$" if field_type == "regexp" else None,
        "title_in_portal": title,
        "raw_title_in_portal": title,
        "visible_in_portal": field_type in ("subject", "description"),
        "editable_in_portal": field_type in ("subject", "description"),
        "required_in_portal": False,
        "tag": "escalated" if field_type == "checkbox" else None,
        "created_at": created_at,
        "updated_at": created_at,
        "removable": removable,
        "key": None,
        "agent_description": f"Ask the customer for the {title.lower()}" if field_type == "regexp" else None,
        "sub_type_id": 0,
    }
    if options:
        record["custom_field_options"] = [
            {"id": fid * 10 + n, "name": name, "raw_name": name, "value": value, "default": False}
            for n, (name, value) in enumerate(options)
        ]
    if field_type == "lookup":
        record["relationship_target_type"] = "zen:user"
    return record


def _slug(title: str) -> str:
    return "_".join("".join(ch if ch.isalnum() else " " for ch in title.lower()).split())


def static_user_like_fields(kind: str, subdomain: str, created_at: str, id_base: int) -> list[dict[str, Any]]:
    """`/user_fields` or `/organization_fields` records (kind = "user_fields" | "organization_fields")."""
    spec = USER_FIELDS if kind == "user_fields" else ORGANIZATION_FIELDS
    out: list[dict[str, Any]] = []
    for n, (key, field_type, title) in enumerate(spec):
        fid = id_base + n
        record: dict[str, Any] = {
            "url": f"https://{subdomain}.zendesk.com/api/v2/{kind}/{fid}.json",
            "id": fid,
            "type": field_type,
            "key": key,
            "title": title,
            "raw_title": title,
            "description": "",
            "raw_description": "",
            "position": n,
            "active": True,
            "system": False,
            "regexp_for_validation": r"^E\d{4}$" if field_type == "regexp" else None,
            "created_at": created_at,
            "updated_at": created_at,
        }
        if field_type == "dropdown":
            options = PLAN_OPTIONS if kind == "user_fields" else TIER_OPTIONS
            record["custom_field_options"] = [
                {"id": fid * 10 + m, "name": o.title(), "raw_name": o.title(), "value": o}
                for m, o in enumerate(options)
            ]
        out.append(record)
    return out
