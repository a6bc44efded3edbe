"""``bastion engine ...``: score files in batch and generate synthetic payments.

``main(argv)`` takes the arguments after ``engine`` (e.g. ``["score", "--rules", ...]``) and returns
an exit code; the project's ``bastion`` command routes ``bastion engine`` here. Input problems give
a one-line message on stderr and exit code 2; nothing is written when scoring fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import EngineError, PaymentValidationError, RuleError

if TYPE_CHECKING:
    from .engine import Engine

EXIT_OK, EXIT_INPUT = 0, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bastion engine", description="Bastion payment risk engine")
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score a Parquet, CSV or Arrow file of payments in batch")
    score.add_argument("--rules", help="rule set TOML file (default: the shipped default rule set)")
    score.add_argument("--input", required=True, help="payments: .parquet, .csv or .arrow")
    score.add_argument("--output", required=True, help="decisions: .parquet, .csv or .arrow")
    score.add_argument(
        "--list",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help='named list for list("NAME"): a text file with one value per line (repeatable)',
    )
    score.add_argument("--quiet", action="store_true", help="no progress display")
    check = commands.add_parser("check", help="compile a rule set and report errors")
    check.add_argument("--rules", required=True)
    generate = commands.add_parser("generate", help="write synthetic payments with labelled patterns")
    generate.add_argument("--count", type=int, default=100_000)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--days", type=int, default=30)
    generate.add_argument("--output", required=True, help=".parquet, .csv or .arrow")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        if args.command == "score":
            return _score(args)
        if args.command == "check":
            return _check(args)
        return _generate(args)
    except (EngineError, RuleError, PaymentValidationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT


def _load_engine(rules: str | None, list_args: Sequence[str]) -> Engine:
    from .engine import Engine, required_lists
    from .ruleset import RuleSet, load_default_ruleset

    ruleset = RuleSet.from_path(rules) if rules else load_default_ruleset()
    lists: dict[str, set[str]] = {}
    for spec in list_args:
        name, sep, path = spec.partition("=")
        if not sep or not name:
            raise EngineError(f"--list expects NAME=FILE, got {spec!r}")
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EngineError(f"cannot read list {name!r} from {path}: {exc.strerror}") from None
        lists[name] = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    for name in sorted(required_lists(ruleset) - set(lists)):
        print(f"note: list {name!r} not given with --list; treating it as empty", file=sys.stderr)
        lists[name] = set()
    return Engine(ruleset, lists=lists)


def _score(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .batch import read_table, write_table

    engine = _load_engine(args.rules, args.list)
    console = Console(stderr=True, quiet=args.quiet)
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console, disable=args.quiet,
    ) as progress:  # fmt: skip
        task = progress.add_task("reading", total=None)
        frame = read_table(args.input)

        def report(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        result = engine.score_frame(frame, progress=report)
        progress.update(task, description="writing")
        _write_atomically(result.output(), Path(args.output), write_table)
    elapsed = time.perf_counter() - started
    summary = result.frame.group_by("level").len().sort("level").rows()
    console.print(
        f"scored {result.frame.height} payments in {elapsed:.2f}s -> {args.output}; "
        + ", ".join(f"{level}: {count}" for level, count in summary)
    )
    return EXIT_OK


def _write_atomically(frame: object, target: Path, writer: object) -> None:
    """Write next to the target and rename, so a failure never leaves a half-written output."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=target.suffix)
    os.close(fd)
    try:
        writer(frame, tmp)  # type: ignore[operator]
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _check(args: argparse.Namespace) -> int:
    engine = _load_engine(args.rules, [])
    print(
        json.dumps(
            {
                "rules": len(engine.rules),
                "features": [f.name for f in engine.features],
                "lists": sorted(engine.required_lists),
            },
            ensure_ascii=False,
        )
    )
    return EXIT_OK


def _generate(args: argparse.Namespace) -> int:
    from .batch import write_table
    from .generator import generate

    if args.count <= 0 or args.days <= 0:
        raise EngineError("--count and --days must be positive")
    frame = generate(args.count, seed=args.seed, days=args.days)
    if Path(args.output).suffix.lower() == ".csv":
        frame = frame.with_columns(frame["timestamp"].dt.to_string("%Y-%m-%dT%H:%M:%S%.6f+00:00"))
    _write_atomically(frame, Path(args.output), write_table)
    print(f"wrote {frame.height} payments to {args.output}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
