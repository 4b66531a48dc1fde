"""Every code block of README.md, extracted from the file and run as a newcomer would, against the sandbox (the demo
app served over real HTTP) and the Teller, Plaid and Finicity emulators.

A block fails when it raises, or shows nothing it promises: a list it binds is empty, a bare expression is False or
empty, a ``print`` prints nothing, a ``curl`` answers an error or an empty list, a command exits non-zero or says
nothing. Python blocks run in order in one namespace (a later block may use an earlier one's names, as a reader
would), with top-level ``await`` allowed. A block that truly can't run here is marked in README.md by the comment
``<!-- readme-test: skip: the reason -->`` on a line just above it; it is reported as skipped with that reason.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fin_infra.testing import serve_finicity_emulator, serve_plaid_emulator, serve_teller_emulator
from fin_infra.testing.finicity import FinicityEmulator
from fin_infra.testing.plaid import PlaidEmulator
from fin_infra.testing.teller import TellerEmulator
from tests.browser import serve

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
SKIP = re.compile(r"<!--\s*readme-test:\s*skip:?\s*(.*?)\s*-->")
DEMO_URL = "http://localhost:8000"
PLACEHOLDER_DB = "postgresql://app@db/app"  # the README's example database: a throwaway SQLite file here


@dataclass(frozen=True)
class Block:
    lang: str
    line: int
    code: str
    skip: str | None

    @property
    def id(self) -> str:
        return f"README.md:{self.line}[{self.lang or 'text'}]"


def readme_blocks() -> list[Block]:
    text = README.read_text()
    found = []
    for m in FENCE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        above = "\n".join(text[: m.start()].splitlines()[-3:])
        skip = SKIP.search(above)
        found.append(Block(m.group(1).lower(), line, m.group(2), skip.group(1) or "marked in README" if skip else None))
    return found


BLOCKS = readme_blocks()


# --- the world the blocks run in ---------------------------------------------------------------------------


class World:
    def __init__(
        self, demo: str, teller: TellerEmulator, plaid: PlaidEmulator, finicity: FinicityEmulator, tmp: Path
    ) -> None:
        self.demo, self.teller, self.plaid, self.finicity, self.tmp = demo, teller, plaid, finicity, tmp
        self.namespace: dict[str, Any] = {"__name__": "readme"}
        self.database_url = f"sqlite:///{tmp / 'history.db'}"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from examples.demo_app import app

    tmp = tmp_path_factory.mktemp("readme")
    with (
        serve(app) as demo,
        serve_teller_emulator() as teller,
        serve_plaid_emulator() as plaid,
        serve_finicity_emulator() as finicity,
    ):
        yield World(demo, teller, plaid, finicity, tmp)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith(("TELLER_", "PLAID_", "FIN_INFRA_", "MX_", "FINICITY_")):
            monkeypatch.delenv(key)
    return monkeypatch


# --- python ------------------------------------------------------------------------------------------------


def _assigned(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return names


def _empty(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, dict, str)) and len(value) == 0


def run_python(block: Block, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = world.namespace
    code = block.code
    if 'provider="plaid"' in code:  # Plaid's blocks: the emulator stands in for Plaid
        for key, value in world.plaid.env().items():
            monkeypatch.setenv(key, value)
        ns.setdefault("public_token", world.plaid.create_public_token())  # what Plaid Link hands the front end
        ns.setdefault("saved_cursor", None)
    if "./teller_certificate.pem" in code:  # Teller's block: the emulator's certificates under the README's names
        certs = world.teller.certs
        shutil.copy(certs.client_cert, world.tmp / "teller_certificate.pem")
        shutil.copy(certs.client_key, world.tmp / "teller_private_key.pem")
        monkeypatch.chdir(world.tmp)
        monkeypatch.setenv("TELLER_BASE_URL", world.teller.base_url)
        monkeypatch.setenv("TELLER_CA_BUNDLE", str(certs.ca_cert))
        ns["token"] = world.teller.enroll()
    if "FinicityClient.from_env()" in code:  # Finicity's block: the emulator stands in for Finicity
        for key, value in world.finicity.env().items():
            monkeypatch.setenv(key, value)
        ns["access_token"] = world.finicity.create_access_token()  # what /exchange returned for the user
    shown: list[tuple[int, Any]] = []
    ns["__readme_show__"] = lambda value, line: shown.append((line, value)) or value
    tree = compile(code, block.id, "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    assert isinstance(tree, ast.Module)
    for i, node in enumerate(tree.body):  # bare expressions are what an example shows: keep their values
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
            call = ast.Call(ast.Name("__readme_show__", ast.Load()), [node.value, ast.Constant(node.lineno)], [])
            tree.body[i] = ast.copy_location(ast.Expr(call), node)
    ast.fix_missing_locations(tree)
    compiled = compile(tree, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = eval(compiled, ns)  # the README's own code
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    if "print(" in code:
        assert out.getvalue().strip(), f"{block.id}: prints nothing"
    for name in sorted(_assigned(tree)):
        assert not _empty(ns.get(name)), f"{block.id}: {name} is empty, so the example shows nothing"
    for line, value in shown:
        where = f"README.md:{block.line + line}"
        if value is None:
            continue  # a call made for its effect
        assert value is not False, f"{where}: the expression is False"
        assert not _empty(value), f"{where}: the expression is empty"


# --- bash --------------------------------------------------------------------------------------------------


def commands(code: str) -> list[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", code)
    return [words for line in joined.splitlines() if (words := shlex.split(line, comments=True))]


def run_curl(words: list[str], world: World, where: str) -> None:
    headers: dict[str, str] = {}
    url = None
    args = iter(words[1:])
    for arg in args:
        if arg in ("-H", "--header"):
            key, _, value = next(args).partition(":")
            headers[key.strip()] = value.strip()
        elif arg.startswith("http"):
            url = arg
        else:
            raise AssertionError(f"{where}: teach tests/test_readme.py the curl option {arg!r}")
    assert url is not None and url.startswith(DEMO_URL), f"{where}: curl of {url!r}, not the demo app"
    response = httpx.get(world.demo + url.removeprefix(DEMO_URL), headers=headers, timeout=30)
    assert response.status_code == 200, f"{where}: {response.status_code} {response.text[:300]}"
    body = response.json()
    lists = {k: v for k, v in body.items() if isinstance(v, list)}
    assert lists and all(lists.values()), f"{where}: shows nothing: {response.text[:300]}"


def run_command(words: list[str], world: World, where: str) -> None:
    words = [w.replace(PLACEHOLDER_DB, world.database_url) for w in words]
    if words[0] == "make":
        done = subprocess.run(["make", "-n", *words[1:]], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{where}: make -n {' '.join(words[1:])}: {done.stderr}"
        return
    if words[:4] == ["python", "-m", "pip", "install"]:  # installing: checked, not done (--dry-run, no deps)
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", *words[4:]]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{where}: {done.stderr[-800:]}"
        assert "Would install fin-infra" in done.stdout or "Would install fin_infra" in done.stdout, done.stdout
        return
    if words[0] == "fin-infra":
        words = [sys.executable, "-m", "fin_infra", *words[1:]]
    elif words[:2] == ["python", "-m"]:
        words = [sys.executable, *words[1:]]
    else:
        raise AssertionError(f"{where}: teach tests/test_readme.py how to run {words[0]!r}")
    env = {**os.environ, "FIN_INFRA_DATABASE_URL": world.database_url}
    done = subprocess.run(words, cwd=world.tmp, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{where}: exit {done.returncode}: {done.stderr[-500:]}"
    assert done.stdout.strip(), f"{where}: says nothing"


def run_bash(block: Block, world: World) -> None:
    for words in commands(block.code):
        if words[0] == "curl":
            run_curl(words, world, block.id)
        else:
            run_command(words, world, block.id)


# --- json: an answer the README shows; the route must answer the same shape ---------------------------------


def keys(value: Any, path: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found.add(f"{path}.{k}")
            found |= keys(v, f"{path}.{k}")
    elif isinstance(value, list) and value:
        found |= keys(value[0], f"{path}[]")
    return found


def run_json(block: Block, world: World) -> None:
    shown = json.loads(re.sub(r",\s*\.\.\.", "", block.code))
    auth = {"Authorization": "Bearer access-sandbox-demo"}
    if "history" in shown and "summary" in shown:
        account = httpx.get(world.demo + "/banking/accounts", headers=auth).json()["accounts"][0]["id"]
        real = httpx.get(world.demo + "/banking/balance-history", params={"account_id": account}, headers=auth)
    else:
        raise AssertionError(f"{block.id}: teach tests/test_readme.py which route answers this JSON")
    assert real.status_code == 200
    assert keys(shown) == keys(real.json()), f"{block.id}: the route answers another shape"


# --- the test --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block(block: Block, world: World, clean_env: pytest.MonkeyPatch) -> None:
    if block.skip is not None:
        pytest.skip(f"{block.id}: {block.skip}")
    if block.lang == "python":
        run_python(block, world, clean_env)
    elif block.lang in ("bash", "sh", "shell", "console"):
        run_bash(block, world)
    elif block.lang == "json":
        run_json(block, world)
    else:
        kind = block.lang or "plain"
        raise AssertionError(f"{block.id}: a {kind} block: give it a language tests/test_readme.py runs")


def test_the_readme_has_blocks_of_each_kind() -> None:
    assert {"python", "bash", "json"} <= {b.lang for b in BLOCKS}
    assert len(BLOCKS) >= 15


def test_the_sandbox_script_the_readme_names_shows_a_month() -> None:
    done = subprocess.run(
        [sys.executable, "examples/sandbox_script.py"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len([line for line in lines if line.endswith(" USD")]) >= 3  # the accounts
    month = lines.index(next(line for line in lines if line.endswith("spending by category:")))
    assert len(lines[month + 1 :]) >= 3, done.stdout  # categories with amounts
