"""The payment demo: days of traffic decided by the real scorer, spread over branches and days."""

from __future__ import annotations

from collections import Counter
from io import StringIO

from django.utils import timezone

from bastion.demo import risk as demo_risk
from bastion.demo.organisation import build_organisation
from bastion.demo.staff import build_staff
from bastion.risk import transport
from bastion.risk.models import (
    ChannelAssessment,
    Decision,
    FeatureSnapshot,
    IndicatorThreshold,
    IndicatorValue,
    IndicatorWarning,
    ListEntry,
    PaymentControl,
    PaymentReview,
    StoredPayment,
)


def test_payment_demo_decides_days_of_traffic_at_every_level(db):
    institution, branches = build_organisation()
    build_staff(password="Demo-Password-2026")
    summary = demo_risk.load(institution=institution, branches=branches, stdout=StringIO())
    try:
        assert summary.startswith("risk:")
        payments = StoredPayment.objects.count()
        assert payments >= 9_000 and Decision.objects.count() == payments
        levels = Counter(Decision.objects.values_list("level", flat=True))
        assert set(levels) == {"normal", "attention", "warning", "high_risk"}, levels
        assert levels["normal"] > payments * 0.9  # most traffic is ordinary
        assert StoredPayment.objects.values("branch").distinct().count() == len(branches)
        days = {timezone.localdate(d) for d in Decision.objects.values_list("decided_at", flat=True)}
        assert len(days) >= 5
        assert not Decision.objects.filter(decided_at__gt=timezone.now()).exists()
        assert FeatureSnapshot.objects.exists()  # a restarted server resumes without a full replay
        # Every console page shows something real: limits, authorisations, the queue, lists.
        kinds = set(PaymentReview.objects.values_list("kind", flat=True))
        assert {"review", "hold"} <= kinds, kinds
        assert PaymentControl.objects.filter(kind="authorisation").exists()
        assert ListEntry.objects.filter(risk_list__name="blocklist").count() == 3
        fired_ids = {f["id"] for fired in Decision.objects.values_list("fired", flat=True) for f in fired}
        assert any(i.startswith("LIMIT-") for i in fired_ids) and "LIST-BLOCKED" in fired_ids, fired_ids
        assert "COUNTERPARTY-RATING" in fired_ids  # BOCOM is graded BBB
        assert ChannelAssessment.objects.count() == 3
        # The monitoring indicators are computed for every demo day, and the thresholds raised warnings.
        indicator_days = {
            timezone.localdate(p)
            for p in IndicatorValue.objects.filter(granularity="day").values_list("period_start", flat=True)
        }
        assert indicator_days == days
        assert IndicatorThreshold.objects.count() == 3
        assert IndicatorWarning.objects.filter(indicator="level_high_risk").exists()
        values, warnings = IndicatorValue.objects.count(), IndicatorWarning.objects.count()
        assert demo_risk.load(institution=institution, branches=branches, stdout=StringIO()).endswith(
            "already loaded"
        )
        assert (IndicatorValue.objects.count(), IndicatorWarning.objects.count()) == (values, warnings)
    finally:
        transport.reset_inline()
