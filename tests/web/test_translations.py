"""The Chinese catalogue is complete: every user-facing string in the code and templates is translated.

Each app may keep its own catalogue in ``bastion/<app>/locale/zh_Hans/LC_MESSAGES/django.po``
(Django finds it); the project catalogue ``bastion/locale`` holds the rest. A string counts as
translated when any catalogue has it. When this fails after new strings were added, add them to the
app's catalogue by hand, or refresh with ``cd src/bastion/<app> && django-admin makemessages -l zh_Hans
--no-obsolete`` (needs GNU gettext), fill the empty ``msgstr`` entries, then ``bastion compile_translations``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils.translation.template import templatize

from bastion.identity import actions
from tests.web.conftest import sign_in

SRC = Path(__file__).resolve().parents[2] / "src" / "bastion"
CATALOGUES = [
    SRC / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
    *sorted(SRC.glob("*/locale/zh_Hans/LC_MESSAGES/django.po")),
]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s*,?)+)")
TEMPLATE_STRING = re.compile(r"u?('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _skipped(path: Path) -> bool:
    parts = path.relative_to(SRC).parts
    return parts[0] == "engine" or "migrations" in parts


def _python_msgids(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name not in GETTEXT_NAMES:
            continue
        args = node.args[1:] if name.startswith("pgettext") else node.args
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            found.add(args[0].value)
    return found


def _template_msgids(path: Path) -> set[str]:
    found: set[str] = set()
    for call in TEMPLATE_CALL.finditer(templatize(path.read_text(encoding="utf-8"))):
        strings = [ast.literal_eval(s) for s in TEMPLATE_STRING.findall(call.group(2))]
        if call.group(1).startswith("p"):
            strings = strings[1:]
        if strings:
            found.add(strings[0])
    return found


def source_msgids() -> set[str]:
    msgids: set[str] = set()
    for path in SRC.rglob("*.py"):
        if not _skipped(path):
            msgids |= _python_msgids(path)
    for path in SRC.rglob("templates/**/*.html"):
        if not _skipped(path):
            msgids |= _template_msgids(path)
    return {m for m in msgids if m.strip()}


def test_every_source_string_is_in_the_chinese_catalogue():
    catalogue = {
        entry.msgid for path in CATALOGUES for entry in polib.pofile(str(path)) if not entry.obsolete
    }
    missing = sorted(source_msgids() - catalogue)
    assert not missing, f"{len(missing)} strings have no zh-Hans entry (see module docstring): {missing[:20]}"


def test_every_catalogue_entry_is_translated_with_the_same_placeholders():
    problems = []
    for entry in (e for path in CATALOGUES for e in polib.pofile(str(path))):
        if entry.obsolete:
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not all(t.strip() for t in translations):
            problems.append(f"untranslated: {entry.msgid!r}")
            continue
        expected = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        for text in translations:
            if set(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"placeholders differ: {entry.msgid!r}")
    assert not problems, problems[:20]


def test_the_extractor_finds_strings_of_both_kinds():
    # Guards the test above against silently extracting nothing.
    msgids = source_msgids()
    assert "Sign in" in msgids  # template {% translate %}
    assert "%(total)s item" in msgids  # template {% blocktranslate count %}
    assert "The maker of a request can never approve or reject it." in msgids  # Python gettext
    assert "Read the audit trail" in msgids  # gettext_lazy in a registry


@pytest.mark.django_db
def test_domain_messages_reach_the_user_in_chinese(world):
    grant = actions.do_request_role_grant(
        user_id=world.users["onsite_engineer"].pk,
        role_code="remote_engineer",
        reason="x",
        actor=world.users["admin_hq"],
    )
    client = sign_in(Client(), world.users["admin_hq"])
    refused = client.post(f"/approvals/{grant.pk}/approve/", {"note": ""}, headers={"HX-Request": "true"})
    assert "申请的发起人不能批准或驳回自己的申请。" in refused.content.decode()
    roles = client.get("/roles/").content.decode()
    assert "查阅审计日志" in roles and "远程工程师" in roles
