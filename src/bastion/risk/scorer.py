"""The single owner of the engine's feature state for a set of partitions.

Both the ``bastion risk-scorer`` process (all partitions, behind the Decision API) and each
``bastion risk-worker --partition N`` (one partition, behind NATS) run one :class:`PartitionOwner`:

* it validates, de-duplicates by payment id, scores, stores payment and decision in one transaction
  (the group commit) and only then answers, so an answer means the decision is durable;
* the state of a partition is always a function of the stored payments: it is rebuilt on start from
  the newest snapshot plus the replay of the partition's payments stored after it, and rebuilt again
  whenever a store fails (the scored-but-unstored payments must not stay counted);
* it snapshots each partition every N payments or T seconds, and on a clean stop.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DatabaseError, IntegrityError
from django.utils import timezone

from bastion.aml.services import fraud as fraud_services
from bastion.engine import (
    Engine,
    EngineConfig,
    Model,
    Payment,
    PaymentValidationError,
    RuleSet,
    Scorer,
    SnapshotError,
)
from bastion.engine.engine import required_lists
from bastion.identity.models import Branch
from bastion.risk import actions, conf, services
from bastion.risk.controls import COUNTED_ACTIONS, Control, DayTotals, apply_controls, review_of
from bastion.risk.ratings import ReferenceModel

logger = logging.getLogger(__name__)

# Bumped in this process when a rule-set version is activated here (after commit): owners in the
# same process (the inline scorer) switch on their next batch; others poll (docs/decisions/0505).
_activations = 0
_list_changes = 0
_model_activations = 0


def ruleset_activated() -> None:
    """Tell this process's owners that the active rule-set version changed."""
    global _activations
    _activations += 1


def fraud_model_activated() -> None:
    """Tell this process's owners that the fraud model in use changed (they swap the engine's model)."""
    global _model_activations
    _model_activations += 1


def lists_changed() -> None:
    """Tell this process's owners that a named list changed (they reload lists, not state)."""
    global _list_changes
    _list_changes += 1


@dataclass
class Submission:
    """One payment handed to the owner, with who sent it and when it arrived (monotonic ns)."""

    record: dict[str, Any]
    branch_id: int | None = None
    submitted_by: str = ""
    source: str = "http"
    received_ns: int = field(default_factory=time.perf_counter_ns)
    operator: str = ""  # the member of staff at the counter (business authorisation's maker)

    def to_wire(self) -> dict[str, Any]:
        return {"record": self.record, "branch_id": self.branch_id, "submitted_by": self.submitted_by,
                "source": self.source, "operator": self.operator}  # fmt: skip

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Submission:
        return cls(data["record"], data.get("branch_id"), str(data.get("submitted_by", "")),
                   str(data.get("source", "http")), operator=str(data.get("operator") or ""))  # fmt: skip


def invalid(field_name: str, message: str) -> dict[str, Any]:
    return {"status": "invalid", "field": field_name, "message": message}


def build_engine(
    ruleset_text: str,
    config: EngineConfig,
    lists: Mapping[str, Iterable[str]] | None = None,
    model: Model | None = None,
) -> Engine:
    """The engine of a rule-set text with the named lists it uses (default: those in force now).

    A list the rules use that does not exist (deleted since, or a rule set older than the list)
    counts as empty rather than stopping every payment.
    """
    ruleset = RuleSet.from_toml(ruleset_text)
    if lists is None:
        lists = services.list_contents()[0]
    used = {name: lists.get(name, ()) for name in required_lists(ruleset)}
    if model is None:
        model = ReferenceModel(*services.reference_tables())
    return Engine(ruleset, lists=used, config=config, model=model)


@dataclass
class _Partition:
    scorer: Scorer
    mark: int = 0  # pk of the last stored payment this state has seen
    since_snapshot: int = 0
    snapshot_at: float = field(default_factory=time.monotonic)
    total: int = 0


