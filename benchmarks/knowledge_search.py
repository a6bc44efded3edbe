"""Knowledge search latency: Chinese and English queries over a large generated knowledge base.

Usage: python benchmarks/knowledge_search.py [--articles 20000] [--queries 400] [--seed 7]

A fresh database (embedded SQLite in a temporary BASTION_HOME, or PostgreSQL when
BASTION_DATABASE_URL is set: a throwaway database is created and dropped) is migrated, filled with
generated articles (Chinese and English text recombined from realistic troubleshooting sentences),
indexed exactly as the application indexes them, then searched. Prints one JSON line: indexing rate,
search and suggestion latency percentiles (ms), against the 150 ms p95 target.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCES_ZH = [
    "当ATM出现卡钞时，先暂停服务，再双人打开保险柜取出钞箱。",
    "客户银行卡被吞后，应在两个工作日内核实身份后退还。",
    "凭条打印机缺纸时，装入八十毫米热敏纸卷并执行走纸测试。",
    "网点网络中断超过十五分钟，启动应急处理手册第四章。",
    "智能柜台身份证读卡器故障时，停止该柜台业务并登记临时替代措施。",
    "POS终端签到失败，核对终端号与商户号后重新签到。",
    "机内温度过高时检查空调、风扇和防尘滤网。",
    "钞箱余量不足时通知现金中心安排加钞，节假日前提前加满。",
    "交换机端口故障导致单台设备失联，更换网线或端口。",
    "系统升级前制定详细的升级计划，进行充分的测试和演练。",
    "发生突发事件时，任何员工应立即向应急领导小组报告。",
    "故障处理完成后，对故障原因进行分析总结，提出改进措施。",
]
SENTENCES_EN = [
    "Suspend service before opening the safe to clear a cash jam.",
    "Return a captured card after checking the customer's identity.",
    "Load a new thermal paper roll and run a feed test.",
    "Switch to the backup line when the branch link is down.",
    "Replace the ID card reader module if the device check fails.",
    "Reload the POS master key under dual control.",
]
SUBJECTS = [
    "钞箱",
    "读卡器",
    "打印机",
    "交换机",
    "智能柜台",
    "POS终端",
    "存取款一体机",
    "发卡机",
    "服务器",
    "路由器",
]
ACTIONS = ["故障处理", "日常巡检", "更换流程", "应急预案", "操作规程", "常见问题"]
FAULTS = ["CASH_JAM", "CASH_LOW", "CARD_READER_FAULT", "PRINTER_FAULT", "LINK_DOWN", "TEMPERATURE_HIGH"]
QUERIES = [
    "卡钞",
    "读卡器",
    "应急预案",
    "网络中断",
    "身份证",
    "签到失败",
    "cash jam",
    "feed",
    "CASH_LOW",
    "吞卡 身份",
]


def _prepare_database() -> str | None:
    url = os.environ.get("BASTION_DATABASE_URL", "")
    if not url:
        os.environ["BASTION_HOME"] = tempfile.mkdtemp(prefix="bastion-bench-")
        return None
    import psycopg

    name = f"bench_knowledge_{os.getpid()}"
    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["BASTION_DATABASE_URL"] = f"{base}/{name}"
    return name


def _drop_database(name: str, url: str) -> None:
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _generate(count: int, rng: random.Random) -> float:
    """Insert and index ``count`` published articles; returns articles indexed per second."""
    from django.db import transaction
    from tqdm import tqdm

    from bastion.knowledge import search
    from bastion.knowledge.models import Article, join_codes

    started = time.perf_counter()
    batch: list[Article] = []
    with tqdm(total=count, desc="articles", file=sys.stderr) as progress:
        for n in range(count):
            title = f"{rng.choice(SUBJECTS)}{rng.choice(ACTIONS)}（第{n}号）"
            body_zh = "".join(rng.sample(SENTENCES_ZH, 4))
            body_en = " ".join(rng.sample(SENTENCES_EN, 2))
            faults = join_codes(rng.sample(FAULTS, 1))
            batch.append(
                Article(
                    code=f"BENCH-{n:07d}",
                    title_zh=title,
                    body_zh=body_zh,
                    body_en=body_en,
                    fault_codes=faults,
                    status="published",
                    search_title=search.document_terms(title),
                    search_body=search.document_terms(body_zh, body_en, faults),
                )
            )
            if len(batch) == 1000 or n == count - 1:
                with transaction.atomic():
                    for article in Article.objects.bulk_create(batch):
                        search.index_article(
                            article.pk,
                            title=article.search_title,
                            body=article.search_body,
                            status=article.status,
                            has_english=bool(article.title_en),
                        )
                progress.update(len(batch))
                batch = []
    return count / (time.perf_counter() - started)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "max": round(ordered[-1], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    original_url = os.environ.get("BASTION_DATABASE_URL", "")
    dropped = _prepare_database()
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bastion.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        import jieba

        jieba.initialize()
        rng = random.Random(args.seed)
        rate = _generate(args.articles, rng)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE knowledge_article")
        from bastion.knowledge.services import search_articles, suggest_articles

        search_ms: list[float] = []
        hits = 0
        for i in range(args.queries):
            query = QUERIES[i % len(QUERIES)]
            started = time.perf_counter()
            hits += len(search_articles(query=query, limit=20))
            search_ms.append((time.perf_counter() - started) * 1000)
        suggest_ms: list[float] = []
        for i in range(max(1, args.queries // 4)):
            started = time.perf_counter()
            suggest_articles(
                text="客户反映自助取款机卡钞，交易失败",
                device_class="atm",
                fault_code=FAULTS[i % len(FAULTS)],
            )
            suggest_ms.append((time.perf_counter() - started) * 1000)
        search_p = _percentiles(search_ms)
        print(
            json.dumps(
                {
                    "benchmark": "knowledge_search",
                    "database": connection.vendor,
                    "articles": args.articles,
                    "index_articles_per_s": round(rate),
                    "queries": args.queries,
                    "hits_returned": hits,
                    "search_ms": search_p,
                    "suggest_ms": _percentiles(suggest_ms),
                    "target_p95_ms": 150,
                    "meets_target": search_p["p95"] < 150,
                    "loadavg": Path("/proc/loadavg").read_text().split()[:3],
                },
                ensure_ascii=False,
            )
        )
        connection.close()
        return 0
    finally:
        if dropped:
            _drop_database(dropped, original_url)


if __name__ == "__main__":
    sys.exit(main())
