"""Demo knowledge base: troubleshooting articles, the emergency handling manual, diagnosis cards.

Written and published through the real actions (audited, indexed for search): the remote engineer
writes, the support supervisor reviews; the emergency leader's chapters are reviewed by the
supervisor. Idempotent: articles and cards that exist (by code) are left alone.
"""

from __future__ import annotations

from typing import Any

from bastion.identity.models import User
from bastion.knowledge.actions import do_create_article, do_create_diagnosis_card, do_publish_article
from bastion.knowledge.choices import ArticleCategory
from bastion.knowledge.models import Article, DiagnosisCard

T = ArticleCategory.TROUBLESHOOTING
E = ArticleCategory.EMERGENCY_MANUAL
P = ArticleCategory.PROCEDURE

# (code, category, device classes, fault codes, tags, title zh, title en, body zh, body en)
ARTICLES: list[tuple[str, str, list[str], list[str], list[str], str, str, str, str]] = [
    (
        "KB-ATM-001",
        T,
        ["atm", "cash_recycler"],
        ["CASH_JAM"],
        ["现金", "钞箱"],
        "ATM钞箱卡钞故障处理",
        "Clearing a cash jam in an ATM cassette",
        "适用：取款机、存取款一体机出钞或存款时提示卡钞，交易中断。\n\n"
        "1. 在监控平台确认告警代码 CASH_JAM 及最后一笔交易流水，记录卡钞时间。\n"
        "2. 到场后先将设备置为暂停服务，张贴暂停服务告示，双人到场方可开启保险柜。\n"
        "3. 按厂商指引拉出出钞模块，取出卡在通道中的钞票，逐张清点并登记《卡钞处理登记簿》。\n"
        "4. 检查钞箱压板、分钞轮是否磨损；残损、折角钞票不得回箱。\n"
        "5. 复位模块，执行一次自检与测试取款，确认账实相符后恢复服务。\n"
        "6. 若客户已扣账未出钞，按长短款流程在一个工作日内完成调账并回复客户。",
        "For ATMs and cash recyclers reporting a jam during dispensing or deposit.\n\n"
        "1. Confirm alarm CASH_JAM and the last transaction on the monitoring console.\n"
        "2. On site, suspend service and post a notice; the safe is opened by two people only.\n"
        "3. Pull the dispenser module per the vendor guide, remove jammed notes, count and log them.\n"
        "4. Check the pressure plate and pick rollers for wear; damaged notes never go back.\n"
        "5. Reset, run a self-test and a test withdrawal, reconcile, then resume service.\n"
        "6. If a customer was debited without cash, settle the difference within one working day.",
    ),
    (
        "KB-ATM-002",
        T,
        ["atm"],
        ["CARD_CAPTURED", "CARD_READER_FAULT"],
        ["银行卡", "吞卡"],
        "ATM吞卡处理流程",
        "Captured card procedure",
        "客户银行卡被ATM吞没时：\n\n"
        "1. 客服专员登记客户姓名、联系电话、卡号后四位、吞卡时间与设备编号。\n"
        "2. 加钞或维护人员开箱取卡时双人在场，在《吞卡登记簿》签字。\n"
        "3. 本行卡：客户凭本人有效身份证件到网点领取，核对无误后当面交还；他行卡按卡组织规定处理或剪角销毁。\n"
        "4. 同一设备一天内吞卡超过三次，应报读卡器故障（CARD_READER_FAULT）并安排工程师检查读卡模块。",
        "When an ATM captures a customer's card:\n\n"
        "1. The agent records the customer, phone, last four digits, time and device.\n"
        "2. The card is taken out under dual control and signed for in the capture log.\n"
        "3. Own-bank cards are returned in person against valid ID; other banks' cards follow scheme rules.\n"
        "4. More than three captures a day on one device: raise CARD_READER_FAULT for an engineer.",
    ),
    (
        "KB-ATM-003",
        T,
        ["atm", "kiosk"],
        ["PRINTER_PAPER_LOW", "PRINTER_FAULT"],
        ["凭条", "打印机", "耗材"],
        "凭条打印机缺纸与卡纸处理",
        "Receipt printer out of paper or jammed",
        "告警 PRINTER_PAPER_LOW 表示凭条纸将尽，PRINTER_FAULT 表示打印机故障或卡纸。\n\n"
        "1. 打开设备后门维护区，按下打印机释放杆，取出旧纸卷芯。\n"
        "2. 装入 80mm 热敏纸卷，纸头穿过切刀后合上压纸辊，执行走纸测试。\n"
        "3. 卡纸时先断开打印机电源，清除碎纸，检查切刀是否复位。\n"
        "4. 反复卡纸或切刀不动作，更换打印机模块并记录备件编号。",
        "PRINTER_PAPER_LOW means the roll is nearly empty; PRINTER_FAULT means a fault or a jam.\n\n"
        "1. Open the rear service area, release the printer lever, take out the old core.\n"
        "2. Load an 80 mm thermal roll through the cutter, close the platen, run a feed test.\n"
        "3. For a jam, power the printer off, clear the shreds, check the cutter has returned.\n"
        "4. Repeated jams or a stuck cutter: replace the printer module and record the spare part.",
    ),
    (
        "KB-NET-001",
        T,
        ["network", "atm", "pos", "smart_counter", "kiosk", "server"],
        ["LINK_DOWN", "NETWORK_DOWN", "HEARTBEAT_MISSING"],
        ["网络", "链路"],
        "网点网络中断排查",
        "Troubleshooting a branch network outage",
        "网点链路或交换机中断时，其下所有设备只产生一条父告警（LINK_DOWN）。\n\n"
        "1. 在监控平台查看同一网点其他设备状态，区分单台设备网络中断与整点中断。\n"
        "2. 整点中断：联系运营商核实专线状态，同时检查网点路由器、交换机电源与指示灯。\n"
        "3. 主线路中断超过5分钟，切换4G/5G备份线路，确认核心交易可用。\n"
        "4. 单台设备：检查网线、端口、IP 配置，必要时更换网线或交换机端口。\n"
        "5. 中断超过15分钟，按《应急处理手册》网络中断章节启动应急响应。",
        "When a branch link or switch is down, the devices behind it raise one parent alarm (LINK_DOWN).\n\n"
        "1. Check the other devices of the branch: one device or the whole branch?\n"
        "2. Whole branch: call the carrier about the leased line; check router and switch power and lights.\n"
        "3. Primary line down for more than 5 minutes: switch to the 4G/5G backup and test core transactions.\n"
        "4. One device: check the cable, port and IP settings; swap the cable or port.\n"
        "5. Down for more than 15 minutes: start the network chapter of the emergency handling manual.",
    ),
    (
        "KB-SC-001",
        T,
        ["smart_counter"],
        ["ID_READER_FAULT"],
        ["智能柜台", "身份证"],
        "智能柜台身份证读卡器故障处理",
        "Smart counter ID-card reader fault",
        "智能柜台无法读取二代身份证时，开户、挂失等需要联网核查的业务无法办理。\n\n"
        "1. 操作员立即停止该柜台的业务办理，引导客户至其他智能柜台或人工柜台（临时替代措施须登记）。\n"
        "2. 检查读卡器 USB 连接与指示灯，重新插拔后在管理界面执行设备检测。\n"
        "3. 用测试身份证验证读取；仍失败则重启读卡器服务，再失败则更换读卡器模块。\n"
        "4. 故障超过30分钟未恢复，按重大故障向上级报告。",
        "When a smart counter cannot read resident ID cards, account opening and other verified services stop.\n\n"
        "1. The operator stops business on the counter and directs customers to another counter (record the substitute).\n"
        "2. Check the reader's USB connection and light, reconnect, run the device check.\n"
        "3. Test with a test card; restart the reader service, then replace the module if it still fails.\n"
        "4. Not recovered in 30 minutes: report upwards as a major fault.",
    ),
    (
        "KB-POS-001",
        T,
        ["pos"],
        ["POS_SIGNON_FAILED"],
        ["POS", "签到"],
        "POS终端签到失败处理",
        "POS terminal sign-on failure",
        "商户反映POS签到失败、无法交易时：\n\n"
        "1. 核对终端号、商户号是否与系统登记一致。\n"
        "2. 检查通讯方式（有线、无线、4G）与网络信号，重新签到。\n"
        "3. 提示“密钥错误”时，需重新下载主密钥，由两名工程师现场操作。\n"
        "4. 终端硬件故障时更换备机，旧机返修并登记。",
        "When a merchant reports POS sign-on failures:\n\n"
        "1. Check the terminal and merchant IDs against the registry.\n"
        "2. Check the link (wired, Wi-Fi, 4G) and signal, sign on again.\n"
        "3. On a key error, reload the master key with two engineers present.\n"
        "4. On hardware faults, swap in a spare and send the old unit for repair.",
    ),
    (
        "KB-ATM-004",
        T,
        ["atm", "cash_recycler"],
        ["CASH_LOW"],
        ["现金", "加钞"],
        "钞箱余量不足与加钞安排",
        "Low cash level and replenishment",
        "CASH_LOW 告警表示钞箱余量低于10%。\n\n"
        "1. 查看近7日该设备取款量，估算可用时长。\n"
        "2. 通知现金中心安排加钞，节假日前提前加满。\n"
        "3. 加钞须双人操作，清机、轧账、装箱全程录像。",
        "CASH_LOW means the cassettes are below 10%.\n\n"
        "1. Look at the last 7 days of withdrawals to estimate the time left.\n"
        "2. Ask the cash centre to replenish; fill up before holidays.\n"
        "3. Replenishment is done by two people, with balancing and video recording throughout.",
    ),
    (
        "KB-DEV-001",
        T,
        ["atm", "smart_counter", "kiosk", "server", "network"],
        ["TEMPERATURE_HIGH"],
        ["温度", "环境"],
        "设备机内温度过高处理",
        "Cabinet temperature too high",
        "TEMPERATURE_HIGH 表示机内温度超过阈值。\n\n"
        "1. 检查设备所在区域空调是否运行，离行式网点尤其注意夏季午后。\n"
        "2. 检查机箱风扇与防尘滤网，清理灰尘。\n"
        "3. 温度超过45℃且持续上升时，暂停服务并断电保护设备。",
        "TEMPERATURE_HIGH means the cabinet is above its threshold.\n\n"
        "1. Check the air conditioning where the device stands, especially off-site in summer afternoons.\n"
        "2. Check the fans and dust filter and clean them.\n"
        "3. Above 45 °C and rising: suspend service and power down to protect the device.",
    ),
    (
        "KB-PRC-001",
        P,
        [],
        [],
        ["服务规范", "时限"],
        "现场技术支持服务时限要求",
        "Service-time targets for on-site support",
        "首次响应（到场或远程联系）不超过30分钟，平均解决时间不超过4小时，客户满意度95%以上。"
        "超过时限的工单自动升级至后台技术支持中心，重大故障须提交复盘报告（根本原因与预防措施）。",
        "First response (on site or remote contact) within 30 minutes, resolution within 4 hours on average, "
        "satisfaction of 95% or more. Late orders escalate to the back-end support centre; major faults need a "
        "post-mortem (root cause and prevention).",
    ),
]

