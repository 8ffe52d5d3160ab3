"""Every page is built from the Jinja2 templates (``analysis/templates/``, rendered by ``analysis/html.py`` with
autoescaping), never by joining strings of HTML: no Python module writes a page's ``<html>`` or doctype itself."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["sim", "analysis", "pkosim", "bench"]
PAGE_START = re.compile(r"<html|<!doctype", re.IGNORECASE)


def test_no_module_writes_the_start_of_a_page_by_hand():
    by_hand = [f"{path.relative_to(ROOT)}:{number}"
               for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if PAGE_START.search(line)]
    assert by_hand == []


def test_the_templates_are_where_pages_start():
    """The guard above looks for the right thing: the base template is where it is found."""
    assert PAGE_START.search((ROOT / "analysis" / "templates" / "base.html.j2").read_text())
