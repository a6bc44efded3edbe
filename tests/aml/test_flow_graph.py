"""The money-flow graph: aggregation, left-to-right layers around the subject, a deterministic layout."""

from __future__ import annotations

from decimal import Decimal

from bastion.aml.services.flow_graph import NO_ACCOUNT, FlowPayment, build_flow_graph
from bastion.aml.views.flow_svg import flow_svg


def pay(payer: str, payee: str, amount: str, *, currency: str = "CNY", payer_customer: str = "",
        payee_customer: str = "") -> FlowPayment:  # fmt: skip
    return FlowPayment(payer, payee, Decimal(amount), currency, payer_customer, payee_customer)


FAN_IN = [
    pay("A1", "S", "9000", payee_customer="C1"),
    pay("A2", "S", "8000", payee_customer="C1"),
    pay("A1", "S", "1000", payee_customer="C1"),
    pay("S", "B1", "17500", payer_customer="C1"),
    pay("B1", "Z", "17000"),
]


def test_flows_are_aggregated_per_pair_and_currency() -> None:
    graph = build_flow_graph([*FAN_IN, pay("A1", "S", "100", currency="USD")], subject_customer="C1")
    edge = next(e for e in graph.edges if (e.source, e.target) == ("A1", "S"))
    assert edge.count == 3 and edge.totals == {"CNY": Decimal("10000"), "USD": Decimal("100")}
    assert len(graph.edges) == 4


def test_sources_subject_destinations_left_to_right() -> None:
    graph = build_flow_graph(FAN_IN, subject_customer="C1")
    layers = {n.key: n.layer for n in graph.nodes}
    assert layers == {"A1": 0, "A2": 0, "S": 1, "B1": 2, "Z": 3}
    assert graph.node("S").subject and not graph.node("A1").subject
    assert graph.node("A1").x < graph.node("S").x < graph.node("B1").x < graph.node("Z").x
    # Same-layer accounts never overlap.
    assert graph.node("A1").y != graph.node("A2").y


def test_layout_is_deterministic_whatever_the_input_order() -> None:
    first = build_flow_graph(FAN_IN, subject_customer="C1")
    second = build_flow_graph(list(reversed(FAN_IN)), subject_customer="C1")
    assert [(n.key, n.layer, n.x, n.y) for n in first.nodes] == [
        (n.key, n.layer, n.x, n.y) for n in second.nodes
    ]


def test_round_trip_and_cycles_do_not_loop() -> None:
    graph = build_flow_graph([pay("S", "X", "5", payer_customer="C1"), pay("X", "S", "5", payee_customer="C1"),
                              pay("P", "Q", "1"), pay("Q", "P", "1")], subject_customer="C1")  # fmt: skip
    layers = {n.key: n.layer for n in graph.nodes}
    assert layers["X"] < layers["S"]  # both ways: shown as a source
    assert {layers["P"], layers["Q"]} and len(graph.nodes) == 4


def test_subject_given_as_an_account_and_cash_without_account() -> None:
    graph = build_flow_graph([pay("S", NO_ACCOUNT, "60000")], subject_accounts=["S"])
    assert graph.node("S").subject and graph.node(NO_ACCOUNT).layer == 1


def test_empty_graph_and_svg() -> None:
    assert build_flow_graph([]).nodes == []
    assert str(flow_svg(build_flow_graph([]))) == ""
    svg = str(
        flow_svg(
            build_flow_graph([*FAN_IN, pay("<b>", "S", "1", payee_customer="C1")], subject_customer="C1")
        )
    )
    assert svg.startswith("<svg") and "Noto Sans CJK SC" in svg and "<b>" not in svg and "&lt;b&gt;" in svg
    assert "17,500.00 CNY" in svg