# The emergency handling manual (应急处理手册), in chapters, written from the seed response plan.
MANUAL: list[tuple[str, str, str, str]] = [
    (
        "EM-01",
        "应急处理手册 第一章 总则与适用范围",
        "Emergency manual 1: purpose and scope",
        "本手册用于自然灾害、网络安全事件、设备故障与系统崩溃、公共卫生事件等影响客户服务的突发情况。"
        "目标：保障客户资金与信息安全，维持服务连续，减少突发事件对客户的影响，提高员工应对能力。",
    ),
    (
        "EM-02",
        "应急处理手册 第二章 应急组织与职责",
        "Emergency manual 2: organisation and duties",
        "应急领导小组由行长任组长，客户服务部与信息技术部负责人任副组长，统筹协调、下达应急指令。"
        "客户服务应急组负责客户咨询与投诉；信息技术应急组负责系统监控、网络安全事件处置与恢复；"
        "后勤保障组负责应急物资准备与调配。",
    ),
    (
        "EM-03",
        "应急处理手册 第三章 事件报告与指令下达",
        "Emergency manual 3: reporting and instructions",
        "任何员工发现突发事件应立即报告应急领导小组，说明事件类型、时间、地点与初步影响。"
        "领导小组评估严重程度后决定是否启动应急响应，并通过邮件、短信、电话等多种渠道同时下达指令，确保无误。",
    ),
    (
        "EM-04",
        "应急处理手册 第四章 网络中断与系统故障处置",
        "Emergency manual 4: network outages and system failures",
        "网点网络中断超过15分钟或核心系统不可用时：信息技术应急组切换备份线路或备用服务器，"
        "客户服务应急组通过热线与网点公告告知客户可用渠道，网点启用应急业务办理登记，恢复后补录并核对。",
    ),
    (
        "EM-05",
        "应急处理手册 第五章 现场协调、清理与恢复",
        "Emergency manual 5: coordination, clean-up and recovery",
        "领导小组持续跟踪事件进展并召开应急会议。处置完毕后各组协同清理现场、恢复服务，确认服务达到正常水平。",
    ),
    (
        "EM-06",
        "应急处理手册 第六章 事后总结与评估",
        "Emergency manual 6: review and evaluation",
        "事件结束后召开总结会，各组提交书面报告，评估响应的及时性与有效性、客户满意度、协同与资源使用情况，"
        "据此修订本手册。应急物资清单：移动通讯设备、备用服务器与数据备份设备、客户通知模板、应急饮用水与食品。",
    ),
]

