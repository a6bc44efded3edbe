"""AML watch-list screening benchmark: build the name index over generated list entries, then
screen a mixed query set on one core.

Usage: python benchmarks/screening.py [--entries 1000000] [--queries 20000] [--seed 42] [--cpu 0]
Prints one JSON line. Entries are generated deterministically: Chinese personal names drawn from
weighted surname and given-name character distributions (rendered as simplified or traditional
characters or as pinyin in either order), Latin personal names with spelling-variant aliases, and
Chinese and English organisation names with legal forms. Queries are half renderings of listed
names (other script, tones, tone numbers, no spaces, swapped order, a one-letter typo) and half
freshly generated names (misses, or chance hits on common names, as in real screening).
Latency is wall time per ``screen()`` call; the process is pinned to one CPU (``--cpu``). The query
set runs twice: ``untyped`` (``entry_type=None``: each name is normalised and looked up both as a
person and as an organisation) and ``typed`` (the caller knows whether it screens a person or a
company, as KYC does). ``renderings_finding_their_entry`` is recall on the rendered half.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import opencc
from pypinyin import Style, lazy_pinyin

from bastion.aml.matching import EntryType, ListEntry, ScreeningIndex


def words(text: str) -> list[str]:
    """Whitespace-separated pool of names."""
    return text.split()


# Surnames with rough relative frequencies (per mille of the population, rounded).
SURNAMES = (
    "王72 李71 张68 刘54 陈46 杨32 黄24 赵23 吴21 周21 徐17 孙15 马15 朱14 胡13 郭12 何12 高11 林11 罗10 "
    "郑9 梁9 谢8 宋7 唐7 许7 韩6 冯6 邓6 曹6 彭5 曾5 肖5 田5 董5 袁4 潘4 于4 蒋4 蔡4 余4 杜4 叶4 程4 "
    "苏3 魏3 吕3 丁3 任3 沈3 姚3 卢3 姜3 崔3 钟3 谭3 陆3 汪2 范2 金2 石2 廖2 贾2 夏2 韦2 付2 方2 白2 "
    "邹2 孟2 熊2 秦2 邱2 江2 尹2 薛2 闫2 段2 雷2 侯2 龙2 史2 陶1 黎1 贺1 顾1 毛1 郝1 龚1 邵1 万1 钱1 "
    "严1 覃1 武1 戴1 莫1 孔1 向1 汤1 欧阳1 司马1 诸葛1 上官1 单1 区1"
)
GIVEN = (
    "伟30 芳25 娜22 敏22 静21 丽20 强19 磊18 军18 洋17 勇16 艳16 杰15 娟15 涛14 明14 超13 秀13 霞12 平12 "
    "刚12 桂11 英11 华11 文10 玲10 建10 辉10 红10 鹏9 宇9 晓9 志9 海9 飞9 婷8 雪8 国8 林8 小8 俊8 "
    "丹7 春7 斌7 波7 宁7 欣7 佳7 成7 峰7 萍6 琳6 新6 云6 琴6 浩6 亮6 凯6 阳6 梅6 燕6 莉6 兰5 "
    "雅5 慧5 颖5 倩5 瑞5 博5 晨5 鑫5 龙5 旭5 嘉4 子4 思4 梓4 涵4 轩4 睿4 昊4 然4 怡4 欢4 蕾4 "
    "璐3 瑶3 琪3 蓉3 荣3 坤3 斌3 楠3 帆3 毅3 诚3 东3 健3 维3 玮3 薇3 卫3 威3 巍2 炜2 苗2 淑2 "
    "永2 光2 金2 玉2 立2 德2 庆2 忠2 福2 生2 宏2 振2 安2 天2 家2 振2 龙2 凤2 翠2 彬2 泽2 航2 "
    "一1 乐1 长1 重1 朝1 行1 少1 中1 正1 世1 仁1 义1 礼1 智1 信1 良1 善1 美1 真1 雨1 冰1 月1"
)
LATIN_FIRST = words(
    "Mohammed Muhammad Mohamed Ahmed Ahmad Ali Omar Umar Hassan Hussein Ibrahim Yusuf Youssef Abdul "
    "Abdullah Khalid Mustafa Osama Usama Aleksandr Alexander Sergei Sergey Dmitri Dmitry Vladimir "
    "Ivan Nikolai Mikhail Andrei Yuri John Jon Michael Mikhail Robert David James Maria Mariya Anna "
    "Elena Olga Fatima Aisha Ayesha Khadija Jose Juan Carlos Luis Miguel Pedro Ana Sofia Kim Park Lee "
    "Nguyen Tran Jean Pierre Hans Peter Paul Thomas Daniel Samuel Joseph Yosef Ismail Tariq Bilal"
)
LATIN_LAST = words(
    "Hassan Hasan Khan Rahman Rehman Haqqani Al-Rashid Al-Zawahiri Mansour Mansur Saleh Salih Nasser "
    "Nasir Qureshi Kuraishi Petrov Petroff Ivanov Ivanoff Smirnov Kuznetsov Popov Sokolov Volkov "
    "Lebedev Kozlov Novikov Morozov Smith Smyth Johnson Williams Brown Jones Miller Davis Garcia "
    "Rodriguez Martinez Hernandez Lopez Gonzalez Gonzales Perez Sanchez Ramirez Torres Flores Kim "
    "Park Choi Nguyen Tran Le Pham Dubois Martin Bernard Muller Mueller Schmidt Schneider Fischer "
    "Weber Meyer Wagner Becker Hoffmann Schulz Koch Yilmaz Kaya Demir Sahin Celik Ozturk Aydin"
)
ORG_WORDS = words(
    "Golden Dragon Phoenix Eastern Pacific Silk Road Jade Star Ocean Harvest Summit Unity Crescent "
    "Northern Southern Global Royal Prime Delta Orient Sunrise Evergreen Atlas Falcon Eagle Lotus "
    "Horizon Pioneer Crown Liberty Emerald Silver Iron Steel Blue Red Great Wall Bright Future"
)
ORG_TRADES = words(
    "Trading Shipping Logistics Import Export Holdings Investment Industrial Petroleum Chemical "
    "Electronics Mining Finance Technology Marine Energy Textile Construction Pharmaceutical"
)
ORG_FORMS = ("Co., Ltd.", "Company Limited", "Ltd", "LLC", "Inc.", "Corporation", "S.A.", "GmbH", "PLC", "")
# Synthetic surname and brand parts: real lists hold thousands of distinct surnames and firm
# names, far more than the short real-name pools above.
SURNAME_PARTS = (
    (words("Kar Bel Vol Mor Nov Kuz Pet Sok Lebed Orl Zhuk Gor Baran Kisel Medved Tikhon Zait Grom Krasn Bog"),
     words("ov ev in enko sky ovich yuk chenko ski ak")),
    (words("Ash Brad Whit Hart Fair Stan Win Thorn Black Green Hol Craw Ald Pen Wood Marsh"),
     words("ley ford field well ton wood worth by more ham")),
    (["Al-"], words("Rashid Zahrani Qahtani Harbi Otaibi Shammari Dosari Ghamdi Mutairi Anazi Subaie Shehri Juhani "
     "Balushi Maliki Hashimi Tamimi Kuwari Nuaimi Marri Sayed Amri Kaabi Mazrouei")),
)  # fmt: skip
BRAND_SYLLABLES = words(
    "nor vex tra lin co zen tek sol mar vis quan dor ax ion ver ka ro li ta mex sun hua pa tron ex"
)
CN_ORG_PREFIX = words("北京 上海 广州 深圳 天津 重庆 香港 厦门 大连 青岛 宁波 杭州")
CN_ORG_BRAND = words(
    "金龙 华夏 东方 长城 宏达 鑫源 恒通 远航 海丰 瑞祥 永盛 天成 嘉禾 龙腾 昌隆 盛世 中信 联合"
)
CN_ORG_TRADE = words("贸易 实业 物流 船务 投资 科技 能源 化工 矿业 国际 进出口 电子")
ORG_ENDINGS = ("公司", *(f for f in ORG_FORMS if f), *ORG_TRADES)
CN_ORG_FORM = words("有限公司 有限责任公司 股份有限公司 集团有限公司")


def weighted(spec: str) -> tuple[list[str], list[int]]:
    """Items and weights from "王72 李71 ..." (item followed by its weight)."""
    items = [(item.rstrip("0123456789"), int(item.lstrip("".join(set(item) - set("0123456789"))) or 1))
             for item in spec.split()]  # fmt: skip
    return [i for i, _ in items], [w for _, w in items]


class Names:
    """Deterministic generator of list names and their renderings."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.surnames, self.surname_weights = weighted(SURNAMES)
        self.given, self.given_weights = weighted(GIVEN)
        self.s2t = opencc.OpenCC("s2t")

    def han_name(self) -> str:
        """A Chinese personal name in simplified characters."""
        surname = self.rng.choices(self.surnames, self.surname_weights)[0]
        size = 1 if self.rng.random() < 0.3 else 2
        return surname + "".join(self.rng.choices(self.given, self.given_weights, k=size))

    def pinyin(self, han: str, *, style: str = "plain", given_first: bool = False) -> str:
        """Pinyin rendering as pypinyin would give it (ordinary readings, like a careless list)."""
        split = 2 if len(han) >= 3 and han[:2] in {"欧阳", "司马", "诸葛", "上官"} else 1
        family, given = han[:split], han[split:]
        tone = {"plain": Style.NORMAL, "marks": Style.TONE, "numbers": Style.TONE3}[style]
        parts = ["".join(lazy_pinyin(family, style=tone)).capitalize(),
                 "".join(lazy_pinyin(given, style=tone)).capitalize()]  # fmt: skip
        if given_first:
            parts.reverse()
        return " ".join(p for p in parts if p)

    def latin_name(self) -> str:
        """A Latin-script personal name, sometimes with a middle name."""
        parts = [self.rng.choice(LATIN_FIRST)]
        if self.rng.random() < 0.3:
            parts.append(self.rng.choice(LATIN_FIRST))
        if self.rng.random() < 0.4:
            parts.append(self.rng.choice(LATIN_LAST))
        else:
            heads, tails = self.rng.choice(SURNAME_PARTS)
            parts.append(self.rng.choice(heads) + self.rng.choice(tails))
        return " ".join(parts)

    def brand(self) -> str:
        """A synthetic firm name ("Norvex")."""
        return "".join(self.rng.choices(BRAND_SYLLABLES, k=self.rng.choice((2, 3)))).capitalize()

    def org_name(self) -> str:
        """A Chinese or Latin organisation name with a legal form."""
        if self.rng.random() < 0.4:
            return (self.rng.choice(CN_ORG_PREFIX) + self.rng.choice(CN_ORG_BRAND) + self.rng.choice(CN_ORG_TRADE)
                    + self.rng.choice(CN_ORG_FORM))  # fmt: skip
        words = self.rng.sample(ORG_WORDS, self.rng.choice((1, 2)))
        if self.rng.random() < 0.6:
            words = [self.brand(), *words[:1]]
        return " ".join([*words, self.rng.choice(ORG_TRADES), self.rng.choice(ORG_FORMS)]).strip()

    def typo(self, text: str) -> str:
        """Drop one letter (not the first)."""
        letters = [i for i, c in enumerate(text) if c.isalpha() and c.isascii()]
        if len(letters) < 6:
            return text
        i = self.rng.choice(letters[1:])
        return text[:i] + text[i + 1 :]

    def entry(self, number: int) -> ListEntry:
        """One list entry: 60 % Chinese persons, 25 % Latin persons, 15 % organisations."""
        roll = self.rng.random()
        dob = (f"{self.rng.randint(1940, 2000)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}",)
        if roll < 0.6:
            han = self.han_name()
            render = self.rng.random()
            primary = han if render < 0.6 else self.s2t.convert(han) if render < 0.7 else self.pinyin(han)
            aliases = (self.pinyin(han, given_first=True),) if self.rng.random() < 0.5 else ()
            return ListEntry(f"E{number}", "bench", EntryType.PERSON, primary, aliases, dob, ("CN",))
        if roll < 0.85:
            aliases = (self.latin_name(),) if self.rng.random() < 0.3 else ()
            return ListEntry(f"E{number}", "bench", EntryType.PERSON, self.latin_name(), aliases, dob)
        return ListEntry(f"E{number}", "bench", EntryType.ORGANISATION, self.org_name())

    def query_for(self, entry: ListEntry) -> str:
        """Another rendering of a listed name."""
        name = entry.primary_name
        if entry.entry_type is EntryType.PERSON and any("\u4e00" <= c <= "\u9fff" for c in name):
            han = name  # pypinyin reads traditional characters too
            choice = self.rng.randrange(6)
            renders: list[Callable[[], str]] = [
                lambda: self.pinyin(han),
                lambda: self.pinyin(han, style="marks"),
                lambda: self.pinyin(han, style="numbers").lower(),
                lambda: self.pinyin(han, given_first=True).upper(),
                lambda: self.pinyin(han).replace(" ", "").lower(),
                lambda: self.s2t.convert(han),
            ]
            return renders[choice]()
        choice = self.rng.randrange(3)
        if choice == 0:
            return name.upper()
        if choice == 1:
            return self.typo(name)
        words = name.split()
        return f"{words[-1]}, {' '.join(words[:-1])}" if len(words) > 1 else name

    def fresh_query(self) -> str:
        """A name drawn from the same distributions, usually not listed."""
        roll = self.rng.random()
        if roll < 0.5:
            han = self.han_name()
            return han if self.rng.random() < 0.5 else self.pinyin(han)
        return self.latin_name() if roll < 0.8 else self.org_name()


