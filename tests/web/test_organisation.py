"""The console's organisation pages: branches, teams and business calendars."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from bastion.audit.models import AuditEvent
from bastion.identity.models import Role, Site, Team
from bastion.platform.calendars import calendar_changed
from bastion.platform.models import BusinessCalendar, CalendarDay, CalendarDayKind, WorkingWindow
from tests.web.conftest import sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def _windows(calendar: BusinessCalendar, weekday: int) -> list[tuple[dt.time, dt.time]]:
    return [(w.start, w.end) for w in calendar.windows.filter(weekday=weekday).order_by("start")]


def test_branch_list_is_scoped(console, world):
    manager_b = console("branch_manager_b").get("/organisation/").content.decode()
    assert "北京海淀支行" in manager_b and "上海浦东支行" not in manager_b
    everyone = console("admin_hq").get("/organisation/").content.decode()
    assert "北京海淀支行" in everyone and "上海浦东支行" in everyone
    assert "Asia/Shanghai" in everyone and "标准营业日历" in everyone
    assert 'data-section="organisation"' in everyone


def test_branch_detail_outside_scope_is_not_found(console, world):
    assert console("branch_manager_b").get(f"/organisation/branches/{world.branch_a.pk}/").status_code == 404
    assert console("branch_manager_b").get(f"/organisation/branches/{world.branch_b.pk}/").status_code == 200


def test_branch_detail_shows_sites_teams_staff_days_and_clock(console, world):
    Site.objects.create(branch=world.branch_a, code="hall", name="营业大厅")
    team = Team.objects.create(
        institution=world.branch_a.institution,
        branch=world.branch_a,
        code="sh-fe",
        name="浦东一线支持组",
        kind=Team._meta.get_field("kind").choices[0][0],
        leader=world.users["branch_manager"],
    )
    team.members.add(world.users["onsite_engineer"])
    year = timezone.localdate().year
    CalendarDay.objects.create(
        calendar=world.branch_a.calendar,
        date=dt.date(year, 10, 1),
        kind=CalendarDayKind.HOLIDAY,
        name="国庆节",
    )
    response = console("branch_manager").get(f"/organisation/branches/{world.branch_a.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "营业大厅" in html and "浦东一线支持组" in html and "国庆节" in html
    assert "09:00-12:00, 13:00-17:30" in html
    assert response.context["staff_count"] == Role.objects.count()  # one user per role at branch A


def test_branch_clock_reports_closed_and_next_working_time(console, world):
    calendar = world.branch_b.calendar
    local_now = timezone.localtime(timezone.now(), ZoneInfo(world.branch_b.time_zone))
    tomorrow = local_now.date() + dt.timedelta(days=1)
    WorkingWindow.objects.filter(calendar=calendar).delete()
    WorkingWindow.objects.create(
        calendar=calendar, weekday=tomorrow.weekday(), start=dt.time(10), end=dt.time(11)
    )
    calendar_changed()
    response = console("branch_manager_b").get(f"/organisation/branches/{world.branch_b.pk}/")
    clock = response.context["clock"]
    assert clock["open"] is False
    assert clock["next"] == dt.datetime.combine(tomorrow, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai"))
    assert "Next working time" in response.content.decode()


def test_branch_clock_reports_open_around_the_clock(console, world):
    BusinessCalendar.objects.filter(pk=world.branch_b.calendar_id).update(always_open=True)
    calendar_changed()
    response = console("branch_manager_b").get(f"/organisation/branches/{world.branch_b.pk}/")
    assert response.context["clock"]["open"] is True and response.context["clock"]["next"] is None
    assert "Next working time" not in response.content.decode()


def test_team_list_is_scoped(console, world):
    institution = world.branch_a.institution
    kind = Team._meta.get_field("kind").choices[0][0]
    Team.objects.create(institution=institution, branch=world.branch_a, code="t-a", name="浦东组", kind=kind)
    Team.objects.create(institution=institution, branch=world.branch_b, code="t-b", name="海淀组", kind=kind)
    Team.objects.create(institution=institution, code="t-hq", name="总行客服中心", kind=kind)
    manager_b = console("branch_manager_b").get("/organisation/teams/").content.decode()
    assert "海淀组" in manager_b and "浦东组" not in manager_b and "总行客服中心" not in manager_b
    hq = console("admin_hq").get("/organisation/teams/").content.decode()
    assert "海淀组" in hq and "浦东组" in hq and "总行客服中心" in hq


def test_calendars_visible_only_through_branches_in_scope(console, world):
    other = BusinessCalendar.objects.create(code="atm-24x7", name="自助设备日历", always_open=True)
    assert "自助设备日历" not in console("branch_manager_b").get("/organisation/calendars/").content.decode()
    assert console("branch_manager_b").get(f"/organisation/calendars/{other.pk}/").status_code == 404
    assert "自助设备日历" in console("admin_hq").get("/organisation/calendars/").content.decode()
    page = console("branch_manager_b").get(f"/organisation/calendars/{world.branch_b.calendar.pk}/")
    assert page.status_code == 200 and 'id="windows-form"' not in page.content.decode()


def test_administrator_sets_windows_and_it_is_audited(console, world):
    calendar = world.branch_a.calendar
    response = console("administrator").post(
        f"/organisation/calendars/{calendar.pk}/windows/", {"weekday": "5", "windows": "09:30-15:00"}
    )
    assert response.status_code == 302
    assert _windows(calendar, 5) == [(dt.time(9, 30), dt.time(15))]
    event = AuditEvent.objects.get(action="calendar.windows_set")
    assert event.actor_id == world.users["administrator"].pk
    page = console("administrator").get(response["Location"]).content.decode()
    assert "09:30-15:00" in page


@pytest.mark.parametrize(
    ("windows", "message"),
    [
        ("12:00-09:00", "Each working window must end after it starts."),
        ("09:00-12:00, 11:00-13:00", "Working windows of one day must not overlap."),
        ("nine to five", "Write each window as HH:MM-HH:MM"),
    ],
)
def test_bad_windows_show_the_field_error_and_change_nothing(console, world, windows, message):
    calendar = world.branch_a.calendar
    before = _windows(calendar, 0)
    response = console("admin_hq").post(
        f"/organisation/calendars/{calendar.pk}/windows/", {"weekday": "0", "windows": windows}
    )
    assert response.status_code == 400
    assert response.context["windows_form"].errors["windows"]
    html = response.content.decode()
    assert message in html and 'class="field has-error"' in html
    assert _windows(calendar, 0) == before
    assert not AuditEvent.objects.filter(action="calendar.windows_set").exists()


def test_add_and_remove_a_makeup_day(console, world):
    calendar = world.branch_a.calendar
    admin = console("admin_hq")
    url = f"/organisation/calendars/{calendar.pk}"
    added = admin.post(
        f"{url}/days/",
        {"date": "2026-10-11", "kind": "makeup_workday", "name": "国庆调休", "works_as_weekday": "4"},
    )
    assert added.status_code == 302
    day = CalendarDay.objects.get(calendar=calendar, date=dt.date(2026, 10, 11))
    assert day.kind == CalendarDayKind.MAKEUP_WORKDAY and day.works_as_weekday == 4
    duplicate = admin.post(f"{url}/days/", {"date": "2026-10-11", "kind": "holiday", "works_as_weekday": "0"})
    assert duplicate.status_code == 400
    assert "already has an entry for this date" in duplicate.content.decode()
    borrowed = admin.post(
        f"{url}/days/", {"date": "2026-10-12", "kind": "makeup_workday", "works_as_weekday": "6"}
    )
    assert borrowed.status_code == 400 and borrowed.context["day_form"].errors["works_as_weekday"]
    assert admin.post(f"{url}/days/remove/", {"date": "2026-10-11"}).status_code == 302
    assert not CalendarDay.objects.filter(calendar=calendar).exists()
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-2:] == ["calendar.day_added", "calendar.day_removed"]


def test_load_public_holidays(console, world):
    calendar = world.branch_a.calendar
    url = f"/organisation/calendars/{calendar.pk}/holidays/"
    response = console("admin_hq").post(url, {"year": "2025", "works_as_weekday": "0"})
    assert response.status_code == 302
    assert calendar.days.filter(date__year=2025, kind=CalendarDayKind.HOLIDAY).exists()
    assert AuditEvent.objects.filter(action="calendar.holidays_loaded").count() == 1
    unknown = console("admin_hq").post(url, {"year": "2001", "works_as_weekday": "0"})
    assert unknown.status_code == 400 and unknown.context["holidays_form"].errors["year"]


def test_editing_is_refused_without_manage_organisation(console, world):
    calendar = world.branch_a.calendar
    before = _windows(calendar, 0)
    manager = console("branch_manager")
    url = f"/organisation/calendars/{calendar.pk}"
    assert manager.post(f"{url}/windows/", {"weekday": "0", "windows": ""}).status_code == 403
    assert manager.post(f"{url}/days/", {"date": "2026-10-11", "kind": "holiday"}).status_code == 403
    assert manager.post(f"{url}/holidays/", {"year": "2025", "works_as_weekday": "0"}).status_code == 403
    assert _windows(calendar, 0) == before
    assert not calendar.days.exists()
    assert not AuditEvent.objects.filter(action__startswith="calendar.").exists()


def test_chinese_by_default_english_with_the_cookie(console, world):
    default = sign_in(Client(), world.users["admin_hq"])
    chinese = default.get("/organisation/").content.decode()
    assert "组织机构" in chinese and "营业日历" in chinese and "Business calendars" not in chinese
    calendar = default.get(f"/organisation/calendars/{world.branch_a.calendar_id}/").content.decode()
    assert "星期一" in calendar and "每周营业时段" in calendar and "Monday" not in calendar
    english = (
        console("admin_hq").get(f"/organisation/calendars/{world.branch_a.calendar_id}/").content.decode()
    )
    assert "Weekly working windows" in english and "Monday" in english and "每周营业时段" not in english