# (code, fault code, device class, title zh, title en, symptom zh, steps [(zh, en)], escalation zh, article)
CARDS: list[tuple[str, str, str, str, str, str, list[tuple[str, str]], str, str]] = [
    (
        "DC-CASH-JAM",
        "CASH_JAM",
        "",
        "卡钞",
        "Cash jam",
        "交易中断，设备提示卡钞或出钞失败。",
        [
            ("远程查看最后一笔交易与模块状态", "Check the last transaction and module state remotely"),
            ("尝试远程复位出钞模块", "Try a remote reset of the dispenser"),
            ("复位失败则派现场工程师双人开箱清理", "If that fails, send two engineers to clear it"),
            ("清点卡钞并核对长短款", "Count the jammed notes and reconcile"),
        ],
        "远程复位失败或涉及客户扣账未出钞，立即派单现场处理。",
        "KB-ATM-001",
    ),
    (
        "DC-CASH-LOW",
        "CASH_LOW",
        "",
        "钞箱余量不足",
        "Cash level low",
        "钞箱余量低于10%。",
        [
            ("估算剩余可用时长", "Estimate the time left"),
            ("通知现金中心安排加钞", "Ask the cash centre to replenish"),
        ],
        "预计4小时内用尽且现金中心无法安排时，报运维主管。",
        "KB-ATM-004",
    ),
    (
        "DC-CARD-READER",
        "CARD_READER_FAULT",
        "",
        "读卡器故障",
        "Card reader fault",
        "无法读卡或频繁吞卡。",
        [
            ("查看当日吞卡次数", "Check today's card captures"),
            ("远程重启读卡器服务", "Restart the reader service remotely"),
            ("现场清洁读卡器磁头与通道", "Clean the reader head and slot on site"),
            ("仍失败则更换读卡模块", "Replace the reader module"),
        ],
        "更换模块后仍故障，升级后台技术支持中心并联系厂商。",
        "KB-ATM-002",
    ),
    (
        "DC-PRINTER-PAPER",
        "PRINTER_PAPER_LOW",
        "",
        "凭条纸将尽",
        "Receipt paper low",
        "凭条纸余量低。",
        [
            ("安排就近网点人员或加钞人员更换纸卷", "Have branch or cash staff change the roll"),
            ("执行走纸测试", "Run a feed test"),
        ],
        "通常无需升级。",
        "KB-ATM-003",
    ),
    (
        "DC-PRINTER",
        "PRINTER_FAULT",
        "",
        "凭条打印机故障",
        "Receipt printer fault",
        "凭条无法打印或卡纸。",
        [
            ("远程查看打印机状态码", "Read the printer status code remotely"),
            ("现场清除卡纸并检查切刀", "Clear the jam and check the cutter"),
            ("必要时更换打印机模块", "Replace the printer module if needed"),
        ],
        "当日无法修复时设置设备为“不打印凭条”模式并告知客户。",
        "KB-ATM-003",
    ),
    (
        "DC-HEARTBEAT",
        "HEARTBEAT_MISSING",
        "",
        "心跳丢失",
        "Heartbeat missing",
        "监控平台超过5分钟未收到设备心跳。",
        [
            ("查看同网点其他设备是否正常", "Check the branch's other devices"),
            ("远程 ping 设备与网关", "Ping the device and gateway"),
            ("联系网点确认设备是否断电", "Ask the branch whether the device lost power"),
        ],
        "30分钟未恢复，派现场工程师。",
        "KB-NET-001",
    ),
    (
        "DC-LINK-DOWN",
        "LINK_DOWN",
        "network",
        "网点链路或交换机中断",
        "Branch link or switch down",
        "网点下所有设备同时失联。",
        [
            ("联系运营商核实专线", "Call the carrier about the leased line"),
            ("检查路由器与交换机电源", "Check router and switch power"),
            ("5分钟未恢复切换备份线路", "Switch to the backup line after 5 minutes"),
        ],
        "15分钟未恢复，启动应急处理手册第四章，报告应急领导小组。",
        "KB-NET-001",
    ),
    (
        "DC-NETWORK",
        "NETWORK_DOWN",
        "",
        "设备网络中断",
        "Device network down",
        "单台设备失联，同网点其他设备正常。",
        [
            ("检查网线与交换机端口", "Check the cable and switch port"),
            ("核对设备 IP 配置", "Check the device's IP settings"),
        ],
        "更换端口与网线后仍不通，升级网络组。",
        "KB-NET-001",
    ),
    (
        "DC-TEMP",
        "TEMPERATURE_HIGH",
        "",
        "机内温度过高",
        "Cabinet temperature high",
        "机内温度超过阈值。",
        [
            ("检查环境空调", "Check the air conditioning"),
            ("清理风扇与滤网", "Clean the fans and filter"),
            ("超过45℃暂停服务并断电", "Above 45 °C suspend service and power down"),
        ],
        "断电保护后通知厂商检修。",
        "KB-DEV-001",
    ),
    (
        "DC-ID-READER",
        "ID_READER_FAULT",
        "smart_counter",
        "身份证读卡器故障",
        "ID-card reader fault",
        "智能柜台无法读取身份证。",
        [
            ("停止该柜台业务并登记临时替代措施", "Stop business on the counter and record the substitute"),
            ("重新插拔读卡器并执行设备检测", "Reconnect the reader and run the device check"),
            ("重启读卡器服务", "Restart the reader service"),
            ("更换读卡器模块", "Replace the reader module"),
        ],
        "30分钟未恢复，按重大故障向上级报告。",
        "KB-SC-001",
    ),
    (
        "DC-POS-SIGNON",
        "POS_SIGNON_FAILED",
        "pos",
        "POS签到失败",
        "POS sign-on failed",
        "终端签到失败，无法交易。",
        [
            ("核对终端号与商户号", "Check the terminal and merchant IDs"),
            ("检查通讯与信号后重新签到", "Check the link and sign on again"),
            ("密钥错误时双人重新下载主密钥", "On a key error, reload the master key under dual control"),
        ],
        "硬件故障时当日更换备机。",
        "KB-POS-001",
    ),
]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _publish(**fields: Any) -> bool:
    if Article.objects.filter(code=fields["code"]).exists():
        return False
    writer, reviewer = fields.pop("writer"), fields.pop("reviewer")
    article = do_create_article(actor=writer, **fields)
    do_publish_article(article_id=article.pk, actor=reviewer)
    return True


