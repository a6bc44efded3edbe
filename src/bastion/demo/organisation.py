"""The demo organisation: one bank, regions, branches in several cities, sites, teams, calendars."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bastion.identity.choices import SiteKind, TeamKind
from bastion.identity.models import Branch, Institution, Region, Site, Team
from bastion.platform.models import BusinessCalendar, WorkingWindow

INSTITUTION = ("demo-bank", "示范商业银行股份有限公司", "Demo Commercial Bank Co., Ltd.")
REGIONS = [("north", "华北区"), ("east", "华东区"), ("south", "华南区"), ("southwest", "西南区")]


@dataclass(frozen=True)
class BranchSeed:
    code: str
    name: str
    name_en: str
    city: str
    region: str
    address: str
    weekend_open: bool = False
    head_office: bool = False


BRANCHES = [
    BranchSeed(
        "bj-hq",
        "总行营业部",
        "Head Office Business Department",
        "北京",
        "north",
        "北京市西城区金融大街8号",
        head_office=True,
    ),
    BranchSeed(
        "bj-haidian",
        "北京海淀支行",
        "Beijing Haidian Sub-branch",
        "北京",
        "north",
        "北京市海淀区中关村大街27号",
    ),
    BranchSeed(
        "sh-pudong",
        "上海浦东支行",
        "Shanghai Pudong Sub-branch",
        "上海",
        "east",
        "上海市浦东新区陆家嘴环路1000号",
        True,
    ),
    BranchSeed(
        "sh-jingan",
        "上海静安支行",
        "Shanghai Jing'an Sub-branch",
        "上海",
        "east",
        "上海市静安区南京西路1266号",
    ),
    BranchSeed(
        "hz-xihu", "杭州西湖支行", "Hangzhou Xihu Sub-branch", "杭州", "east", "杭州市西湖区文三路398号"
    ),
    BranchSeed(
        "gz-tianhe",
        "广州天河支行",
        "Guangzhou Tianhe Sub-branch",
        "广州",
        "south",
        "广州市天河区天河路385号",
        True,
    ),
    BranchSeed(
        "sz-nanshan",
        "深圳南山支行",
        "Shenzhen Nanshan Sub-branch",
        "深圳",
        "south",
        "深圳市南山区科技园南区深南大道9988号",
    ),
    BranchSeed(
        "cd-gaoxin",
        "成都高新支行",
        "Chengdu Hi-tech Sub-branch",
        "成都",
        "southwest",
        "成都市高新区天府大道中段1号",
    ),
]

SITES = [
    ("hall", "营业大厅", SiteKind.LOBBY),
    ("selfservice", "自助服务区", SiteKind.SELF_SERVICE),
    ("server-room", "机房", SiteKind.SERVER_ROOM),
]


def _calendar(
    code: str, name: str, windows: dict[int, list[tuple[dt.time, dt.time]]], *, always_open: bool = False
) -> BusinessCalendar:
    calendar, created = BusinessCalendar.objects.get_or_create(
        code=code, defaults={"name": name, "always_open": always_open}
    )
    if created:
        WorkingWindow.objects.bulk_create(
            WorkingWindow(calendar=calendar, weekday=day, start=start, end=end)
            for day, spans in windows.items()
            for start, end in spans
        )
    return calendar


def _load_public_holidays(calendars: list[BusinessCalendar]) -> None:
    """Mainland public holidays and make-up working days (调休) for every year the data covers."""
    from bastion.platform.actions import do_load_public_holidays
    from bastion.platform.holidays import published_years

    for calendar in calendars:
        for year in published_years():
            do_load_public_holidays(calendar=calendar, year=year, actor=None)


def build_calendars() -> dict[str, BusinessCalendar]:
    weekday_spans = [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))]
    weekend_spans = [(dt.time(9, 30), dt.time(16))]
    calendars = {
        "weekday": _calendar("cn-weekday", "工作日营业（周一至周五）", {d: weekday_spans for d in range(5)}),
        "weekend": _calendar(
            "cn-all-week",
            "全周营业（周末缩短）",
            {**{d: weekday_spans for d in range(5)}, 5: weekend_spans, 6: weekend_spans},
        ),
        "always": _calendar("always-open", "7×24 自助设备", {}, always_open=True),
    }
    _load_public_holidays([calendars["weekday"], calendars["weekend"]])
    return calendars


def build_organisation() -> tuple[Institution, list[Branch]]:
    """Create (idempotently) the institution, regions, branches, sites and teams."""
    calendars = build_calendars()
    code, name, name_en = INSTITUTION
    institution, _ = Institution.objects.get_or_create(
        code=code, defaults={"name": name, "name_en": name_en, "calendar": calendars["weekday"]}
    )
    regions = {
        rc: Region.objects.get_or_create(institution=institution, code=rc, defaults={"name": rn})[0]
        for rc, rn in REGIONS
    }
    branches = []
    for seed in BRANCHES:
        branch, _ = Branch.objects.get_or_create(
            code=seed.code,
            defaults={
                "institution": institution,
                "region": regions[seed.region],
                "name": seed.name,
                "name_en": seed.name_en,
                "city": seed.city,
                "address": seed.address,
                "calendar": calendars["weekend" if seed.weekend_open else "weekday"],
                "is_head_office": seed.head_office,
            },
        )
        for site_code, site_name, kind in SITES:
            Site.objects.get_or_create(
                branch=branch, code=site_code, defaults={"name": site_name, "kind": kind}
            )
        branches.append(branch)
    _build_teams(institution, regions, branches)
    return institution, branches


def _build_teams(institution: Institution, regions: dict[str, Region], branches: list[Branch]) -> None:
    head_office = branches[0]
    for region_code, region in regions.items():
        Team.objects.get_or_create(
            code=f"frontline-{region_code}",
            defaults={
                "institution": institution,
                "region": region,
                "name": f"{region.name}一线运维组",
                "kind": TeamKind.FRONTLINE_SUPPORT,
            },
        )
    central = [
        ("backend-support", "后台技术支持中心", TeamKind.BACKEND_SUPPORT),
        ("customer-service", "客户服务中心", TeamKind.CUSTOMER_SERVICE),
        ("risk", "风险管理部", TeamKind.RISK),
        ("aml", "反洗钱中心", TeamKind.AML),
        ("compliance", "法律合规部", TeamKind.COMPLIANCE),
        ("logistics", "后勤保障部", TeamKind.LOGISTICS),
        ("emergency-leadership", "应急领导小组", TeamKind.EMERGENCY),
    ]
    for team_code, team_name, kind in central:
        Team.objects.get_or_create(
            code=team_code,
            defaults={"institution": institution, "branch": head_office, "name": team_name, "kind": kind},
        )
