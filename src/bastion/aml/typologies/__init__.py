"""AML typology detection over the payment graph and time windows (R5.3). Pure Python + Polars.

Typical use::

    from bastion.aml.typologies import TypologyConfig, detect, IncrementalDetector

    alerts = detect(payments)                       # batch over history
    live = IncrementalDetector(TypologyConfig())    # as payments arrive
    for chunk in chunks:
        for alert in live.push(chunk): ...
    tail = live.flush()

Input: the engine's boundary columns (``bastion.engine.generator.SCHEMA`` plus ``id`` and an aware
UTC ``timestamp``); amounts are decimal strings, converted once to Int64 fen (never floats).

How every typology works (details in each module's docstring):

* an *anchor* is the payment at which a pattern is complete; each typology finds anchors by
  looking only **backwards** over a bounded window ``(t - window, t]``, first with cheap vectorised
  upper bounds (rolling sums per account/customer after one sort), then exactly for the few
  surviving anchors (a windowed join and a group-by);
* graph typologies (cycles, scatter-gather) prune edges with as-of joins (an edge must have a
  neighbour in time) and grow time-ordered paths by joins, so each path only follows later hops;
* per typology and subject, the first anchor raises an alert and later anchors are suppressed for a
  cool-down; the alert key is ``typology|subject|anchor payment id``;
* ``IncrementalDetector`` runs the same code on an event-time watermark with per-typology
  look-back buffers, so its alerts equal batch alerts (tested).

Typologies: structuring, pass_through (快进快出), fan_in, fan_out, cycle, scatter_gather,
gather_scatter, dormant, unusual_cash. No Django import anywhere in this package.
"""

from .alerts import Alert
from .detect import alerts_frame, build, detect, detect_runs
from .incremental import IncrementalDetector
from .params import (
    ALL_TYPOLOGIES,
    CycleParams,
    DormantParams,
    FanParams,
    GatherScatterParams,
    InputParams,
    ParameterError,
    PassThroughParams,
    ScatterGatherParams,
    StructuringParams,
    TypologyConfig,
    UnusualCashParams,
)
from .prepare import TypologyInputError

__all__ = [
    "ALL_TYPOLOGIES",
    "Alert",
    "CycleParams",
    "DormantParams",
    "FanParams",
    "GatherScatterParams",
    "IncrementalDetector",
    "InputParams",
    "ParameterError",
    "PassThroughParams",
    "ScatterGatherParams",
    "StructuringParams",
    "TypologyConfig",
    "TypologyInputError",
    "UnusualCashParams",
    "alerts_frame",
    "build",
    "detect",
    "detect_runs",
]
