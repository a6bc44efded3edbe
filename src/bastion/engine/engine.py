"""Compile a rule set once; score payments one by one (real time) or as a table (batch).

``Engine`` holds everything derived from rule text: the feature list, the generated Python rule
function, filter predicates and the typed trees the Polars compiler needs. It is immutable apart
from the named lists, which the caller may replace at any time (``set_list``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .config import MICROS_PER_DAY, MICROS_PER_HOUR, EngineConfig
from .errors import EngineError, RuleError
from .features import DayFeature, Feature, WindowFeature, feature_type
from .money import format_fen, format_fen_float
from .rules import syntax
from .rules.check import Checker, T, collect_features, collect_fields
from .rules.to_python import PythonCompiler
from .ruleset import Rule, RuleSet
from .schema import Payment
from .scoring import ACTIONS, LEVELS, Decision, FiredRule, Model, Policy, frozen
from .state import FeatureState

_new = object.__new__

if TYPE_CHECKING:
    import polars as pl

    from .batch import BatchResult


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    condition: T
    features: tuple[int, ...]  # indices into Engine.features
    fields: tuple[str, ...]  # payment attributes the rule reads
    min_rank: int
    action_rank: int


def compile_condition(rule_id: str, text: str) -> tuple[T, set[str]]:
    """Parse and type-check one rule; errors name the rule and point at the offending column."""
    try:
        checker = Checker()
        return checker.check_rule(syntax.parse(text)), checker.lists
    except RuleError as exc:
        raise exc.with_rule(rule_id, text) from None


def required_lists(ruleset: RuleSet) -> set[str]:
    """Names used by list("...") in the active rules of a rule set."""
    names: set[str] = set()
    for rule in ruleset.active:
        names |= compile_condition(rule.id, rule.when)[1]
    return names


class Engine:
    """A compiled rule set plus configuration, policy, named lists and an optional model."""

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        lists: Mapping[str, Iterable[str]] | None = None,
        config: EngineConfig | None = None,
        model: Model | None = None,
    ) -> None:
        self.ruleset = ruleset
        self.policy: Policy = ruleset.policy
        self.config = config or EngineConfig()
        self.model = model
        self.lists: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in (lists or {}).items()}
        features: dict[Feature, None] = {}
        compiled: list[tuple[Rule, T, dict[Feature, None], dict[str, None]]] = []
        self.required_lists: set[str] = set()
        for rule in ruleset.active:
            condition, used_lists = compile_condition(rule.id, rule.when)
            self.required_lists |= used_lists
            used: dict[Feature, None] = {}
            fields: dict[str, None] = {}
            collect_features(condition, used)
            collect_fields(condition, fields)
            features.update(used)
            compiled.append((rule, condition, used, fields))
        missing = sorted(self.required_lists - set(self.lists))
        if missing:
            raise EngineError(f"rules use named list(s) that were not supplied: {', '.join(missing)}")
        self.features: tuple[Feature, ...] = tuple(features)
        self.feature_index = {f: i for i, f in enumerate(self.features)}
        self.rules = tuple(
            CompiledRule(
                rule,
                condition,
                tuple(self.feature_index[f] for f in used),
                tuple(fields),
                LEVELS.index(rule.min_level) if rule.min_level else 0,
                ACTIONS.index(rule.action) if rule.action else 0,
            )
            for rule, condition, used, fields in compiled
        )
        self.filters = _filters(self.features)
        python = PythonCompiler(self.feature_index, self.config.utc_offset_us)
        self.evaluate = python.compile_rules([r.condition for r in self.rules])
        # The generated state code evaluates filters and rules on locals (see FeatureState.score).
        self.filter_exprs = {text: python.state_expr(node) for text, node in self.filters.items()}
        self.state_rules = tuple(tuple(python.state_conjuncts(r.condition)) for r in self.rules)
        self.constants = dict(python.constants)
        self._normal_action = self.policy.actions["normal"]

    @classmethod
    def default(cls, **kwargs: Any) -> Engine:
        from .ruleset import load_default_ruleset

        kwargs.setdefault("lists", {"blocklist": (), "watchlist": ()})
        return cls(load_default_ruleset(), **kwargs)

    # --- lists ------------------------------------------------------------------------------
    def set_list(self, name: str, values: Iterable[str]) -> None:
        """Replace a named list; takes effect for the next payment scored."""
        self.lists[name] = frozenset(values)

    # --- real time ----------------------------------------------------------------------------
    def new_state(self) -> FeatureState:
        return FeatureState(self.features, self.config, self.filter_exprs, self.constants, self.state_rules)

    def scorer(self, state: FeatureState | None = None) -> Scorer:
        return Scorer(self, state or self.new_state())

    @property
    def window_feature_count(self) -> int:
        return sum(isinstance(f, WindowFeature | DayFeature) for f in self.features)

    # --- batch --------------------------------------------------------------------------------
    def score_frame(self, frame: pl.DataFrame, *, progress: Any = None) -> BatchResult:
        """Score a table of payments (boundary column names, arrival order = row order)."""
        from .batch import score_frame

        return score_frame(self, frame, progress=progress)

    # --- decisions ---------------------------------------------------------------------------
    def decide(
        self, payment_id: str, fired: Sequence[int], values: Sequence[Any], field: Any, model_points: int = 0
    ) -> Decision:
        """Build a decision from fired rule indices; ``field(attr)`` reads payment attributes."""
        policy = self.policy
        if not fired and not model_points:
            return Decision.nothing_fired(payment_id, self._normal_action)
        points = sum(self.rules[i].rule.points for i in fired) + model_points
        score = max(0, min(100, points))
        level_rank = max([policy.level_rank(score), *(self.rules[i].min_rank for i in fired)])
        level = LEVELS[level_rank]
        action_rank = max([ACTIONS.index(policy.actions[level]), *(self.rules[i].action_rank for i in fired)])
        action = ACTIONS[action_rank]
        required = policy.challenge_methods if action == "challenge" else ()
        fired_rules = tuple(self._fired(self.rules[i], values, field) for i in fired)
        return frozen(Decision, payment_id=payment_id, score=score, level=level, action=action,
                      required_auth=required, fired=fired_rules, model_points=model_points)  # fmt: skip

    def _fired(self, compiled: CompiledRule, values: Sequence[Any], field: Any) -> FiredRule:
        evidence: dict[str, Any] = {}
        for attr in compiled.fields:
            evidence[attr] = render_field(attr, field, self.config)
        for index in compiled.features:
            feature = self.features[index]
            evidence[feature.name] = render_value(values[index], feature_type(feature))
        rule = compiled.rule
        return frozen(FiredRule, id=rule.id, points=rule.points, reason_zh=rule.reason_zh,
                      reason_en=rule.reason_en, evidence=evidence)  # fmt: skip

    def named_features(self, values: Sequence[Any]) -> dict[str, Any]:
        return {f.name: v for f, v in zip(self.features, values, strict=True)}


_NO_FEATURES: Mapping[str, Any] = MappingProxyType({})


class Scorer:
    """Real-time scoring of one payment stream: features from ``state``, then rules, then policy."""

    def __init__(self, engine: Engine, state: FeatureState) -> None:
        self.engine = engine
        self.state = state
        self._lists = engine.lists
        self._model = engine.model
        self._allow = engine._normal_action
        self._state_score = state.score
        self._nothing = {"score": 0, "level": "normal", "action": self._allow, "required_auth": (),
                         "fired": (), "model_points": 0}  # fmt: skip
        if self._model is None:
            self.score = self._score_rules_only  # type: ignore[method-assign]
        elif not getattr(self._model, "uses_features", True):
            self.score = self._score_payment_model  # type: ignore[method-assign]

    def score(self, payment: Payment) -> Decision:
        """Decide on one validated payment and record it in the state."""
        values = self.state.observe(payment)
        fired = self.engine.evaluate(payment, values, self._lists)
        assert self._model is not None
        model_points = _checked_points(self._model.score_one(payment, self.engine.named_features(values)))
        if not fired and not model_points:
            return Decision.nothing_fired(payment.id, self._allow)
        return self.engine.decide(
            payment.id, fired, values, lambda attr: getattr(payment, attr), model_points
        )

    def _score_rules_only(self, payment: Payment) -> Decision:
        """``score`` without a model: features and rules in one generated call (state.score),
        which returns None when no rule fires, so the common case builds no feature vector."""
        result = self._state_score(payment, self._lists)
        if result is None:
            # Decision.nothing_fired, inlined: this line runs for nearly every payment.
            decision = _new(Decision)
            decision.__dict__.update(payment_id=payment.id, **self._nothing)
            return decision
        fired, values = result
        return self.engine.decide(payment.id, fired, values, lambda attr: getattr(payment, attr))

    def _score_payment_model(self, payment: Payment) -> Decision:
        """``score`` with a model that reads the payment only (``uses_features = False``): the
        rules-only fast path, plus the model's points, with no feature vector built for it."""
        result = self._state_score(payment, self._lists)
        assert self._model is not None
        model_points = _checked_points(self._model.score_one(payment, _NO_FEATURES))
        if result is None:
            if not model_points:
                decision = _new(Decision)
                decision.__dict__.update(payment_id=payment.id, **self._nothing)
                return decision
            return self.engine.decide(payment.id, (), (), lambda attr: getattr(payment, attr), model_points)
        fired, values = result
        return self.engine.decide(
            payment.id, fired, values, lambda attr: getattr(payment, attr), model_points
        )

    def score_with_features(self, payment: Payment) -> tuple[list[Any], Decision]:
        """Like ``score`` but also returns the feature vector (for backtests and tests)."""
        engine = self.engine
        values = self.state.observe(payment)
        fired = engine.evaluate(payment, values, engine.lists)
        model_points = 0
        if engine.model is not None:
            model_points = _checked_points(engine.model.score_one(payment, engine.named_features(values)))
        decision = engine.decide(payment.id, fired, values, lambda attr: getattr(payment, attr), model_points)
        return values, decision

    def score_record(self, record: Mapping[str, Any]) -> Decision:
        """Validate a JSON-like record and score it (raises PaymentValidationError naming the field)."""
        return self.score(Payment.from_mapping(record, self.engine.config))

    def snapshot(self) -> bytes:
        return self.state.snapshot()

    def restore(self, blob: bytes) -> None:
        self.state.restore(blob)


