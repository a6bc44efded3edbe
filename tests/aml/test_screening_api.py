"""Watch-list screening through the API: imports, onboarding, real-time payment names, list updates,
escalation of terrorist-list hits, and officers' decisions with reasons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bastion.aml.models import Alert, ScreeningHit, WatchListEntry
from bastion.aml.services.screening import lists_changed
from bastion.notify.models import Notification
from tests.api.conftest import bearer_client, call, make_token, session_client
from tests.factories import World

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
INTERNAL_CSV = "id,type,name,aliases,date_of_birth,nationality,category\nI-1,person,张伟,Zhang Wei,1988-03-07,CHN,internal\n"


@pytest.fixture
def officer(world: World) -> Any:
    return session_client(world.users["aml_officer"])


def make_list(client: Any, code: str = "internal", kind: str = "internal") -> None:
    response = call(
        client, "POST", "/api/v1/aml/watch-lists", {"code": code, "name": "内部关注名单", "kind": kind}
    )
    assert response.status_code == 201, response.content


def load(client: Any, code: str, content: str, fmt: str = "csv", **extra: Any) -> Any:
    lists_changed()
    return call(
        client, "POST", f"/api/v1/aml/watch-lists/{code}/import", {"format": fmt, "content": content, **extra}
    )


def onboard(client: Any, world: World, name: str = "张伟", **extra: Any) -> Any:
    body = {"customer_no": extra.pop("customer_no", "C610001"), "kind": "natural_person", "branch_id": world.branch_a.pk,
            "name": name, "id_type": "resident_id", "id_number": "310101198803071234", "date_of_birth": "1988-03-07",
            "nationality": "CHN", **extra}  # fmt: skip
    return call(client, "POST", "/api/v1/aml/customers", body)


def test_onboarding_is_screened_and_explained(world: World, officer: Any) -> None:
    make_list(officer)
    assert load(officer, "internal", INTERNAL_CSV).json()["added"] == 1
    assert onboard(officer, world).status_code == 201
    hit = ScreeningHit.objects.get()
    assert hit.trigger == "onboarding" and hit.subject_ref == "C610001" and hit.score >= 85
    assert "张伟" in hit.explanation_zh and not hit.escalated
    listed = call(officer, "GET", "/api/v1/aml/screening-hits").json()["items"]
    assert [h["entry_id"] for h in listed] == ["I-1"]
    assert onboard(officer, world, name="李娜", customer_no="C610002").status_code == 201
    assert ScreeningHit.objects.count() == 1  # an unrelated name is not a hit


@pytest.mark.parametrize("query", ["Zhang Wei", "ZHANG Wei", "Wei Zhang", "zhāng wěi", "張偉"])
def test_real_time_payment_screening(world: World, officer: Any, query: str) -> None:
    make_list(officer)
    load(officer, "internal", INTERNAL_CSV)
    _, secret = make_token(
        world.users["admin_hq"], permissions=["aml.screen_names"], all_branches=True, name="gw"
    )
    gateway = bearer_client(secret)
    response = call(
        gateway, "POST", "/api/v1/aml/screen", {"names": [{"name": query, "role": "payee"}, {"name": "王芳"}]}
    )
    assert response.status_code == 200, response.content
    payee, other = response.json()["results"]
    assert [h["entry_id"] for h in payee["hits"]] == ["I-1"] and payee["role"] == "payee"
    assert payee["hits"][0]["explanation_en"] and other["hits"] == []


def test_terrorist_hit_escalates_at_once(world: World, officer: Any) -> None:
    make_list(officer, "un", "terrorist")
    content = (FIXTURES / "un_consolidated_sample.xml").read_text(encoding="utf-8")
    assert load(officer, "un", content, fmt="xml").status_code == 200
    response = onboard(officer, world, name="MUHAMMAD ABDUL RAHIM AL-BADRI", customer_no="C700009", nationality="IRQ",
                       date_of_birth="")  # fmt: skip
    assert response.status_code == 201, response.content
    hit = ScreeningHit.objects.get(subject_ref="C700009")
    assert hit.escalated and hit.alert is not None and hit.alert.score == 100
    assert Notification.objects.filter(
        kind="aml.screening_escalation", recipient=world.users["aml_officer"]
    ).exists()


def test_list_update_rescreens_customers(
    world: World, officer: Any, django_capture_on_commit_callbacks
) -> None:
    make_list(officer)
    load(officer, "internal", "id,type,name\nI-9,person,赵六\n")
    onboard(officer, world)
    assert not ScreeningHit.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert load(officer, "internal", INTERNAL_CSV).json()["added"] == 1  # 张伟 listed later
    hit = ScreeningHit.objects.get()
    assert hit.trigger == "list_update" and hit.subject_ref == "C610001"


def test_replace_deactivates_missing_entries(world: World, officer: Any) -> None:
    make_list(officer)
    load(officer, "internal", INTERNAL_CSV + "I-2,person,王强,,,,internal\n")
    result = load(officer, "internal", INTERNAL_CSV, replace=True).json()
    assert result == {"added": 0, "updated": 0, "removed": 1, "unchanged": 1}
    assert WatchListEntry.objects.get(entry_id="I-2").active is False  # kept, not deleted


def test_bad_file_names_the_line(world: World, officer: Any) -> None:
    make_list(officer)
    response = load(officer, "internal", "id,type,name\nX-1,robot,某人\n")
    assert response.status_code == 422
    assert "line 2" in response.json()["error"]["fields"]["file"][0]
    assert not WatchListEntry.objects.exists()


def test_decisions_keep_reasons_and_confirmation_raises_an_alert(world: World, officer: Any) -> None:
    make_list(officer)
    load(officer, "internal", INTERNAL_CSV)
    onboard(officer, world)
    hit = ScreeningHit.objects.get()
    bad = call(
        officer, "POST", f"/api/v1/aml/screening-hits/{hit.pk}/decide", {"status": "maybe", "reason": "x"}
    )
    assert bad.status_code == 422 and "status" in bad.json()["error"]["fields"]
    done = call(
        officer,
        "POST",
        f"/api/v1/aml/screening-hits/{hit.pk}/decide",
        {"status": "confirmed", "reason": "身份证号一致"},
    )
    assert done.json()["status"] == "confirmed"
    assert Alert.objects.get(source="screening").customer_no == "C610001"
