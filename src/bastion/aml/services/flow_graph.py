"""The money-flow graph of a case: accounts as nodes, aggregated payments as edges, a layered layout.

Building and laying out the graph is pure (no database, no Django), so it is tested on its own;
:func:`case_flow_graph` only reads the case's evidence payments and hands them over. The layout is
deterministic (the same payments always give the same picture): money flows left to right, from
the accounts that paid the subject, through the subject's accounts, to the accounts it paid
(docs/decisions/0603-aml-money-flow-graph.md).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# A payment without a counterparty account (cash over the counter, an ATM withdrawal) still moves
# money; it is drawn against one shared node so the subject's cash activity shows.
NO_ACCOUNT = ""
NODE_WIDTH, NODE_HEIGHT = 210, 48
COLUMN_GAP, ROW_GAP, MARGIN = 190, 28, 24


@dataclass(frozen=True)
class FlowPayment:
    """The part of a stored payment the graph needs."""

    payer_account: str
    payee_account: str
    amount: Decimal
    currency: str
    payer_customer: str = ""
    payee_customer: str = ""


@dataclass
class Node:
    """An account, where it is drawn and how much passed through it."""

    key: str
    customer: str = ""
    subject: bool = False
    layer: int = 0
    order: int = 0
    x: int = 0
    y: int = 0
    throughput: Decimal = Decimal(0)


@dataclass
class Edge:
    """All payments from one account to another, totalled per currency."""

    source: str
    target: str
    count: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)

    @property
    def weight(self) -> Decimal:
        # Only a visual hint for the line width: currencies are added as they are.
        return sum(self.totals.values(), Decimal(0))


@dataclass
class FlowGraph:
    """Nodes with positions, edges between them, and the canvas size."""

    nodes: list[Node]
    edges: list[Edge]
    width: int
    height: int

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)


def _aggregate(payments: Iterable[FlowPayment], subject_customer: str) -> tuple[dict[str, Node], list[Edge]]:
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str], Edge] = {}
    for payment in payments:
        ends = (
            (payment.payer_account, payment.payer_customer),
            (payment.payee_account, payment.payee_customer),
        )
        for account, customer in ends:
            node = nodes.setdefault(account, Node(account))
            node.customer = node.customer or customer
            node.subject = node.subject or bool(subject_customer and customer == subject_customer)
            node.throughput += payment.amount
        edge = edges.setdefault(
            (payment.payer_account, payment.payee_account), Edge(payment.payer_account, payment.payee_account)
        )
        edge.count += 1
        edge.totals[payment.currency] = edge.totals.get(payment.currency, Decimal(0)) + payment.amount
    return nodes, sorted(edges.values(), key=lambda e: (e.source, e.target))


def _neighbours(edges: list[Edge]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    payees: dict[str, list[str]] = defaultdict(list)
    payers: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        if edge.source != edge.target:
            payees[edge.source].append(edge.target)
            payers[edge.target].append(edge.source)
    return payees, payers


def _spread(start: list[str], layer: dict[str, int], step: int, links: dict[str, list[str]]) -> None:
    """Walk away from ``start`` one layer per hop, placing each account the first time it is reached."""
    queue = deque(start)
    while queue:
        current = queue.popleft()
        for other in sorted(links.get(current, [])):
            if other not in layer:
                layer[other] = layer[current] + step
                queue.append(other)


def _longest_path(
    keys: list[str], payees: dict[str, list[str]], payers: dict[str, list[str]]
) -> dict[str, int]:
    """Layers for accounts not connected to the subject: sources first, cycles broken in key order."""
    remaining = set(keys)
    layer: dict[str, int] = {}
    while remaining:
        ready = sorted(k for k in remaining if not any(p in remaining for p in payers.get(k, [])))
        ready = ready or [min(remaining)]  # a cycle: cut it at its smallest key
        for key in ready:
            placed = [layer[p] + 1 for p in payers.get(key, []) if p in layer]
            layer[key] = max(placed, default=0)
            remaining.discard(key)
    return layer


def _assign_layers(nodes: dict[str, Node], edges: list[Edge]) -> None:
    payees, payers = _neighbours(edges)
    subject = sorted(k for k, n in nodes.items() if n.subject)
    layer = dict.fromkeys(subject, 0)
    # Upstream first: an account that both paid and was paid by the subject is shown as a source.
    _spread(subject, layer, -1, payers)
    _spread(subject, layer, 1, payees)
    rest = sorted(k for k in nodes if k not in layer)
    if rest:
        start = min(layer.values(), default=0)
        for key, value in _longest_path(rest, payees, payers).items():
            layer[key] = start + value
    lowest = min(layer.values())
    for key, node in nodes.items():
        node.layer = layer[key] - lowest


def _order_layers(nodes: dict[str, Node], edges: list[Edge]) -> list[list[Node]]:
    columns: dict[int, list[Node]] = defaultdict(list)
    for node in nodes.values():
        columns[node.layer].append(node)
    _, payers = _neighbours(edges)
    ordered: list[list[Node]] = []
    for index in range(max(columns) + 1):
        column = sorted(columns.get(index, []), key=lambda n: (not n.subject, -n.throughput, n.key))
        if ordered:
            # One barycentre sweep: sit each account near the accounts that paid it, fewer crossings.
            before = {n.key: n.order for n in ordered[-1]}
            fallback = {n.key: i for i, n in enumerate(column)}

            def centre(
                node: Node, before: dict[str, int] = before, fallback: dict[str, int] = fallback
            ) -> float:
                found = [before[p] for p in payers.get(node.key, []) if p in before]
                return sum(found) / len(found) if found else float(fallback[node.key])

            column.sort(key=lambda n: (centre(n), n.key))
        for position, node in enumerate(column):
            node.order = position
        ordered.append(column)
    return ordered


def _place(columns: list[list[Node]]) -> tuple[int, int]:
    rows = max(len(c) for c in columns)
    pitch = NODE_HEIGHT + ROW_GAP
    for column in columns:
        offset = (rows - len(column)) * pitch // 2  # shorter columns are centred vertically
        for node in column:
            node.x = MARGIN + node.layer * (NODE_WIDTH + COLUMN_GAP)
            node.y = MARGIN + offset + node.order * pitch
    width = 2 * MARGIN + len(columns) * NODE_WIDTH + (len(columns) - 1) * COLUMN_GAP
    return width, 2 * MARGIN + rows * pitch - ROW_GAP


def build_flow_graph(payments: Iterable[FlowPayment], *, subject_customer: str = "",
                     subject_accounts: Iterable[str] = ()) -> FlowGraph:  # fmt: skip
    """Aggregate payments into account-to-account flows and lay them out left to right in layers.

    The subject's accounts are those of ``subject_customer`` on either side of a payment, plus any
    given in ``subject_accounts`` (an alert raised on an account rather than a customer).
    """
    nodes, edges = _aggregate(payments, subject_customer)
    if not nodes:
        return FlowGraph([], [], 0, 0)
    for account in subject_accounts:
        if account in nodes:
            nodes[account].subject = True
    _assign_layers(nodes, edges)
    columns = _order_layers(nodes, edges)
    width, height = _place(columns)
    return FlowGraph([n for c in columns for n in c], edges, width, height)


def case_flow_graph(case: Any) -> FlowGraph:
    """The graph of a case's evidence payments, its subject's accounts highlighted."""
    rows = case.evidence.filter(payment__isnull=False).values_list(
        "payment__payer_account", "payment__payee_account", "payment__amount", "payment__currency",
        "payment__payer_customer", "payment__payee_customer",
    )  # fmt: skip
    accounts = [a for a in case.alerts.values_list("account", flat=True) if a]
    return build_flow_graph(
        (FlowPayment(*row) for row in rows.order_by("payment__occurred_at", "pk")),
        subject_customer=case.customer_no,
        subject_accounts=accounts,
    )
