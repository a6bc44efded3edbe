"""Article versions with four-eyes publishing, permissions, audit, and diagnosis cards."""

from __future__ import annotations

import pytest

from bastion.audit.models import AuditEvent
from bastion.knowledge import services
from bastion.knowledge.actions import (
    do_create_article,
    do_create_diagnosis_card,
    do_publish_article,
    do_update_article,
    do_update_diagnosis_card,
)
from bastion.knowledge.choices import ArticleStatus
from bastion.platform.errors import Conflict, FieldError, NotFound, PermissionDenied
from tests.knowledge.helpers import published_article

pytestmark = pytest.mark.django_db

STEPS = [("检查钞箱是否到位", "Check the cassette is seated"), ("查看出钞口是否有异物", "Look for debris")]


def test_the_author_cannot_publish_their_own_version(world):
    supervisor = world.users["support_supervisor"]
    article = do_create_article(title_zh="钞箱卡钞故障处理", actor=supervisor)
    with pytest.raises(PermissionDenied) as caught:
        do_publish_article(article_id=article.pk, actor=supervisor)
    assert caught.value.code == "four_eyes"
    published = do_publish_article(article_id=article.pk, actor=world.users["emergency_leader"])
    assert published.status == ArticleStatus.PUBLISHED and published.version == 1
    assert published.reviewer == world.users["emergency_leader"]


def test_readers_may_not_write_and_engineers_may_not_publish(world):
    with pytest.raises(PermissionDenied):
        do_create_article(title_zh="吞卡", actor=world.users["customer_service_agent"])
    article = do_create_article(title_zh="吞卡", actor=world.users["onsite_engineer"])
    with pytest.raises(PermissionDenied):
        do_publish_article(article_id=article.pk, actor=world.users["remote_engineer"])


def test_edits_to_a_published_article_wait_for_review(world):
    article = published_article(world, title_zh="凭条打印机缺纸", body_zh="更换纸卷")
    do_update_article(
        article_id=article.pk,
        changes={"body_zh": "关闭打印机盖板后更换纸卷", "tags": "打印机, 耗材"},
        change_note="更准确的步骤",
        actor=world.users["remote_engineer"],
    )
    article.refresh_from_db()
    assert article.body_zh == "更换纸卷" and article.tag_list == ["打印机", "耗材"]
    assert [v.number for v in article.versions.all()] == [2, 1]
    do_publish_article(article_id=article.pk, actor=world.users["support_supervisor"])
    with pytest.raises(Conflict):
        do_publish_article(article_id=article.pk, actor=world.users["support_supervisor"])
    article.refresh_from_db()
    assert article.version == 2 and article.body_zh == "关闭打印机盖板后更换纸卷"


def test_bad_input_names_the_field(world):
    engineer = world.users["onsite_engineer"]
    with pytest.raises(FieldError) as caught:
        do_create_article(title_zh=" ", actor=engineer)
    assert "title_zh" in caught.value.fields
    with pytest.raises(FieldError) as caught:
        do_create_article(title_zh="x", device_classes=["toaster"], actor=engineer)
    assert "device_classes" in caught.value.fields
    with pytest.raises(FieldError) as caught:
        do_create_article(title_zh="x", category="novel", actor=engineer)
    assert "category" in caught.value.fields


def test_every_write_is_audited(world):
    article = published_article(world, title_zh="网络中断")
    actions = list(
        AuditEvent.objects.filter(object_type="knowledge.article", object_id=str(article.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["knowledge.article_created", "knowledge.article_published"]


def test_diagnosis_cards_by_fault_code_and_class(world):
    supervisor = world.users["support_supervisor"]
    article = published_article(world, title_zh="钞箱卡钞故障处理")
    generic = do_create_diagnosis_card(
        code="DC-CASH-JAM",
        fields={
            "fault_code": "cash_jam",
            "title_zh": "卡钞通用诊断",
            "escalation_zh": "30分钟未解决升级后台",
        },
        steps=STEPS,
        actor=supervisor,
    )
    atm = do_create_diagnosis_card(
        code="DC-CASH-JAM-ATM",
        fields={
            "fault_code": "CASH_JAM",
            "device_class": "atm",
            "title_zh": "ATM卡钞",
            "article_id": article.pk,
        },
        steps=list(reversed(STEPS)),
        actor=supervisor,
    )
    do_create_diagnosis_card(
        code="DC-CASH-JAM-RCY",
        fields={"fault_code": "CASH_JAM", "device_class": "cash_recycler", "title_zh": "循环机卡钞"},
        steps=STEPS,
        actor=supervisor,
    )
    cards = services.list_diagnosis_cards(fault_code="CASH_JAM", device_class="atm")
    assert [c.pk for c in cards] == [atm.pk, generic.pk]
    assert [s.instruction_zh for s in cards[0].ordered_steps] == ["查看出钞口是否有异物", "检查钞箱是否到位"]
    assert cards[0].article == article
    assert len(services.list_diagnosis_cards(fault_code="CASH_JAM")) == 3
    do_update_diagnosis_card(card_id=generic.pk, fields={}, is_active=False, actor=supervisor)
    assert [c.pk for c in services.list_diagnosis_cards(fault_code="CASH_JAM", device_class="atm")] == [
        atm.pk
    ]
    with pytest.raises(NotFound):
        services.get_diagnosis_card(card_id=generic.pk)


def test_cards_need_steps_and_the_right_role(world):
    with pytest.raises(PermissionDenied):
        do_create_diagnosis_card(
            code="DC-X",
            fields={"fault_code": "X1", "title_zh": "x"},
            steps=STEPS,
            actor=world.users["onsite_engineer"],
        )
    with pytest.raises(FieldError) as caught:
        do_create_diagnosis_card(
            code="DC-X",
            fields={"fault_code": "X1", "title_zh": "x"},
            steps=[],
            actor=world.users["support_supervisor"],
        )
    assert "steps" in caught.value.fields
