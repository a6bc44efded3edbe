"""Watch-list name matching: acceptance cases, negatives, organisations, explanations, updates."""

from __future__ import annotations

import pytest

from bastion.aml.matching import DEFAULT_THRESHOLD, EntryType, Hit, ListEntry, MatchMethod, ScreeningIndex

PERSON = EntryType.PERSON
ORG = EntryType.ORGANISATION


def person(entry_id: str, name: str, *aliases: str, **extra: object) -> ListEntry:
    return ListEntry(entry_id, "test", PERSON, name, tuple(aliases), **extra)  # type: ignore[arg-type]


def org(entry_id: str, name: str, *aliases: str) -> ListEntry:
    return ListEntry(entry_id, "test", ORG, name, tuple(aliases))


def ids(hits: list[Hit]) -> list[str]:
    return [h.entry_id for h in hits]


@pytest.fixture(scope="module")
def index() -> ScreeningIndex:
    return ScreeningIndex.build(
        [
            person("han", "张伟"),
            person("other-han", "李娜"),
            person("min", "张敏"),
            person("fang", "王芳"),
            person("shan", "单伟"),
            person("ouyang", "欧阳修"),
            person("mohammed", "Mohammed Ali Hassan", "Abu Ali"),
            person("aleksandr", "Aleksandr Ivanovich Petrov"),
            org("dragon", "Golden Dragon Trading Co., Ltd."),
            org("jinlong", "金龙贸易有限公司"),
        ]
    )


@pytest.mark.parametrize(
    "query",
    [
        "张伟",
        "Zhang Wei",
        "ZHANG Wei",
        "Wei Zhang",
        "zhāng wěi",
        "zhang1 wei3",
        "zhangwei",
        "張偉",
        "ZHANG, Wei",
    ],
)
def test_han_entry_matches_every_rendering(index: ScreeningIndex, query: str) -> None:
    hits = index.screen(query, entry_type=PERSON)
    assert ids(hits) == ["han"]
    assert hits[0].score >= DEFAULT_THRESHOLD
    assert hits[0].matched_name == "张伟"


def test_latin_entry_matches_han_query() -> None:
    index = ScreeningIndex.build([person("latin", "Zhang Wei")])
    hit = index.screen("张伟")[0]
    assert hit.entry_id == "latin"
    assert hit.method is MatchMethod.PINYIN
    assert (hit.query_form, hit.entry_form) == ("zhang wei", "zhang wei")


@pytest.mark.parametrize("query", ["李娜", "Wang Fang", "Zhang Min", "Zhang Wen", "Li Wei", "张文", "Wei"])
def test_unrelated_names_do_not_match_zhang_wei(index: ScreeningIndex, query: str) -> None:
    assert "han" not in ids(index.screen(query))


def test_methods_name_the_transformation(index: ScreeningIndex) -> None:
    assert index.screen("张伟")[0].method is MatchMethod.EXACT
    assert index.screen("張偉")[0].method is MatchMethod.TRADITIONAL_SIMPLIFIED
    assert index.screen("Zhang Wei")[0].method is MatchMethod.PINYIN
    swapped = index.screen("Wei Zhang")[0]
    assert swapped.method is MatchMethod.TRANSPOSITION
    assert swapped.methods == (MatchMethod.PINYIN, MatchMethod.TRANSPOSITION)
    assert swapped.score < index.screen("Zhang Wei")[0].score


def test_explanations_in_both_languages(index: ScreeningIndex) -> None:
    hit = index.screen("Wei Zhang")[0]
    assert (
        "'张伟'" in hit.explanation and "wei zhang" in hit.explanation and "transposition" in hit.explanation
    )
    assert "name order swapped" in hit.explanation
    assert "「张伟」" in hit.explanation_zh and "姓名顺序调换" in hit.explanation_zh
    assert f"{hit.score:g}" in hit.explanation


def test_homophone_characters_score_below_identical_characters() -> None:
    index = ScreeningIndex.build([person("a", "张伟"), person("b", "张维")])
    hits = index.screen("张伟")
    assert ids(hits) == ["a", "b"]
    assert hits[0].score == 100 and hits[1].score == 90
    assert hits[1].method is MatchMethod.PINYIN


def test_polyphonic_surnames_use_the_surname_reading(index: ScreeningIndex) -> None:
    shan = index.screen("Shan Wei")
    assert ids(shan) == ["shan"] and shan[0].method is MatchMethod.PINYIN
    naive = index.screen("Dan Wei")
    assert ids(naive) == ["shan"] and naive[0].method is MatchMethod.ALTERNATIVE_READING
    assert naive[0].score < shan[0].score


@pytest.mark.parametrize(
    ("han", "pinyin"), [("曾伟", "Zeng Wei"), ("解明", "Xie Ming"), ("区华", "Ou Hua"), ("仇刚", "Qiu Gang")]
)
def test_more_polyphonic_surnames(han: str, pinyin: str) -> None:
    index = ScreeningIndex.build([person("x", han)])
    assert ids(index.screen(pinyin)) == ["x"]


