"""The money-flow graph drawn as inline SVG markup for the case page.

Only presentation attributes are used (no ``style``), so the page's strict CSP holds, and text stays
text in a CJK-capable font stack so the browser draws Chinese labels itself. Every label is escaped.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bastion.aml.services.flow_graph import NO_ACCOUNT, NODE_HEIGHT, NODE_WIDTH, Edge, FlowGraph, Node

FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
BLUE, RED, LINE, INK, MUTED = "#1f5fbf", "#c62828", "#94a3b8", "#111827", "#5f6b7a"


def _money(totals: dict[str, Decimal]) -> str:
    return " + ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(totals.items()))


def _node(node: Node) -> str:
    fill, stroke = ("#fdecea", RED) if node.subject else ("#ffffff", LINE)
    label = escape(node.key) if node.key != NO_ACCOUNT else escape(_("Cash / no account"))
    second = escape(node.customer) if node.customer else ""
    if node.subject:
        second = f"{second} · {escape(_('Case subject'))}" if second else escape(_("Case subject"))
    cx = node.x + NODE_WIDTH // 2
    return (
        f'<g class="flow-node{" subject" if node.subject else ""}">'
        f'<rect x="{node.x}" y="{node.y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{2 if node.subject else 1}"/>'
        f'<text x="{cx}" y="{node.y + 20}" text-anchor="middle" font-size="13" fill="{INK}">{label}</text>'
        f'<text x="{cx}" y="{node.y + 38}" text-anchor="middle" font-size="11" fill="{MUTED}">{second}</text></g>'
    )


def _path(source: Node, target: Node) -> tuple[str, float, float]:
    """A curve from payer to payee and where its label sits; backward flows bend below the boxes."""
    mid = NODE_HEIGHT // 2
    if target.layer > source.layer:
        x1, y1, x2, y2 = source.x + NODE_WIDTH, source.y + mid, target.x, target.y + mid
        bend = (x2 - x1) / 2
        path = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
        return path, (x1 + x2) / 2, (y1 + y2) / 2 - 4
    x1, y1 = source.x + NODE_WIDTH // 3, source.y + NODE_HEIGHT
    x2, y2 = target.x + 2 * NODE_WIDTH // 3, target.y + NODE_HEIGHT
    low = max(y1, y2) + 40
    return f"M{x1},{y1} C{x1},{low} {x2},{low} {x2},{y2}", (x1 + x2) / 2, low - 6


def _edge(edge: Edge, graph: FlowGraph, heaviest: Decimal) -> str:
    source, target = graph.node(edge.source), graph.node(edge.target)
    path, lx, ly = _path(source, target)
    width = 1.5 + 4.5 * float(edge.weight / heaviest) if heaviest else 1.5
    colour = RED if source.subject or target.subject else LINE
    count = ngettext("%(count)d payment", "%(count)d payments", edge.count) % {"count": edge.count}
    label = escape(f"{_money(edge.totals)} · {count}")
    return (
        f'<g class="flow-edge"><path d="{path}" fill="none" stroke="{colour}" stroke-width="{width:.1f}" '
        f'stroke-opacity="0.7" marker-end="url(#flow-arrow)"/>'
        f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" font-size="11" fill="{INK}" '
        f'paint-order="stroke" stroke="#ffffff" stroke-width="4">{label}</text></g>'
    )


def flow_svg(graph: FlowGraph) -> SafeString:
    """The whole graph as one ``<svg>`` element, or an empty string when there are no payments."""
    if not graph.nodes:
        return mark_safe("")
    heaviest = max((e.weight for e in graph.edges), default=Decimal(0))
    height = graph.height + 50  # room for flows that bend below the boxes
    title = escape(_("Money flow between the accounts of the evidence payments"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-graph" id="flow-graph" role="img" '
        f'width="{graph.width}" height="{height}" viewBox="0 0 {graph.width} {height}" '
        f'font-family="{FONT}" aria-label="{title}"><title>{title}</title>',
        '<defs><marker id="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerUnits="userSpaceOnUse" '
        f'markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{MUTED}"/></marker></defs>',
        *(_edge(e, graph, heaviest) for e in graph.edges if e.source != e.target),
        *(_node(n) for n in graph.nodes),
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308  (every label above is escaped)
