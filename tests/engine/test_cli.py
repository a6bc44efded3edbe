"""``bastion engine ...``: scoring files, checking rule sets, generating data, failing cleanly."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bastion.engine import Engine
from bastion.engine.cli import main


@pytest.fixture(scope="module")
def payments(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "payments.parquet"
    assert main(["generate", "--count", "3000", "--seed", "4", "--output", str(path)]) == 0
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".arrow"])
def test_score_writes_decisions_in_every_format(payments: Path, tmp_path: Path, suffix: str) -> None:
    source = pl.read_parquet(payments)
    input_path = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        source.with_columns(pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%S%.6f+00:00")).write_csv(
            input_path
        )
    elif suffix == ".arrow":
        source.write_ipc(input_path)
    else:
        input_path = payments
    output = tmp_path / f"out{suffix}"
    assert main(["score", "--input", str(input_path), "--output", str(output), "--quiet"]) == 0
    scored = {".parquet": pl.read_parquet, ".csv": pl.read_csv, ".arrow": pl.read_ipc}[suffix](output)
    assert scored.height == 3000
    assert {"id", "score", "level", "level_zh", "action", "fired", "reasons_zh", "reasons_en"} <= set(
        scored.columns
    )
    assert "count(payer, 10m)" in scored.columns
    reference = Engine.default().score_frame(source).output()
    assert scored["score"].to_list() == reference["score"].to_list()


def test_lists_and_custom_rules(payments: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nid = "BL"\nwhen = \'payee in list("bad")\'\npoints = 100\naction = "block"\n'
        'reason_zh = "黑名单"\nreason_en = "blocked"\n',
        encoding="utf-8",
    )
    target = pl.read_parquet(payments)["payee_account"].drop_nulls()[0]
    bad = tmp_path / "bad.txt"
    bad.write_text(f"# shared blocklist\n{target}\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    code = main(["score", "--rules", str(rules), "--list", f"bad={bad}", "--input", str(payments),
                 "--output", str(out), "--quiet"])  # fmt: skip
    assert code == 0
    blocked = pl.read_parquet(out).filter(pl.col("action") == "block")
    assert blocked.height >= 1 and blocked["fired"].to_list()[0] == ["BL"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "--input", "missing.parquet"], "does not exist"),
        (["score", "--input", "{payments}", "--rules", "{bad_rules}"], "syntax error"),
        (["score", "--input", "{bad_input}"], "row 1: channel"),
        (["score", "--input", "{payments}", "--list", "oops"], "--list expects NAME=FILE"),
        (["score", "--input", "{payments}", "--rules", "nowhere.toml"], "cannot read rule set"),
        (["score", "--input", "{text}"], "unsupported input format"),
        (["generate", "--count", "0"], "must be positive"),
    ],
)
def test_bad_input_gives_message_exit_2_and_no_output(
    payments: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    bad_rules = tmp_path / "bad.toml"
    bad_rules.write_text("[[rule]]\nid='X'\nwhen='amount >'\npoints=1\nreason_zh='a'\nreason_en='a'\n")
    bad_input = tmp_path / "bad.csv"
    frame = (
        pl.read_parquet(payments)
        .head(3)
        .with_columns(pl.col("timestamp").dt.to_string("%Y-%m-%dT%H:%M:%S+00:00"))
    )
    frame.with_columns(
        pl.when(pl.int_range(3) == 1).then(pl.lit("fax")).otherwise(pl.col("channel")).alias("channel")
    ).write_csv(bad_input)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    output = tmp_path / "out.parquet"
    filled = [a.format(payments=payments, bad_rules=bad_rules, bad_input=bad_input, text=text) for a in args]
    assert main([*filled, "--output", str(output), *(["--quiet"] if filled[0] == "score" else [])]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_check_lists_features(capsys: pytest.CaptureFixture[str]) -> None:
    default = Path(__file__).parents[2] / "src/bastion/engine/rulesets/default.toml"
    assert main(["check", "--rules", str(default)]) == 0
    out = capsys.readouterr().out
    assert '"rules": 34' in out and "count(payer, 10m)" in out