def test_compound_surname_transposed() -> None:
    index = ScreeningIndex.build([person("x", "欧阳修")])
    for query in ("Ouyang Xiu", "Xiu Ouyang", "ouyangxiu", "OUYANG, Xiu"):
        assert ids(index.screen(query)) == ["x"], query


def test_latin_spelling_variants(index: ScreeningIndex) -> None:
    for query in ("Muhammad Ali Hassan", "Mohamed Ali Hasan", "MOHAMMED ALI HASSAN", "Hassan, Mohammed Ali"):
        assert ids(index.screen(query)) == ["mohammed"], query
    alex = index.screen("Alexander Ivanovich Petrov")
    assert ids(alex) == ["aleksandr"] and MatchMethod.PHONETIC in alex[0].methods


def test_diacritics_and_punctuation() -> None:
    index = ScreeningIndex.build([person("x", "José Müller-Lüdenscheidt"), person("y", "Seán O'Brien")])
    assert ids(index.screen("JOSE MULLER LUDENSCHEIDT")) == ["x"]
    assert ids(index.screen("Sean OBrien")) == ["y"]


def test_aliases_match_and_say_so(index: ScreeningIndex) -> None:
    hit = index.screen("Abu Ali")[0]
    assert hit.entry_id == "mohammed" and hit.matched_alias and hit.matched_name == "Abu Ali"
    assert "alias" in hit.explanation and "别名" in hit.explanation_zh


def test_organisation_legal_forms(index: ScreeningIndex) -> None:
    for query in (
        "Golden Dragon Trading Company Limited",
        "GOLDEN DRAGON TRADING CO LTD",
        "Golden Dragon Trading",
    ):
        hits = index.screen(query, entry_type=ORG)
        assert ids(hits) == ["dragon"], query
    exact = index.screen("Golden Dragon Trading Company Limited")[0]
    assert exact.method is MatchMethod.EXACT
    assert (exact.query_form, exact.entry_form) == ("golden dragon trading [limited]",) * 2
    assert ids(index.screen("Silver Dragon Trading Co., Ltd.")) == []


def test_chinese_organisation_names(index: ScreeningIndex) -> None:
    assert ids(index.screen("金龙贸易有限公司")) == ["jinlong"]
    assert ids(index.screen("金龍貿易有限責任公司")) == ["jinlong"]
    pinyin = index.screen("Jinlong Maoyi Youxian Gongsi")
    assert ids(pinyin) == ["jinlong"] and pinyin[0].method is MatchMethod.PINYIN
    assert ids(index.screen("银龙贸易有限公司")) == []


def test_entry_type_filter(index: ScreeningIndex) -> None:
    assert index.screen("张伟", entry_type=ORG) == []
    assert ids(index.screen("Golden Dragon Trading Co., Ltd.", entry_type=PERSON)) == []


def test_fuzzy_typos() -> None:
    index = ScreeningIndex.build([person("x", "张小明"), person("y", "Osama bin Laden")])
    fuzzy = index.screen("Zhang Xiaomng")
    assert ids(fuzzy) == ["x"] and fuzzy[0].method is MatchMethod.FUZZY
    assert ids(index.screen("Usama bin Ladin")) == ["y"]
    dropped = ScreeningIndex.build([person("z", "Usama Muhammed Awad bin Laden")]).screen("Osama bin Laden")
    assert ids(dropped) == ["z"] and dropped[0].method is MatchMethod.FUZZY
    # Between two Han names a different syllable is a different character: another person.
    assert ids(index.screen("张小敏")) == []
    # From Latin it may be a typo of the listed name, so it is raised as fuzzy.
    near = index.screen("Zhang Xiaomin")
    assert ids(near) == ["x"] and near[0].method is MatchMethod.FUZZY and near[0].score < 96


def test_threshold_and_limit() -> None:
    index = ScreeningIndex.build([person("a", "张伟"), person("b", "张维"), person("c", "Zhang Wei")])
    assert ids(index.screen("张伟", threshold=99)) == ["a"]
    assert len(index.screen("张伟")) == 3
    assert ids(index.screen("张伟", limit=1)) == ["a"]


