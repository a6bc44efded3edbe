"""The demo knowledge base loads through the real actions, is searchable and idempotent."""

from __future__ import annotations

from io import StringIO

import pytest

from bastion.demo import knowledge
from bastion.knowledge import services
from bastion.knowledge.models import Article, DiagnosisCard
from tests.factories import make_user

pytestmark = pytest.mark.django_db

DEVICE_FAULT_CODES = [
    "CASH_LOW",
    "CASH_JAM",
    "CARD_READER_FAULT",
    "PRINTER_PAPER_LOW",
    "PRINTER_FAULT",
    "HEARTBEAT_MISSING",
    "LINK_DOWN",
    "NETWORK_DOWN",
    "TEMPERATURE_HIGH",
    "ID_READER_FAULT",
]


def test_demo_knowledge(world):
    make_user("remote", roles=["remote_engineer"], institution_wide=True)
    make_user("supervisor", roles=["support_supervisor"], branch=world.branch_a)
    make_user("emergency", roles=["emergency_leader"], institution_wide=True)
    summary = knowledge.load(institution=None, branches=None, stdout=StringIO())
    assert summary.startswith("knowledge: 15 articles")
    assert knowledge.load(institution=None, branches=None, stdout=StringIO()).startswith(
        "knowledge: 0 articles"
    )
    assert not Article.objects.exclude(status="published").exists()
    assert services.search_articles(query="卡钞")[0].article.code == "KB-ATM-001"
    manual = services.list_articles(category="emergency_manual")
    assert manual.count() == 6
    assert {hit.article.code for hit in services.search_articles(query="应急处理手册")} >= {"EM-01", "EM-06"}
    for code in DEVICE_FAULT_CODES:
        cards = services.list_diagnosis_cards(fault_code=code)
        assert cards and cards[0].article is not None, code
        assert len(cards[0].ordered_steps) >= 2 or code == "PRINTER_PAPER_LOW"
    assert DiagnosisCard.objects.count() == len(knowledge.CARDS)