def load(*, institution: Any, branches: Any, stdout: Any) -> str:
    """Load the demo knowledge base; returns a one-line summary."""
    remote = _user("remote")
    supervisor = _user("supervisor")
    leader = _user("emergency")
    if remote is None or supervisor is None or leader is None:
        return "knowledge: skipped (demo staff missing)"
    added = 0
    for code, category, classes, faults, tags, title_zh, title_en, body_zh, body_en in ARTICLES:
        added += _publish(
            code=code,
            category=category,
            device_classes=classes,
            fault_codes=faults,
            tags=tags,
            title_zh=title_zh,
            title_en=title_en,
            body_zh=body_zh,
            body_en=body_en,
            writer=remote,
            reviewer=supervisor,
        )
    for code, title_zh, title_en, body_zh in MANUAL:
        added += _publish(
            code=code,
            category=E,
            tags=["应急处理手册"],
            title_zh=title_zh,
            title_en=title_en,
            body_zh=body_zh,
            writer=leader,
            reviewer=supervisor,
        )
    articles = dict(Article.objects.values_list("code", "pk"))
    cards = 0
    for code, fault, device_class, title_zh, title_en, symptom, steps, escalation, article_code in CARDS:
        if DiagnosisCard.objects.filter(code=code).exists():
            continue
        do_create_diagnosis_card(
            code=code,
            fields={
                "fault_code": fault,
                "device_class": device_class,
                "title_zh": title_zh,
                "title_en": title_en,
                "symptom_zh": symptom,
                "escalation_zh": escalation,
                "article_id": articles.get(article_code),
            },
            steps=steps,
            actor=supervisor,
        )
        cards += 1
    return f"knowledge: {added} articles (incl. {len(MANUAL)} emergency-manual chapters), {cards} diagnosis cards"
