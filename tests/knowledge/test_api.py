"""The knowledge API through HTTP: search, suggestions, editing with review, diagnosis cards."""

from __future__ import annotations

import pytest

from tests.knowledge.helpers import published_article

pytestmark = pytest.mark.django_db


def test_search_finds_chinese_inside_words_and_returns_highlights(world, client_as):
    article = published_article(world, title_zh="钞箱卡钞故障处理", body_zh="先暂停服务，再清理卡钞。")
    body = client_as("customer_service_agent").get("/api/v1/knowledge/search", {"q": "卡钞"}).json()
    assert body["total"] == 1
    (hit,) = body["items"]
    assert hit["article"]["id"] == article.pk
    assert hit["title_html"] == "钞箱<mark>卡钞</mark>故障处理"
    assert "<mark>卡钞</mark>" in hit["snippet_html"]


def test_search_rejects_bad_parameters_naming_them(world, client_as):
    response = client_as("onsite_engineer").get("/api/v1/knowledge/search", {"q": "卡钞", "limit": 0})
    assert response.status_code == 422
    assert "limit" in str(response.json()["error"]["fields"])
    assert client_as("onsite_engineer").get("/api/v1/knowledge/search").status_code == 422


def test_write_review_publish_over_the_api(world, client_as):
    engineer = client_as("onsite_engineer")
    created = engineer.post(
        "/api/v1/knowledge/articles",
        {
            "title_zh": "智能柜台身份证读卡器故障",
            "body_zh": "重启读卡器服务",
            "device_classes": ["smart_counter"],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    article_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    # Readers do not see drafts at all.
    assert (
        client_as("customer_service_agent").get(f"/api/v1/knowledge/articles/{article_id}").status_code == 404
    )
    assert engineer.post(f"/api/v1/knowledge/articles/{article_id}/publish").status_code == 403
    published = client_as("support_supervisor").post(f"/api/v1/knowledge/articles/{article_id}/publish")
    assert published.status_code == 200 and published.json()["status"] == "published"
    patched = engineer.patch(
        f"/api/v1/knowledge/articles/{article_id}",
        {"body_zh": "先检查线缆，再重启读卡器服务", "change_note": "补充检查"},
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()["body_zh"] == "重启读卡器服务"  # published text until reviewed
    assert [v["number"] for v in patched.json()["versions"]] == [2, 1]


def test_bad_article_input_is_a_422_naming_the_field(world, client_as):
    response = client_as("onsite_engineer").post(
        "/api/v1/knowledge/articles",
        {"title_zh": "x", "device_classes": ["toaster"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "device_classes" in response.json()["error"]["fields"]


def test_suggestions_for_a_work_order(world, client_as):
    jam = published_article(
        world, title_zh="钞箱卡钞故障处理", fault_codes=["CASH_JAM"], device_classes=["atm"]
    )
    published_article(world, title_zh="POS签到失败", body_zh="检查网络与密钥", device_classes=["pos"])
    body = (
        client_as("customer_service_agent")
        .get("/api/v1/knowledge/suggestions", {"text": "客户反映ATM卡钞", "fault_code": "CASH_JAM"})
        .json()
    )
    assert body["items"][0]["id"] == jam.pk


def test_cards_over_the_api(world, client_as):
    supervisor = client_as("support_supervisor")
    created = supervisor.post(
        "/api/v1/knowledge/cards",
        {
            "code": "DC-LINK",
            "fault_code": "LINK_DOWN",
            "title_zh": "网点链路中断",
            "steps": [{"zh": "确认交换机指示灯", "en": "Check the switch lights"}, {"zh": "联系运营商"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    card_id = created.json()["id"]
    listed = client_as("onsite_engineer").get("/api/v1/knowledge/cards", {"fault_code": "LINK_DOWN"}).json()
    assert listed["total"] == 1
    assert [s["zh"] for s in listed["items"][0]["steps"]] == ["确认交换机指示灯", "联系运营商"]
    assert (
        client_as("onsite_engineer")
        .patch(f"/api/v1/knowledge/cards/{card_id}", {"title_zh": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    changed = supervisor.patch(
        f"/api/v1/knowledge/cards/{card_id}", {"steps": [{"zh": "先看告警"}]}, content_type="application/json"
    )
    assert [s["zh"] for s in changed.json()["steps"]] == ["先看告警"]