def test_secondary_filters_adjust_scores() -> None:
    index = ScreeningIndex.build(
        [
            person("born70", "Zhang Wei", dates_of_birth=("1970-03-02",), nationalities=("CN",)),
            person("born90", "Zhang Wei", dates_of_birth=("1990",), nationalities=("SG",)),
            person("unknown", "Zhang Wei"),
        ]
    )
    hits = index.screen("Zhang Wei", date_of_birth="1970-03-02", nationality="cn")
    assert ids(hits) == ["born70", "unknown"]  # born90: 100 - 15 - 5 < 85
    assert hits[0].score == 100 and hits[0].name_score == 100
    assert any("date of birth equal" in a for a in hits[0].adjustments)
    assert "nationality equal" in hits[0].explanation
    assert "出生日期一致（+5）" in hits[0].explanation_zh and "国籍一致（+3）" in hits[0].explanation_zh
    loose = index.screen("Zhang Wei", date_of_birth="1990-06-01", threshold=50)
    assert ids(loose)[0] == "born90" and loose[0].adjustments == ("year of birth equal (+2)",)


def test_lists_filter() -> None:
    index = ScreeningIndex.build([person("a", "张伟"), ListEntry("a", "other", PERSON, "张伟")])
    assert [(h.list_name, h.entry_id) for h in index.screen("张伟", lists={"other"})] == [("other", "a")]
    assert len(index.screen("张伟")) == 2


def test_incremental_add_remove_and_replace() -> None:
    index = ScreeningIndex.build([person("a", "张伟")])
    assert index.add([person("b", "Wang Fang"), org("c", "Eastern Pacific Shipping Ltd")]) == 2
    assert ids(index.screen("王芳")) == ["b"]
    assert ids(index.screen("Eastern Pacific Shipping Company Limited")) == ["c"]
    assert index.remove("test", "a") and not index.remove("test", "a")
    assert index.screen("张伟") == [] and len(index) == 2
    index.add([person("b", "李娜")])  # same id replaces
    assert index.screen("Wang Fang") == [] and ids(index.screen("Li Na")) == ["b"]
    with pytest.raises(ValueError, match="other lists: elsewhere"):
        index.replace_list("test", [ListEntry("z", "elsewhere", PERSON, "A B")])
    index.replace_list("test", [person("d", "张敏")])
    assert len(index) == 1 and ids(index.screen("Zhang Min")) == ["d"] and index.screen("Li Na") == []
    before = index.stats()
    index.compact()
    assert index.stats()["records"] < before["records"] and ids(index.screen("张敏")) == ["d"]
    assert index.get("test", "d") is not None and index.get("test", "b") is None


def test_many_incremental_adds_fold_into_the_arrays() -> None:
    index = ScreeningIndex.build([])
    for number, name in enumerate(
        ("Alice Walker", "Boris Kowalski", "Chen Jing", "Dmitri Orlov", "Emma Stone")
    ):
        index.add([person(f"p{number}", name)])
    assert index.stats()["overlay_keys"] > 0
    index.compact()
    assert index.stats()["overlay_keys"] == 0
    assert ids(index.screen("ORLOV, Dmitri")) == ["p3"]


def test_list_entry_validation() -> None:
    with pytest.raises(ValueError, match="date of birth"):
        person("x", "A B", dates_of_birth=("03/02/1970",))
    with pytest.raises(ValueError, match="primary_name"):
        person("x", " ")
    assert EntryType.parse("Entity") is ORG and EntryType.parse("INDIVIDUAL") is PERSON


@pytest.mark.parametrize(
    ("listed", "query"),
    [
        ("Huang Zhangwei", "Huang Jing"),  # same consonant skeleton, different pinyin
        ("Yunyang Lin", "Yang Lin"),  # another given name, not a typo
        ("Wang Lanning", "wang2 long2"),
        ("Sergei Al-Hashimi", "Sergei Al-Ghamdi"),  # the article must not carry the score
        ("Khalid Al-Amri", "Khalid Al-Shammari"),
    ],
)
def test_near_misses_stay_below_the_threshold(listed: str, query: str) -> None:
    assert ScreeningIndex.build([person("x", listed)]).screen(query) == []


def test_arabic_article_is_ignored() -> None:
    index = ScreeningIndex.build([person("x", "Mohammed Al-Rashid")])
    assert ids(index.screen("Muhammad Rashid")) == ["x"]
    assert index.screen("Mohammed El Rashid")[0].score == 100


def test_umlaut_spellings_of_pinyin() -> None:
    index = ScreeningIndex.build([person("x", "吕春"), person("y", "女娲")])
    for query in ("lvchun", "Lyu Chun", "LU CHUN", "Lü Chun"):
        assert ids(index.screen(query)) == ["x"], query
    assert ids(index.screen("Nv Wa")) == ["y"]


def test_empty_and_punctuation_queries_find_nothing(index: ScreeningIndex) -> None:
    assert index.screen("") == []
    assert index.screen(" ,.-·") == []
    assert index.screen("Mr.") == []


def test_date_of_birth_near_miss() -> None:
    index = ScreeningIndex.build([person("x", "Zhang Wei", dates_of_birth=("1970",))])
    near = index.screen("Zhang Wei", date_of_birth="1971-05-01")
    assert near[0].score == 95 and near[0].adjustments == ("date of birth within one year (-5)",)
