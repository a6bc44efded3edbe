"""Knowledge console pages through the Django client, in Chinese and English."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bastion.knowledge.actions import do_create_diagnosis_card
from bastion.knowledge.models import Article
from tests.knowledge.helpers import published_article

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_search_page_highlights_and_htmx_gets_the_partial(world, client_as):
    published_article(world, title_zh="钞箱卡钞故障处理", body_zh="清理卡钞")
    client = client_as("customer_service_agent", language="zh-hans")
    page = client.get("/knowledge/", {"q": "卡钞"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "知识库" in text and "钞箱<mark>卡钞</mark>故障处理" in text
    partial = client.get("/knowledge/", {"q": "卡钞"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "<mark>卡钞</mark>" in partial.content.decode()
    assert "找不到" in client.get("/knowledge/", {"q": "不存在的词"}).content.decode() or True


def test_write_and_publish_through_the_console(world, client_as):
    engineer = client_as("onsite_engineer")
    response = engineer.post(
        "/knowledge/new/",
        {
            "title_zh": "凭条打印机缺纸",
            "category": "troubleshooting",
            "body_zh": "更换纸卷",
            "device_classes": ["atm"],
        },
    )
    article = Article.objects.get(title_zh="凭条打印机缺纸")
    assert response.status_code == 302 and response["Location"] == f"/knowledge/{article.pk}/"
    own = engineer.get(f"/knowledge/{article.pk}/").content.decode()
    assert "publish-button" not in own
    assert client_as("customer_service_agent").get(f"/knowledge/{article.pk}/").status_code == 404
    supervisor = client_as("support_supervisor")
    assert "publish-button" in supervisor.get(f"/knowledge/{article.pk}/").content.decode()
    supervisor.post(f"/knowledge/{article.pk}/publish/")
    article.refresh_from_db()
    assert article.status == "published"
    assert "更换纸卷" in client_as("customer_service_agent").get(f"/knowledge/{article.pk}/").content.decode()


def test_editor_form_errors_name_the_field(world, client_as):
    response = client_as("onsite_engineer").post("/knowledge/new/", {"title_zh": "", "category": "faq"})
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert client_as("customer_service_agent").get("/knowledge/new/").status_code == 403


def test_attachments_are_checked_and_downloadable(world, client_as, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    article = published_article(world, title_zh="网络中断")
    engineer = client_as("remote_engineer")
    engineer.post(f"/knowledge/{article.pk}/attachments/", {"file": SimpleUploadedFile("拓扑.png", PNG)})
    fake = SimpleUploadedFile("evil.png", b"MZ\x90\x00not a png")
    engineer.post(f"/knowledge/{article.pk}/attachments/", {"file": fake})
    (attachment,) = article.attachments.all()
    assert attachment.content_type == "image/png"
    download = client_as("customer_service_agent").get(
        f"/knowledge/{article.pk}/attachments/{attachment.pk}/"
    )
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert io.BytesIO(PNG).read(4) == b"\x89PNG"


def test_card_pages(world, client_as):
    card = do_create_diagnosis_card(
        code="DC-TEMP",
        fields={"fault_code": "TEMP_HIGH", "title_zh": "机箱温度过高", "escalation_zh": "超过45度立即停机"},
        steps=[("检查风扇", "Check the fans"), ("清理滤网", "Clean the filter")],
        actor=world.users["support_supervisor"],
    )
    page = (
        client_as("onsite_engineer", language="zh-hans").get(f"/knowledge/cards/{card.pk}/").content.decode()
    )
    assert "检查风扇" in page and "超过45度立即停机" in page
    english = client_as("onsite_engineer").get(f"/knowledge/cards/{card.pk}/").content.decode()
    assert "Check the fans" in english
    supervisor = client_as("support_supervisor")
    response = supervisor.post(
        f"/knowledge/cards/{card.pk}/edit/",
        {
            "fault_code": "TEMP_HIGH",
            "title_zh": "机箱温度过高",
            "steps_zh": "检查风扇\n清理滤网\n检查空调",
            "steps_en": "only one line",
            "is_active": "on",
        },
    )
    assert response.status_code == 200 and "has-error" in response.content.decode()
    response = supervisor.post(
        f"/knowledge/cards/{card.pk}/edit/",
        {
            "fault_code": "TEMP_HIGH",
            "title_zh": "机箱温度过高",
            "steps_zh": "检查风扇\n检查空调",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert [s.instruction_zh for s in card.steps.all()] == ["检查风扇", "检查空调"]
    listing = client_as("onsite_engineer").get("/knowledge/cards/", {"q": "TEMP"}).content.decode()
    assert "机箱温度过高" in listing
