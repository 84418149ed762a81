"""SQL identifiers and URLs made safe: every name from Zendesk data is sanitised, then quoted.

Custom field titles are free text typed by Zendesk admins (``"; drop table users; --`` is a valid
title), and schema names come from configuration, so nothing reaches SQL unsanitised. The result
is portable across PostgreSQL (63-byte limit, case folding) and DuckDB: lowercase ``[a-z0-9_]``,
never starting with a digit, at most 63 characters, and always double-quoted anyway.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy.engine import make_url

MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1; DuckDB has no limit, so the stricter one wins.

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def sanitize_identifier(text: str, max_length: int = MAX_IDENTIFIER) -> str:
    """Fold free text into ``[a-z0-9_]``; may return "" (the caller picks a fallback)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    name = _NOT_WORD.sub("_", ascii_text.lower()).strip("_")
    if name and name[0].isdigit():
        name = "_" + name
    return name[:max_length].rstrip("_") if len(name) > max_length else name


def with_suffix(base: str, suffix: str) -> str:
    """``base_suffix``, shortening ``base`` so the whole name still fits the identifier limit."""
    room = MAX_IDENTIFIER - len(suffix) - 1
    return f"{base[:room].rstrip('_')}_{suffix}" if base else suffix


def quote(name: str) -> str:
    """Double-quote an identifier (standard SQL; doubles any embedded quote)."""
    return '"' + name.replace('"', '""') + '"'


def mask_url(url: str) -> str:
    """The warehouse URL with its password replaced, for logs, reprs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        # Unparseable: say nothing about it rather than risk echoing a secret.
        return "<unparseable warehouse URL>"