class PartitionOwner:
    """Feature state and scoring for ``partitions`` (None: all of them) out of ``count``."""

    def __init__(self, partitions: Iterable[int] | None = None, count: int | None = None) -> None:
        self.count = count or conf.partitions()
        self.owned = sorted(set(partitions)) if partitions is not None else list(range(self.count))
        bad = [p for p in self.owned if not 0 <= p < self.count]
        if bad:
            raise ValueError(f"partition {bad[0]} is outside 0..{self.count - 1}")
        self.config = EngineConfig()
        self.parts: dict[int, _Partition] = {}
        self.ruleset_id = 0
        self.ruleset_number = 0
        self._checked_at = 0.0
        self._activations = _activations
        self._list_changes = _list_changes
        self.lists_revision = -1
        self.lists_expire_at: datetime | None = None
        self.controls: tuple[Control, ...] = ()
        self.controls_revision: tuple[Any, ...] = ()
        self.reference = ReferenceModel()
        self.reference_revision: tuple[Any, ...] = ()
        self.days = DayTotals()
        self.engine: Engine | None = None
        # The fraud model in use (aml), added to the reference model's points; None: rules only.
        self.fraud: Any = None
        self.fraud_number = 0
        self._model_activations = _model_activations
        self.ruleset_text = ""

    # --- state --------------------------------------------------------------------------------
    def load(self, *, ruleset: Any = None) -> None:
        """(Re)build every owned partition: newest valid snapshot, then replay what was stored after.

        ``ruleset``: a version to build for instead of the active one (preparing an approved
        version's snapshots before it is activated).
        """
        row = ruleset if ruleset is not None else actions.do_ensure_active_ruleset()
        revision = services.lists_revision()
        contents, expire_at = services.list_contents()
        self.reference_revision = services.reference_revision()
        self.reference.replace(*services.reference_tables())
        fraud = fraud_services.active_fraud_model()
        engine = build_engine(
            row.text, self.config, contents, fraud_services.scoring_model(self.reference, fraud)
        )
        parts: dict[int, _Partition] = {}
        for p in self.owned:
            part = _Partition(engine.scorer())
            snap = services.latest_snapshot(partition=p, partitions=self.count, ruleset_id=row.pk)
            if snap is not None:
                try:
                    part.scorer.restore(bytes(snap.blob))
                    part.mark, part.total = snap.last_payment_pk, snap.payments
                except SnapshotError as exc:  # written by another engine release: replay everything
                    logger.warning("risk snapshot %s unusable (%s); replaying partition %s", snap.pk, exc, p)
                    part = _Partition(engine.scorer())
            parts[p] = part
        replayed = self._replay(parts, engine)
        self.engine, self.parts = engine, parts
        self.fraud, self.fraud_number, self.ruleset_text = fraud, fraud.version if fraud else 0, row.text
        self._load_controls()
        self.ruleset_id, self.ruleset_number = row.pk, row.number
        self.lists_revision, self.lists_expire_at = revision, expire_at
        self._checked_at = time.monotonic()
        self._activations, self._list_changes = _activations, _list_changes
        self._model_activations = _model_activations
        logger.info(
            "risk partitions %s loaded (rule set v%s, %s payments replayed)", self.owned, row.number, replayed
        )

    def _replay(self, parts: dict[int, _Partition], engine: Engine) -> int:
        start = min(part.mark for part in parts.values())
        replayed = 0
        for pk, hashed, record in services.replay_rows(after_pk=start):
            part = parts.get(hashed % self.count)
            if part is None or pk <= part.mark:
                continue
            part.scorer.score(Payment.from_mapping(record, engine.config))
            part.mark, part.total = pk, part.total + 1
            replayed += 1
        return replayed

    def _check_ruleset(self) -> None:
        now = time.monotonic()
        if self.engine is None:
            self.load()
            return
        told = (self._activations, self._list_changes, self._model_activations) != (
            _activations,
            _list_changes,
            _model_activations,
        )
        expired = self.lists_expire_at is not None and timezone.now() >= self.lists_expire_at
        if not (told or expired or now - self._checked_at >= conf.ruleset_check_seconds()):
            return
        self._checked_at, self._activations, self._list_changes = now, _activations, _list_changes
        self._model_activations = _model_activations
        if services.active_ruleset_id() != self.ruleset_id:
            self.load()
            return
        if fraud_services.active_version_number() != self.fraud_number:
            self._swap_fraud_model()
        if services.controls_revision() != self.controls_revision:
            self._load_controls()
        reference = services.reference_revision()
        if reference != self.reference_revision:
            # Tables replaced in place: the engine and its feature state stay as they are.
            self.reference.replace(*services.reference_tables())
            self.reference_revision = reference
        revision = services.lists_revision()
        if revision != self.lists_revision or (
            self.lists_expire_at is not None and timezone.now() >= self.lists_expire_at
        ):
            self._reload_lists(revision)

    def _swap_fraud_model(self) -> None:
        """Score with the fraud model now in use: same rule set, so each partition keeps its state."""
        assert self.engine is not None
        fraud = fraud_services.active_fraud_model()
        model = fraud_services.scoring_model(self.reference, fraud)
        engine = build_engine(self.ruleset_text, self.config, dict(self.engine.lists), model)
        for part in self.parts.values():
            part.scorer = engine.scorer(part.scorer.state)
        self.engine, self.fraud, self.fraud_number = engine, fraud, fraud.version if fraud else 0
        logger.info("risk partitions %s now score with fraud model v%s", self.owned, self.fraud_number)

    def _load_controls(self) -> None:
        """Active limits and authorisation thresholds, and the day totals of the owned accounts."""
        self.controls_revision = services.controls_revision()
        self.controls = tuple(Control.of(row) for row in services.active_controls())
        self.days = DayTotals()
        rows = services.completed_payments_since(self.days.yesterday_start(), config=self.config)
        for hashed, account, occurred_at, channel, business_type, fen in rows:
            if hashed % self.count in self.parts:
                self.days.add(
                    account, occurred_at.astimezone(self.days.zone).date(), channel, business_type, fen
                )

    def _reload_lists(self, revision: int) -> None:
        """Swap the named lists in place: the feature state does not depend on them."""
        assert self.engine is not None
        contents, self.lists_expire_at = services.list_contents()
        for name in self.engine.required_lists:
            self.engine.set_list(name, contents.get(name, ()))
        self.lists_revision = revision

    def snapshot(self, *, force: bool = False, every: bool = False) -> int:
        """Snapshot partitions that are due (or every changed one with ``force``, or all of them with
        ``every``); returns how many."""
        taken = 0
        now = time.monotonic()
        for p, part in self.parts.items():
            due = part.since_snapshot >= conf.snapshot_every() or (
                part.since_snapshot and now - part.snapshot_at >= conf.snapshot_seconds()
            )
            if not (every or due or (force and part.since_snapshot)):
                continue
            actions.do_store_snapshot(partition=p, partitions=self.count, ruleset_id=self.ruleset_id,
                                      last_payment_pk=part.mark, payments=part.total,
                                      blob=part.scorer.snapshot())  # fmt: skip
            part.since_snapshot, part.snapshot_at = 0, now
            taken += 1
        return taken

    # --- scoring --------------------------------------------------------------------------------
    def submit(self, items: Sequence[Submission]) -> list[dict[str, Any]]:
        """Decide every item; each outcome is decided, replayed, invalid, conflict or misrouted."""
        self._check_ruleset()
        try:
            return self._submit(items)
        except (DatabaseError, IntegrityError):
            # Scored payments were counted in the state but not stored: rebuild from what is stored.
            logger.exception("storing risk decisions failed; rebuilding feature state")
            self.load()
            if len(items) == 1:
                raise
            return [outcome for item in items for outcome in self.submit([item])]

    def _submit(self, items: Sequence[Submission]) -> list[dict[str, Any]]:
        assert self.engine is not None
        self.days.prune()
        outcomes: list[dict[str, Any] | None] = [None] * len(items)
        parsed = self._validate(items, outcomes)
        stored = services.existing_payments(payment.id for _, payment, _ in parsed)
        pending: dict[str, tuple[int, str]] = {}  # payment id -> (index of new item, digest)
        new: list[actions.NewDecision] = []
        waiting: list[tuple[int, str]] = []  # in-batch retries: (index, payment id)
        for index, payment, digest in parsed:
            if payment.id in stored:
                outcomes[index] = self._replayed(stored[payment.id], digest)
            elif payment.id in pending:
                same = pending[payment.id][1] == digest
                if same:
                    waiting.append((index, payment.id))
                else:
                    outcomes[index] = _conflict(payment.id)
            else:
                item = self._score(items[index], payment, digest)
                if item is None:
                    outcomes[index] = {"status": "misrouted", "field": "payer_account",
                                       "message": "account belongs to a partition this worker does not own"}  # fmt: skip
                    continue
                pending[payment.id] = (len(new), digest)
                new.append(item)
                waiting.append((index, payment.id))
        pks = actions.do_store_decisions(new, ruleset_id=self.ruleset_id) if new else []
        for item, pk in zip(new, pks, strict=True):
            part = self.parts[item.account_hash % self.count]
            part.mark, part.total, part.since_snapshot = pk, part.total + 1, part.since_snapshot + 1
        seen: set[str] = set()
        for index, payment_id in waiting:
            body = services.new_decision_body(new[pending[payment_id][0]], ruleset_number=self.ruleset_number)
            outcomes[index] = {"status": "replayed" if payment_id in seen else "decided", "decision": body}
            seen.add(payment_id)
        return [o for o in outcomes if o is not None]

    def _validate(
        self, items: Sequence[Submission], outcomes: list[dict[str, Any] | None]
    ) -> list[tuple[int, Payment, str]]:
        branch_ids = {item.branch_id for item in items if item.branch_id is not None}
        known = (
            set(Branch.objects.filter(pk__in=branch_ids).values_list("pk", flat=True))
            if branch_ids
            else set()
        )
        parsed = []
        for index, item in enumerate(items):
            if not isinstance(item.record, dict):
                outcomes[index] = invalid("payment", "must be a JSON object")
                continue
            try:
                payment = Payment.from_mapping(item.record, self.config)
            except PaymentValidationError as exc:
                outcomes[index] = invalid(exc.field, exc.message)
                continue
            if item.branch_id is not None and item.branch_id not in known:
                outcomes[index] = invalid("branch_id", "unknown branch")
                continue
            parsed.append((index, payment, services.payment_digest(payment, item.branch_id)))
        return parsed

    def _score(self, item: Submission, payment: Payment, digest: str) -> actions.NewDecision | None:
        hashed = services.account_hash(payment.payer)
        part = self.parts.get(hashed % self.count)
        if part is None:
            return None
        if self.fraud is None:
            scored = self.reference.explain(part.scorer.score(payment), payment)
        else:
            # The features are needed again for the model's explanation, stored with the decision.
            values, decided = part.scorer.score_with_features(payment)
            scored = self.reference.explain(decided, payment)
            if decided.model_points:  # only then can the fraud model have added points to explain
                explained = self.fraud.explanation_part(payment, part.scorer.engine.named_features(values))
                if explained is not None:
                    scored = dataclasses.replace(scored, fired=(*scored.fired, explained))
        verdict = apply_controls(scored, payment, self.controls, self.days)
        decision = verdict.decision
        if decision.action in COUNTED_ACTIONS:
            # Counted now, so a later payment of the same batch sees it; a failed store rebuilds.
            self.days.count(payment)
        decided_at = timezone.now()
        return actions.NewDecision(
            payment=payment,
            account_hash=hashed,
            decision=decision,
            review=review_of(verdict, decided_at, item.operator or item.submitted_by),
            branch_id=item.branch_id,
            source=item.source,
            submitted_by=item.submitted_by,
            digest=digest,
            decided_at=decided_at,
            latency_us=(time.perf_counter_ns() - item.received_ns) // 1000,
        )

    def _replayed(self, row: Any, digest: str) -> dict[str, Any]:
        if row.digest != digest:
            return _conflict(row.payment_id)
        return {"status": "replayed", "decision": services.decision_body(row.decision)}


def _conflict(payment_id: str) -> dict[str, Any]:
    return {"status": "conflict", "field": "id",
            "message": f"payment id {payment_id} was already used for a different payment"}  # fmt: skip


def prepare_ruleset_state(*, ruleset_id: int) -> int:
    """Replay history into an approved version's feature state and snapshot every partition.

    Run after approval, so that activation finds a snapshot for the new version and its owners
    replay only the payments stored since, instead of the whole history while payments wait.
    Returns the number of partitions snapshotted (0 when the version is no longer approved).
    """
    from bastion.risk.models import RuleSetVersion

    row = RuleSetVersion.objects.filter(pk=ruleset_id, status__in=("approved", "active")).first()
    if row is None:
        return 0
    owner = PartitionOwner()
    owner.load(ruleset=row)
    return owner.snapshot(every=True)
