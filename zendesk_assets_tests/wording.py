"""Fingerprints of a text's wording, to prove our descriptions are not copied from the product spec.

The spec (a vendor's page) is not part of the repository, so what the test keeps is one short hash
per normalised 8-word shingle and per short sentence of it (``data/seed_fingerprints.txt``): enough
to detect a reused sentence, nothing a reader could reconstruct the page from. ``python -m
zendesk_assets_tests.wording SPEC.md`` rewrites the file from the spec.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

SHINGLE = 8  # words: a run this long shared with the spec is a copied sentence
SHORT = 4  # a whole spec sentence of 4..7 words reused verbatim counts too
FINGERPRINTS = Path(__file__).parent / "data" / "seed_fingerprints.txt"


def words(text: str) -> list[str]:
    """Lower-case words with markup (HTML tags, Markdown links' targets, code marks) removed."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\]\([^)]*\)", " ", text)
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))


def sentences(text: str) -> Iterator[list[str]]:
    for part in re.split(r"[.!?;:|\n]+(?:\s|$)|\|", re.sub(r"<[^>]+>", "\n", text)):
        found = words(part)
        if found:
            yield found


def _hash(run: Iterable[str]) -> str:
    return hashlib.sha1(" ".join(run).encode()).hexdigest()[:10]


def fingerprints(text: str) -> set[str]:
    """What is kept of the spec: its 8-word shingles and its short sentences, hashed."""
    found: set[str] = set()
    for sentence in sentences(text):
        if SHORT <= len(sentence) < SHINGLE:
            found.add(_hash(sentence))
    all_words = words(text)
    found |= {_hash(all_words[i : i + SHINGLE]) for i in range(len(all_words) - SHINGLE + 1)}
    return found


def copied_runs(text: str, spec: set[str]) -> list[str]:
    """Runs of ``text`` (4 to 8 words) whose fingerprint is the spec's."""
    found = words(text)
    return [
        " ".join(found[i : i + n])
        for n in range(SHORT, SHINGLE + 1)
        for i in range(len(found) - n + 1)
        if _hash(found[i : i + n]) in spec
    ]


def load() -> set[str]:
    return set(FINGERPRINTS.read_text().split())


if __name__ == "__main__":
    FINGERPRINTS.write_text("\n".join(sorted(fingerprints(Path(sys.argv[1]).read_text()))) + "\n")
