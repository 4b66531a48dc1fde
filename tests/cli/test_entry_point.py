"""``python -m fin_infra`` / ``fin-infra``: one entry point, subcommands, help for every option."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fin_infra.cli import COMMAND_MODULES, build_parser

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, module: str = "fin_infra", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "FIN_INFRA_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


Parsers = list[tuple[tuple[str, ...], argparse.ArgumentParser]]


def every_parser(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Parsers:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += every_parser(child, (*path, name))
    return found


def test_every_option_and_subcommand_has_help() -> None:
    parsers = every_parser(build_parser())
    paths = {" ".join(path) for path, _ in parsers}
    assert {"history migrate", "history prune", "emulators teller", "emulators plaid"} <= paths
    for path, parser in parsers:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help, f"{' '.join(path)} {choice.dest}: no help"
            elif action.dest != "help":
                assert action.help and action.help != argparse.SUPPRESS, f"{' '.join(path)} {action.dest}: no help"


def test_each_group_is_its_own_module_with_a_register_hook() -> None:
    assert len(COMMAND_MODULES) >= 2
    for name in COMMAND_MODULES:
        module = __import__(name, fromlist=["register"])
        assert callable(module.register)


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("history",),
        ("history", "prune"),
        ("emulators", "teller"),
        ("emulators", "plaid"),
    ],
)
def test_help_everywhere(args: tuple[str, ...]) -> None:
    done = run(*args, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout
    if args == ("history", "prune"):
        assert "--older-than-days N" in done.stdout and "730" in done.stdout
    if args and args[0] == "emulators":
        assert "--host" in done.stdout and "address to listen on" in done.stdout


def test_console_script_is_installed() -> None:
    script = shutil.which("fin-infra", path=str(Path(sys.executable).parent))
    assert script is not None, "the fin-infra console script is not installed (pip install -e .)"
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "history" in done.stdout and "emulators" in done.stdout


def test_a_group_without_its_subcommand_says_what_to_choose() -> None:
    done = run("history")
    assert done.returncode == 2 and "migrate" in done.stderr and "prune" in done.stderr


def test_bench_help_lists_the_benchmarks() -> None:
    done = run("--help", module="bench")
    assert done.returncode == 0, done.stderr
    assert "transactions_query" in done.stdout
    bad = run("no_such_bench", module="bench")
    assert bad.returncode == 2 and "unknown benchmark" in bad.stderr


def test_history_memory_url_says_there_is_nothing_to_migrate() -> None:
    done = run("history", "migrate", "--url", "memory://")
    assert done.returncode == 2
    assert "no table to migrate" in done.stderr and "sqlite:///" in done.stderr
    assert "unsupported" not in done.stderr


def test_prune_on_a_fresh_database_deletes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = run("history", "prune", "--older-than-days", "30", "--url", url)
    assert done.returncode == 0, done.stderr
    assert "nothing to prune" in done.stdout
    old = run("prune", "--older-than-days", "30", "--url", url, module="fin_infra.banking.history")
    assert old.returncode == 0 and "nothing to prune" in old.stdout


def test_negative_days_are_refused() -> None:
    done = run("history", "prune", "--older-than-days", "-1", "--url", "sqlite:///x.db")
    assert done.returncode == 2 and "0 or more days" in done.stderr