def rss_mb() -> float:
    """Current resident set size of this process in MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


Query = tuple[str, EntryType, str | None]  # text, entry type, id of the listed entry it renders


def make_queries(names: Names, entries: list[ListEntry], count: int) -> list[Query]:
    """Alternately a rendering of a random listed name and a freshly generated name."""
    queries: list[Query] = []
    for number in range(count):
        if number % 2 == 0:
            entry = names.rng.choice(entries)
            queries.append((names.query_for(entry), entry.entry_type, entry.entry_id))
        else:
            text = names.fresh_query()
            kind = EntryType.ORGANISATION if text.endswith(ORG_ENDINGS) else EntryType.PERSON
            queries.append((text, kind, None))
    return queries


def run(index: ScreeningIndex, queries: list[Query], *, typed: bool) -> dict[str, Any]:
    """Screen every query once; with ``typed`` the caller says person or organisation."""
    latencies: list[float] = []
    hits = answered = found_source = 0
    load = os.getloadavg()
    c0, w0 = time.process_time(), time.perf_counter()
    for text, kind, source in queries:
        start = time.perf_counter()
        found = index.screen(text, entry_type=kind if typed else None)
        latencies.append(time.perf_counter() - start)
        hits += len(found)
        answered += bool(found)
        found_source += source is not None and any(h.entry_id == source for h in found)
    wall_s, cpu_s = time.perf_counter() - w0, time.process_time() - c0
    latencies.sort()
    renderings = sum(source is not None for _, _, source in queries)
    return {
        "queries_per_s": round(len(queries) / wall_s),
        "queries_per_cpu_s": round(len(queries) / cpu_s),
        "latency_ms": {"p50": round(statistics.median(latencies) * 1e3, 3),
                       "p90": round(latencies[int(0.9 * len(latencies))] * 1e3, 3),
                       "p99": round(latencies[int(0.99 * len(latencies))] * 1e3, 3),
                       "max": round(latencies[-1] * 1e3, 3)},
        "queries_with_hits": answered,
        "hits_per_query": round(hits / len(queries), 2),
        "renderings_finding_their_entry": f"{found_source}/{renderings}",
        "load_avg_before": [round(x, 2) for x in load],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip


def main() -> None:
    """Generate, build, screen twice and print one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cpu", type=int, default=0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    names = Names(args.seed)
    t0 = time.perf_counter()
    entries = [names.entry(n) for n in range(args.entries)]
    generate_s = time.perf_counter() - t0
    rss_entries = rss_mb()
    load_before_build = os.getloadavg()
    gc.disable()  # The build allocates millions of long-lived objects; cyclic GC would rescan them.
    t0, c0 = time.perf_counter(), time.process_time()
    index = ScreeningIndex.build(entries)
    build_s, build_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    gc.freeze()
    gc.enable()
    rss_index = rss_mb()
    queries = make_queries(names, entries, args.queries)
    for text, _, _ in queries[:500]:
        index.screen(text)  # warm the per-character and segmentation caches
    print(
        json.dumps(
            {
                "benchmark": "screening",
                "entries": args.entries,
                "index": index.stats(),
                "generate_s": round(generate_s, 1),
                "build_s": round(build_s, 1),
                "build_cpu_s": round(build_cpu_s, 1),
                "rss_mb_entries": round(rss_entries),
                "rss_mb_after_build": round(rss_index),
                "index_mb_estimate": round(rss_index - rss_entries),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "queries": len(queries),
                "untyped": run(index, queries, typed=False),
                "typed": run(index, queries, typed=True),
                "machine": {"nproc": os.cpu_count(), "pinned_cpu": args.cpu, "python": platform.python_version(),
                            "load_avg_before_build": [round(x, 2) for x in load_before_build]},
            }
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()
