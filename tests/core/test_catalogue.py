"""Simplified Chinese is complete: every string of the catalogue is translated and none is fuzzy, the
compiled catalogue is the source's, and the catalogue holds every string the code marks (makemessages
run into a copy finds nothing new)."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def entries(text: str) -> list[dict[str, object]]:
    """(msgctxt, msgid, msgid_plural, msgstr[...], flags) of each entry, strings joined."""
    out: list[dict[str, object]] = []
    for block in re.split(r"\n\s*\n", text):
        if "msgid" not in block:
            continue
        if all(line.startswith("#") for line in block.splitlines() if line.strip()):
            continue  # obsolete (#~ lines, maybe after a #, fuzzy flag): not in the catalogue
        entry: dict[str, object] = {"flags": "", "msgstr": []}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = line
            elif line.startswith("#"):
                continue
            else:
                m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
                if m:
                    key = m.group(1)
                    value = bytes(m.group(2), "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
                    if key.startswith("msgstr"):
                        entry["msgstr"].append(value)  # type: ignore[union-attr]
                    else:
                        entry[key] = value
                elif line.startswith('"') and key:
                    value = bytes(line[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
                    if key.startswith("msgstr"):
                        entry["msgstr"][-1] += value  # type: ignore[index]
                    else:
                        entry[key] = str(entry[key]) + value
        if entry.get("msgid") == "" and "msgctxt" not in entry:
            continue  # the header
        out.append(entry)
    return out


def test_every_string_is_translated_and_none_is_fuzzy() -> None:
    found = entries(PO.read_text(encoding="utf-8"))
    assert len(found) > 400
    untranslated = [e["msgid"] for e in found if not all(e["msgstr"])]  # type: ignore[union-attr]
    fuzzy = [e["msgid"] for e in found if "fuzzy" in str(e["flags"])]
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:10]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy: {fuzzy[:10]}"


def test_the_compiled_catalogue_is_the_source() -> None:
    with MO.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for entry in entries(PO.read_text(encoding="utf-8")):
        if "msgid_plural" in entry or "msgctxt" in entry:
            continue
        assert compiled.gettext(str(entry["msgid"])) == entry["msgstr"][0], entry["msgid"]  # type: ignore[index]


def test_the_catalogue_holds_every_marked_string(tmp_path: Path) -> None:
    """makemessages over a copy of the code: no msgid that the committed catalogue lacks."""
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", ".data", ".git", "test-artifacts", "node_modules", "__pycache__")
    shutil.copytree(ROOT, copy, ignore=ignore)
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-obsolete",
            "--ignore=tests/*",
            "--ignore=benchmarks/*",
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    fresh = {(e.get("msgctxt"), e["msgid"]) for e in entries((copy / PO.relative_to(ROOT)).read_text(encoding="utf-8"))}
    have = {(e.get("msgctxt"), e["msgid"]) for e in entries(PO.read_text(encoding="utf-8"))}
    missing = sorted(str(m) for _c, m in fresh - have)
    assert missing == [], f"{len(missing)} strings are not in the catalogue (run `make messages`): {missing[:10]}"
