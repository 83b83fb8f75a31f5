"""The console's vendored JavaScript: present, the versions LICENSES.txt records, served
locally (no page refers to another host), and the licence text kept beside it."""

from __future__ import annotations

import re

from bot.console.app import HERE

STATIC = HERE / "static"


def test_vendored_htmx_matches_the_recorded_version_and_licence() -> None:
    notes = (STATIC / "LICENSES.txt").read_text(encoding="utf-8")
    recorded = re.search(r"htmx\.org (\d+\.\d+\.\d+)", notes).group(1)
    assert f'version:"{recorded}"' in (STATIC / "htmx.min.js").read_text(encoding="utf-8")
    assert "htmx-ext-sse 2." in notes and "sseclose" in (STATIC / "htmx-ext-sse.min.js").read_text(encoding="utf-8").lower().replace("-", "")
    assert notes.count("Permission to use, copy, modify, and/or distribute this software") == 2


def test_templates_load_nothing_from_another_host() -> None:
    for template in (HERE / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r'(src|href)="(https?:)?//', text), template.name
