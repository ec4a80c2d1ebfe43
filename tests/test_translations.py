"""The Arabic catalogue is complete, and the compiled .mo that ships says what the .po says.

A fresh checkout has no msgfmt, so the .mo is committed; these tests catch a .po edited without
recompiling (`manage.py compilemessages`), an untranslated or fuzzy entry, and a translation
that lost one of its %(placeholders)s.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "ar" / "LC_MESSAGES"
PO, MO = LOCALE / "django.po", LOCALE / "django.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# One count per Arabic plural form: zero, one, two, few (3-10), many (11-99), other (100+).
COUNT_FOR_FORM = [0, 1, 2, 3, 11, 100]


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        return f"django.po:{self.line} {self.msgid[:60]!r}"


def parse_po(text: str) -> list[Entry]:
    """Just enough of the PO format for what makemessages writes (obsolete `#~` skipped)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            entry, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            keyword, index = target
            _append(entry, keyword, index, ast.literal_eval(line))
        else:
            keyword, _, value = line.partition(" ")
            index = 0
            if keyword.startswith("msgstr["):
                keyword, index = "msgstr", int(keyword[7:-1])
            target = (keyword, index)
            if keyword == "msgstr":
                entry.msgstr[index] = ""
            elif keyword == "msgid_plural" or keyword == "msgctxt":
                setattr(entry, keyword, "")
            _append(entry, keyword, index, ast.literal_eval(value))
    return [e for e in entries if e.msgstr]


def _append(entry: Entry, keyword: str, index: int, value: str) -> None:
    if keyword == "msgstr":
        entry.msgstr[index] += value
    else:
        setattr(entry, keyword, getattr(entry, keyword) + value)


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(entries) -> list[Entry]:
    return [e for e in entries if e.msgid]


def test_the_catalogue_has_its_header_and_messages(entries, messages):
    [header] = [e for e in entries if not e.msgid]
    assert "Language: ar" in header.msgstr[0]
    assert "nplurals=6;" in header.msgstr[0]
    assert len(messages) > 100


def test_nothing_is_fuzzy(entries):
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    assert fuzzy == [], "review these translations, then drop their `#, fuzzy` line"


def test_every_message_is_translated(messages):
    untranslated = [
        str(e)
        for e in messages
        if len(e.msgstr) != (6 if e.msgid_plural is not None else 1)
        or not all(text.strip() for text in e.msgstr.values())
    ]
    assert untranslated == [], "translate these in locale/ar/LC_MESSAGES/django.po"


def test_translations_keep_their_placeholders(messages):
    broken = []
    for e in messages:
        wanted = set(PLACEHOLDER.findall(e.msgid + (e.msgid_plural or "")))
        for index, text in e.msgstr.items():
            used = set(PLACEHOLDER.findall(text))
            # Arabic may spell out one or two ("واحد", "اثنان") instead of showing the number.
            singular_form = e.msgid_plural is None or COUNT_FOR_FORM[index] not in (0, 1, 2)
            if used - wanted or (singular_form and used != wanted):
                broken.append(f"{e} msgstr[{index}] uses {sorted(used)}, not {sorted(wanted)}")
    assert broken == []


def test_compiled_catalogue_matches_the_po(messages):
    with MO.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for e in messages:
        if e.msgid_plural is None:
            got = [
                compiled.pgettext(e.msgctxt, e.msgid)
                if e.msgctxt is not None
                else compiled.gettext(e.msgid)
            ]
        else:
            got = [
                compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
                if e.msgctxt is not None
                else compiled.ngettext(e.msgid, e.msgid_plural, n)
                for n in COUNT_FOR_FORM
            ]
        if got != [e.msgstr[i] for i in sorted(e.msgstr)]:
            stale.append(str(e))
    assert stale == [], "the .mo is older than the .po: run `manage.py compilemessages -l ar`"


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="makemessages needs GNU gettext (CI installs it)"
)
def test_every_message_in_the_code_is_in_the_catalogue(tmp_path, messages):
    """makemessages over a copy of the code finds nothing the committed .po lacks, so no
    English sentence shows up on an Arabic page."""
    root = PO.parents[3]
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        ".*", "__pycache__", "node_modules", "screenshots", "*.mo", "*.png", "*.jpg", "*.woff2"
    )
    for item in root.iterdir():
        if item.name.startswith(".") or item.name in ("bench", "tests", "docs"):
            continue
        if item.is_dir():
            shutil.copytree(item, copy / item.name, ignore=ignore)
        else:
            shutil.copy2(item, copy / item.name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ar", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(copy)},
    )
    found = parse_po((copy / "locale/ar/LC_MESSAGES/django.po").read_text(encoding="utf-8"))
    known = {(e.msgctxt, e.msgid) for e in messages}
    missing = sorted(e.msgid[:70] for e in found if e.msgid and (e.msgctxt, e.msgid) not in known)
    assert not missing, (
        "run `manage.py makemessages -l ar`, translate these, then compilemessages:\n"
        + "\n".join(missing)
    )
