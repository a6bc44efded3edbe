"""Business calendars shared by every branch-facing clock (SLA timers, report deadlines)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class BusinessCalendar(models.Model):
    """A named business calendar: weekly working windows plus dated exceptions.

    Windows are local wall-clock times; the branch using the calendar supplies the time zone, so one
    calendar (e.g. the mainland China public calendar) can serve branches in several zones.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    always_open = models.BooleanField(
        _("24x7"), default=False, help_text=_("Every minute counts, e.g. for self-service devices.")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class WorkingWindow(models.Model):
    """One working interval of a weekday (several per day model the lunch break)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("0 = Monday … 6 = Sunday"))
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("working window")
        verbose_name_plural = _("working windows")
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="window_weekday_0_6"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="window_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")})


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (closed)")
    MAKEUP_WORKDAY = "makeup_workday", _("Make-up working day (调休)")


class CalendarDay(models.Model):
    """A dated exception: a public holiday, or a weekend day worked in exchange (调休)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    works_as_weekday = models.PositiveSmallIntegerField(
        _("works as weekday"),
        default=0,
        help_text=_("For a make-up working day: whose windows apply (0 = Monday)."),
    )

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
