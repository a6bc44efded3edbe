"""The knowledge endpoints in the authorisation matrix (see tests/api/matrix.py).

Written by hand from R1.2 and decision 0402: everyone reads the knowledge base (it is
institution-wide, so an article "at branch B" is as visible as one at A); support supervisors,
on-site and remote engineers, the smart-counter manager and the emergency leader write articles;
the supervisor, the smart-counter manager and the emergency leader review and publish (people only,
never a token); the supervisor and the emergency leader keep the diagnosis cards.
"""

from __future__ import annotations

from typing import Any

from bastion.knowledge.actions import (
    do_create_article,
    do_create_diagnosis_card,
    do_publish_article,
    do_update_article,
)
from tests.api.matrix import EVERYONE, Case, person_only, role_of

EDIT = frozenset(
    {"support_supervisor", "onsite_engineer", "remote_engineer", "smart_counter_manager", "emergency_leader"}
)
PUBLISH = frozenset({"support_supervisor", "smart_counter_manager", "emergency_leader"})
CARDS = frozenset({"support_supervisor", "emergency_leader"})


def permission_only(roles: frozenset[str], ok: int) -> Any:
    """Institution-wide content: the permission decides, the branch of the target does not."""

    def expect(principal: str, target: str | None, as_token: bool) -> int:
        return ok if role_of(principal) in roles else 403

    return expect


def _new_card(target: dict[str, int]) -> dict[str, Any]:
    return {
        "code": "DC-MATRIX",
        "fault_code": "TEMP_HIGH",
        "title_zh": "温度过高",
        "steps": [{"zh": "检查风扇"}],
        "article_id": target.get("article"),
    }


MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/knowledge/articles"): Case(None, permission_only(EVERYONE, 200)),
    ("GET", "/knowledge/search"): Case(None, permission_only(EVERYONE, 200), query="?q=%E5%8D%A1%E9%92%9E"),
    ("GET", "/knowledge/suggestions"): Case(
        None, permission_only(EVERYONE, 200), query="?text=ATM%E5%8D%A1%E9%92%9E&fault_code=CASH_JAM"
    ),
    ("GET", "/knowledge/articles/{article_id}"): Case("article", permission_only(EVERYONE, 200)),
    ("POST", "/knowledge/articles"): Case(
        None,
        permission_only(EDIT, 201),
        body={"title_zh": "网点网络中断应急预案", "category": "emergency_manual"},
    ),
    ("PATCH", "/knowledge/articles/{article_id}"): Case(
        "article", permission_only(EDIT, 200), body=lambda ids: {"tags": ["现金"]}
    ),
    ("POST", "/knowledge/articles/{article_id}/publish"): Case(
        "article", person_only(permission_only(PUBLISH, 200))
    ),
    ("GET", "/knowledge/cards"): Case(None, permission_only(EVERYONE, 200)),
    ("GET", "/knowledge/cards/{card_id}"): Case("card", permission_only(EVERYONE, 200)),
    ("POST", "/knowledge/cards"): Case(None, permission_only(CARDS, 201), body=_new_card),
    ("PATCH", "/knowledge/cards/{card_id}"): Case(
        "card", permission_only(CARDS, 200), body=lambda ids: {"escalation_zh": "30分钟未恢复升级后台"}
    ),
}

PATH_PARAMS = {"article": "article_id", "card": "card_id"}


def build_targets(api_world: Any) -> dict[str, dict[str, int]]:
    """Two published articles, each with an edit by the on-site engineer waiting for review; two cards."""
    users = api_world.world.users
    articles, cards = {}, {}
    for branch, title in (("A", "钞箱卡钞故障处理"), ("B", "吞卡处理流程")):
        article = do_create_article(title_zh=title, fault_codes=["CASH_JAM"], actor=users["remote_engineer"])
        do_publish_article(article_id=article.pk, actor=users["support_supervisor"])
        do_update_article(
            article_id=article.pk, changes={"body_zh": "补充步骤"}, actor=users["onsite_engineer"]
        )
        articles[branch] = article.pk
        card = do_create_diagnosis_card(
            code=f"DC-MATRIX-{branch}",
            fields={"fault_code": "CASH_JAM", "title_zh": title},
            steps=[("检查钞箱", "")],
            actor=users["support_supervisor"],
        )
        cards[branch] = card.pk
    return {"article": articles, "card": cards}


# --- lists and bad input (tests/api/test_scope_and_input.py) ---------------------------------------
# The knowledge base is institution-wide (decision 0401): its rows are not branch data.
LIST_BRANCH_OF: dict[str, Any] = {"/knowledge/articles": None, "/knowledge/cards": None}
NOT_LISTS = {"/knowledge/search", "/knowledge/suggestions"}  # ranked hits, not paginated rows

_EDITOR = "support_supervisor_a"

BAD_INPUT: dict[tuple[str, str], list[tuple[Any, ...]]] = {
    ("POST", "/knowledge/articles"): [
        ("/knowledge/articles", {"title_zh": ""}, "title_zh", _EDITOR),
        ("/knowledge/articles", {"title_zh": "标题", "category": "gossip"}, "category", _EDITOR),
        ("/knowledge/articles", {"title_zh": "标题", "tags": ["t"] * 21}, "tags", _EDITOR),
    ],
    ("PATCH", "/knowledge/articles/{article_id}"): [
        ("/knowledge/articles/{article}", {"title_zh": ""}, "title_zh", _EDITOR),
        ("/knowledge/articles/abc", {"tags": []}, "article_id", _EDITOR),
    ],
    ("POST", "/knowledge/articles/{article_id}/publish"): [
        ("/knowledge/articles/abc/publish", None, "article_id", _EDITOR),
    ],
    ("POST", "/knowledge/cards"): [
        ("/knowledge/cards", lambda ids: {**_new_card(ids), "steps": []}, "steps", _EDITOR),
        ("/knowledge/cards", lambda ids: {**_new_card(ids), "code": "D"}, "code", _EDITOR),
        ("/knowledge/cards", lambda ids: {**_new_card(ids), "article_id": 999999}, "article_id", _EDITOR),
    ],
    ("PATCH", "/knowledge/cards/{card_id}"): [
        ("/knowledge/cards/{card}", {"title_zh": ""}, "title_zh", _EDITOR),
        ("/knowledge/cards/{card}", {"steps": [{"zh": ""}]}, "steps.0.zh", _EDITOR),
    ],
}
