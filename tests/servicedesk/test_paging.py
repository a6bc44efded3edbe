"""Queue pages at scale (decision 0306): totals are counted up to a cap, searches read their terms'
index newest first within the caller's branches, and paging goes on past the cap. The cap is lowered
to 3 here so a handful of orders shows what a million would."""

from __future__ import annotations

import datetime as dt

import pytest

from bastion.servicedesk import paging, views
from bastion.servicedesk.actions import do_open_work_order
from bastion.servicedesk.models import WorkOrderTerm
from tests.factories import make_user
from tests.servicedesk.test_queues import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(desk, clock, monkeypatch):
    """Five ATM faults at branch A, an hour apart (four of them 吞卡), and one 吞卡 at branch B."""
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    start = clock.current
    agent = desk.world.users["customer_service_agent"]
    made = []
    for n, title in enumerate(["ATM 吞卡", "ATM 不出钞", "ATM 吞卡", "ATM 吞卡 CASH_JAM", "ATM 吞卡"]):
        clock.current = start + dt.timedelta(hours=n)
        made.append(
            do_open_work_order(
                branch_id=desk.world.branch_a.pk,
                kind="fault",
                channel="phone",
                title=title,
                symptoms=title,
                device_id=desk.devices["atm"].pk,
                reporter_name=f"柜员{n}",  # different reporters: no duplicates
                actor=agent,
            )
        )
    clock.current = start + dt.timedelta(hours=6)
    hq = make_user("sd_hq", roles=["support_supervisor"], institution_wide=True)
    desk.engineers["sd_hq"] = hq
    made.append(
        do_open_work_order(
            branch_id=desk.world.branch_b.pk,
            kind="fault",
            channel="phone",
            title="ATM 吞卡",
            symptoms="吞卡",
            device_id=desk.devices["atm_b"].pk,
            actor=hq,
        )
    )
    return made


def listing(client, query: str) -> dict:
    response = client.get(f"/api/v1/servicedesk/work-orders?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_api_counts_up_to_the_cap_and_pages_on(desk, orders):
    manager = client_for(desk.world.users["branch_manager"])
    first = listing(manager, "view=all&page_size=2")
    assert (first["total"], first["total_exact"]) == (3, False)
    newest_first = [o.pk for o in reversed(orders[:5])]
    assert [i["id"] for i in first["items"]] == newest_first[:2]
    third = listing(manager, "view=all&page_size=2&page=3")
    assert [i["id"] for i in third["items"]] == newest_first[4:]
    # A first page that is not full is the whole answer: exact, whatever the cap.
    whole = listing(manager, "view=all&page_size=10")
    assert (whole["total"], whole["total_exact"]) == (5, True)


def test_search_is_newest_first_in_scope_and_counted_on_its_terms(desk, orders):
    manager = client_for(desk.world.users["branch_manager"])
    found = listing(manager, "q=吞卡&page_size=2")
    assert (found["total"], found["total_exact"]) == (3, False)
    assert [i["id"] for i in found["items"]] == [orders[4].pk, orders[3].pk]
    rest = listing(manager, "q=吞卡&page_size=2&page=2")
    assert [i["id"] for i in rest["items"]] == [orders[2].pk, orders[0].pk]
    both = listing(manager, "q=吞卡 cash_jam")
    assert [i["id"] for i in both["items"]] == [orders[3].pk] and both["total_exact"]
    # With another filter the search joins the orders instead; same answer, the queue's own order.
    open_ones = listing(manager, "view=open&q=吞卡")
    assert {i["id"] for i in open_ones["items"]} == {orders[n].pk for n in (0, 2, 3, 4)}
    assert (open_ones["total"], open_ones["total_exact"]) == (4, True)
    # Branch B's manager finds only branch B's order, though the term is everywhere.
    other = client_for(desk.world.users["branch_manager_b"])
    assert [i["id"] for i in listing(other, "q=吞卡")["items"]] == [orders[5].pk]
    assert listing(other, f"q=吞卡&branch_id={desk.world.branch_a.pk}")["items"] == []
    hq = client_for(desk.user("sd_hq"))
    everywhere = listing(hq, "q=吞卡&page_size=10")
    assert [i["id"] for i in everywhere["items"]] == [
        orders[5].pk,
        orders[4].pk,
        orders[3].pk,
        orders[2].pk,
        orders[0].pk,
    ]
    assert listing(hq, f"q=吞卡&branch_id={desk.world.branch_b.pk}")["total"] == 1


def test_terms_carry_the_orders_branch_and_opening_time(desk, orders):
    order = orders[5]
    rows = WorkOrderTerm.objects.filter(work_order=order)
    assert {r.term for r in rows} == {"atm", "吞卡", "atm-b-001"}
    assert {(r.branch_id, r.opened_at) for r in rows} == {(order.branch_id, order.opened_at)}


def test_the_console_says_more_than_the_cap_and_offers_the_next_page(desk, orders, monkeypatch):
    monkeypatch.setattr(views, "CONSOLE_PAGE_SIZE", 2)
    manager = client_for(desk.world.users["branch_manager"])
    html = manager.get("/servicedesk/?view=all").content.decode()
    assert "more than 3 orders" in html and 'rel="next"' in html and "Page 1" in html
    last = manager.get("/servicedesk/?view=all&page=3").content.decode()
    assert orders[0].number in last and 'rel="next"' not in last and 'rel="prev"' in last
    small = manager.get("/servicedesk/?view=all&q=不出钞").content.decode()
    assert "1 order" in small and orders[1].number in small