def _checked_points(points: object) -> int:
    if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 100:
        raise EngineError(f"model contribution must be whole points from 0 to 100, got {points!r}")
    return points


def _filters(features: Sequence[Feature]) -> dict[str, T]:
    filters: dict[str, T] = {}
    for f in features:
        flt = getattr(f, "filter", None)
        if flt is not None:
            filters[flt.text] = flt.node
    return filters


def render_value(value: Any, type_: str) -> Any:
    """Evidence values: money as decimal strings, durations as seconds text, others unchanged."""
    if type_ == "money":
        return format_fen(value) if isinstance(value, int) else format_fen_float(value)
    if type_ == "duration":
        seconds, micros = divmod(int(value), 1_000_000)
        return f"{seconds}s" if not micros else f"{seconds}.{micros:06d}".rstrip("0") + "s"
    if isinstance(value, bool):
        return value
    return value


def render_field(attr: str, field: Any, config: EngineConfig) -> Any:
    if attr == "amount":
        return format_fen(field("amount"))
    if attr == "hour":
        return (field("ts") + config.utc_offset_us) // MICROS_PER_HOUR % 24
    if attr == "weekday":
        return ((field("ts") + config.utc_offset_us) // MICROS_PER_DAY + 3) % 7 + 1
    return field(attr)
