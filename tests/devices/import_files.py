"""Real CSV and XLSX device files for the import tests, written the way users' tools write them."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook

ZH_HEADERS = [
    "资产编号",
    "设备名称",
    "设备类别",
    "厂商",
    "型号",
    "序列号",
    "网点代码",
    "安装位置",
    "安装日期",
    "上联设备",
]
EN_HEADERS = [
    "Asset tag",
    "Name",
    "Device class",
    "Vendor",
    "Model",
    "Serial number",
    "Branch code",
    "Install date",
    "Warranty until",
    "Network dependency",
]


def csv_bytes(rows: list[list[Any]], *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "设备清单"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_zh_rows(branch_code: str) -> list[list[Any]]:
    """A switch and the devices behind it, listed before the switch (the import orders them)."""
    return [
        ZH_HEADERS,
        [
            "IMP-ATM-001",
            "大堂取款机",
            "ATM",
            "广电运通",
            "DT-7000",
            "GRG0001",
            branch_code,
            "大堂东侧",
            "2021-03-15",
            "IMP-SW-01",
        ],
        [
            "IMP-KSK-001",
            "自助查询机",
            "自助服务终端",
            "恒银",
            "CB-M50",
            "CY0001",
            branch_code,
            "自助区",
            "2022/5/6",
            "IMP-SW-01",
        ],
        ["IMP-SW-01", "自助区交换机", "network", "华为", "S5735", "HW0001", branch_code, "机房", "", ""],
    ]


def xlsx_en_rows(branch_code: str) -> list[list[Any]]:
    """English headers; dates as spreadsheet date cells; a numeric serial number."""
    return [
        EN_HEADERS,
        [
            "IMP-POS-001",
            "Counter POS",
            "POS terminal",
            "新大陆",
            "ME31",
            880001,
            branch_code,
            date(2023, 1, 9),
            datetime(2026, 1, 8),
            "",
        ],
        [
            "IMP-SC-001",
            "智能柜台",
            "smart_counter",
            "怡化",
            "SCT-3000",
            "YH0001",
            branch_code,
            "2020-07-01",
            "",
            "",
        ],
    ]


def rows_with_errors(branch_code: str, other_branch: str) -> list[list[Any]]:
    """Row 2 valid; row 3 bad class and date; row 4 other branch; row 5 repeats row 2's tag."""
    return [
        ZH_HEADERS,
        ["IMP-ATM-101", "大堂取款机", "atm", "御银", "H22N", "YY0101", branch_code, "", "2021-03-15", ""],
        ["IMP-ATM-102", "取款机", "toaster", "御银", "H22N", "YY0102", branch_code, "", "2021-13-45", ""],
        ["IMP-ATM-103", "取款机", "atm", "御银", "H22N", "YY0103", other_branch, "", "", ""],
        ["IMP-ATM-101", "取款机", "atm", "御银", "H22N", "YY0104", branch_code, "", "", ""],
    ]
