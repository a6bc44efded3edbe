"""Customer satisfaction (R3.8)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Feedback(models.Model):
    """The customer's rating of a resolved order, given once through a signed link.

    Engineer, team and branch are copied from the order when the rating arrives, so satisfaction per
    engineer stays true after a later reassignment.
    """

    work_order = models.OneToOneField(
        "servicedesk.WorkOrder", on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "identity.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    branch = models.ForeignKey("identity.Branch", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)

    branch_scope_path = "branch"

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"
            )
        ]
        indexes = [models.Index(fields=["branch", "submitted_at"], name="feedback_branch_time")]

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.rating}"

    @property
    def satisfied(self) -> bool:
        """Ratings of 4 and 5 count as satisfied for the R3.8 target (>= 95 %)."""
        return self.rating >= 4
