"""Chinese and English search on the real database index (FTS5 on SQLite, GIN tsvector on PostgreSQL)."""

from __future__ import annotations

import pytest

from bastion.knowledge import services
from bastion.knowledge.actions import do_archive_article, do_create_article, do_update_article
from bastion.knowledge.choices import ArticleCategory
from tests.knowledge.helpers import published_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(world):
    jam = published_article(
        world,
        title_zh="钞箱卡钞故障处理",
        title_en="Clearing a cash-cassette jam",
        body_zh="当ATM出现卡钞时，先暂停服务，再打开保险柜取出钞箱，清理卡住的钞票。",
        body_en="When the ATM reports a jam, suspend service, open the safe and clear the cassette.",
        fault_codes=["CASH_JAM"],
        device_classes=["atm"],
    )
    card = published_article(
        world,
        title_zh="吞卡处理流程",
        title_en="Captured card procedure",
        body_zh="客户银行卡被吞后，应在两个工作日内核实身份后退还。",
        body_en="Return a captured card within two working days after checking identity.",
        fault_codes=["CARD_CAPTURED"],
        device_classes=["atm"],
    )
    manual = published_article(
        world,
        title_zh="网点网络中断应急预案",
        body_zh="网络中断超过十五分钟，启动应急处理手册第三章。",
        category=ArticleCategory.EMERGENCY_MANUAL,
        fault_codes=["LINK_DOWN"],
    )
    return {"jam": jam, "card": card, "manual": manual}


def ids(hits):
    return [hit.article.pk for hit in hits]


def test_a_chinese_word_inside_longer_text_is_found(library):
    hits = services.search_articles(query="卡钞")
    assert ids(hits)[0] == library["jam"].pk
    assert library["card"].pk not in ids(hits)


def test_a_word_jieba_keeps_whole_is_found_by_its_part(library):
    # jieba keeps 应急预案 as one word; the bigram fallback still finds 预案 inside it.
    assert ids(services.search_articles(query="预案")) == [library["manual"].pk]


def test_several_words_must_all_match(library):
    assert ids(services.search_articles(query="吞卡 身份")) == [library["card"].pk]
    assert services.search_articles(query="吞卡 保险柜") == []


def test_english_prefixes_and_fault_codes(library):
    assert ids(services.search_articles(query="cassett")) == [library["jam"].pk]
    assert ids(services.search_articles(query="CASH_JAM")) == [library["jam"].pk]
    assert ids(services.search_articles(query="captured card", language="en")) == [library["card"].pk]


def test_title_matches_rank_above_body_matches(world, library):
    body_only = published_article(
        world, title_zh="ATM日常巡检", body_zh="检查出钞口，若曾经卡钞应记录在巡检单上。"
    )
    found = ids(services.search_articles(query="卡钞"))
    assert found.index(library["jam"].pk) < found.index(body_only.pk)


def test_snippets_highlight_the_words_and_escape_html(world, library):
    published_article(world, title_zh="<script>卡钞</script>", body_zh="<b>卡钞</b> 注意")
    hits = services.search_articles(query="卡钞", language="zh")
    rendered = {str(hit.title_html) for hit in hits}
    assert "&lt;script&gt;<mark>卡钞</mark>&lt;/script&gt;" in rendered
    assert all("<script>" not in str(hit.snippet_html) for hit in hits)
    jam = next(hit for hit in hits if hit.article.pk == library["jam"].pk)
    assert "<mark>卡钞</mark>" in str(jam.snippet_html)


def test_drafts_are_found_by_editors_only(world):
    draft = do_create_article(
        title_zh="凭条打印机缺纸", body_zh="更换凭条纸卷", actor=world.users["onsite_engineer"]
    )
    assert services.search_articles(query="缺纸") == []
    assert services.search_articles(query="缺纸", principal=world.users["customer_service_agent"]) == []
    assert ids(services.search_articles(query="缺纸", principal=world.users["onsite_engineer"])) == [draft.pk]


def test_index_follows_every_write(world, library):
    jam = library["jam"]
    do_update_article(
        article_id=jam.pk, changes={"title_zh": "出钞模块堵塞处理"}, actor=world.users["remote_engineer"]
    )
    # Published text stays until the new version is reviewed.
    assert library["jam"].pk in ids(services.search_articles(query="故障"))
    from bastion.knowledge.actions import do_publish_article

    do_publish_article(article_id=jam.pk, actor=world.users["support_supervisor"])
    assert jam.pk in ids(services.search_articles(query="堵塞"))
    assert jam.pk not in ids(services.search_articles(query="故障"))
    do_archive_article(article_id=jam.pk, reason="superseded", actor=world.users["support_supervisor"])
    assert jam.pk not in ids(services.search_articles(query="堵塞"))


def test_nothing_indexed_when_the_write_rolls_back(world):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        do_create_article(title_zh="身份证读卡器故障", actor=world.users["onsite_engineer"])
        raise RuntimeError("caller fails after the write")
    assert services.search_articles(query="读卡器", principal=world.users["onsite_engineer"]) == []


def test_paging_and_counting(world):
    for n in range(5):
        published_article(world, title_zh=f"POS签到失败第{n}例", body_zh="签到失败")
    first = services.search_articles(query="签到", limit=2)
    second = services.search_articles(query="签到", limit=2, offset=2)
    assert len(first) == 2 and len(second) == 2 and not set(ids(first)) & set(ids(second))
    assert services.count_search_results(query="签到") == 5


def test_empty_and_punctuation_queries_find_nothing(library):
    assert services.search_articles(query="") == []
    assert services.search_articles(query="  ！？ ") == []
    assert services.search_articles(query='" OR 1=1 --') == []


def test_suggestions_prefer_the_fault_code_then_the_text(library):
    suggested = services.suggest_articles(
        text="ATM吞卡，客户要求退卡", fault_code="CASH_JAM", device_class="atm"
    )
    assert [a.pk for a in suggested][:2] == [library["jam"].pk, library["card"].pk]
    by_text = services.suggest_articles(text="支行网络中断，交易无法进行")
    assert by_text[0].pk == library["manual"].pk
