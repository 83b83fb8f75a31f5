"""The package's folders are its layers: data flows one way and no layer imports one above it.

Every `import` in `bot/` (also those inside functions) is read from the source and checked
against the table below. A new subpackage or top-level module fails here until it is given
its place in the table.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers_index import REPO

SHARED = "shared"  # records, errors, config, text: used by every layer

# Which layer each top-level module or subpackage of `bot` belongs to.
LAYER_OF = {
    "records": SHARED,
    "errors": SHARED,
    "config": SHARED,
    "text": SHARED,
    "roles": SHARED,  # who may do what, for both front ends
    "data": SHARED,  # package data (calibration.json)
    "ocr": "ocr",
    "metrics": SHARED,  # Prometheus counters any layer may count with
    "corpus": "corpus",
    "index": "index",
    "answering": "answering",
    "storage": "storage",
    "service": "service",
    "pipeline": "service",  # what depends on one loaded index, wired from the config
    "cluster": "service",  # the index across instances: glue between index/ and storage/
    "telegram": "telegram",
    "console": "console",
    "cli": "cli",
    "__main__": "main",
}

# What each layer may import (itself included).
BELOW = {
    SHARED: {SHARED},
    "ocr": {SHARED, "ocr"},  # reading images: used by the corpus (scans) and Telegram (photos)
    "corpus": {SHARED, "ocr", "corpus"},
    "index": {SHARED, "ocr", "corpus", "index"},
    "answering": {SHARED, "corpus", "index", "answering"},
    "storage": {SHARED, "storage"},
    "service": {SHARED, "ocr", "corpus", "index", "answering", "storage", "service"},
    "telegram": {SHARED, "ocr", "corpus", "index", "answering", "storage", "service", "telegram"},
    # The web console sits beside Telegram: it never imports it (the one exception is
    # telegram/render.py, so the retrieval test shows an answer exactly as Telegram does;
    # see test_console_uses_only_telegrams_renderer), and Telegram never imports it.
    "console": {SHARED, "ocr", "corpus", "index", "answering", "storage", "service", "telegram", "console"},
    "cli": {SHARED, "ocr", "corpus", "index", "answering", "storage", "service", "telegram", "console", "cli"},
    "main": {"cli"},
}


def layer(module: str) -> str:
    """The layer of a dotted module name inside `bot` ("bot.index.store" → "index")."""
    parts = module.split(".")
    if parts[0] != "bot" or len(parts) == 1:
        return SHARED  # `bot` itself (its __init__) holds nothing
    try:
        return LAYER_OF[parts[1]]
    except KeyError:
        raise AssertionError(f"bot/{parts[1]} has no layer: give it one in tests/test_layers.py (LAYER_OF and BELOW)") from None


def module_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> set[str]:
    """Every `bot...` module a source file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from bot import cli`
    return {name for name in found if name == "bot" or name.startswith("bot.")}


def violations(root: Path) -> list[str]:
    """`importer imports imported`, for every import that goes up a layer or reaches the CLI."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        own = layer(module)  # a module in a folder with no layer fails here
        source = path.read_text(encoding="utf-8")
        for imported in sorted(imports_of(source, module, path.name == "__init__.py")):
            if imported.split(".")[:2] == ["bot", "cli"] and own not in ("main", "cli"):
                problems.append(f"{module} imports {imported}: nothing imports the CLI")
                continue
            if layer(imported) not in BELOW[own]:
                problems.append(f"{module} ({own}) imports {imported} ({layer(imported)}), a layer above it")
    return problems


def test_no_layer_imports_one_above_it() -> None:
    assert violations(REPO / "bot") == []


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("corpus/bad.py", "from bot.answering.query import Query\n", "bot.corpus.bad (corpus) imports bot.answering.query (answering)"),
        ("index/bad.py", "def f():\n    from bot.telegram import render\n", "bot.index.bad (index) imports bot.telegram (telegram)"),
        ("storage/bad.py", "import bot.service\n", "bot.storage.bad (storage) imports bot.service (service)"),
        ("answering/bad.py", "from bot.storage.store import Store\n", "bot.answering.bad (answering) imports bot.storage.store (storage)"),
        ("telegram/bad.py", "from bot import cli\n", "bot.telegram.bad imports bot.cli: nothing imports the CLI"),
        ("text.py", "from bot.corpus.terms import Terms\n", "bot.text (shared) imports bot.corpus.terms (corpus)"),
        ("ocr/bad.py", "from bot.corpus.readers import MB\n", "bot.ocr.bad (ocr) imports bot.corpus.readers (corpus)"),
    ],
)
def test_the_check_catches_an_upward_import(tmp_path: Path, path: str, source: str, expected: str) -> None:
    root = tmp_path / "bot"
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(source, encoding="utf-8")
    assert any(problem.startswith(expected) for problem in violations(root)), violations(root)


def test_the_console_uses_only_telegrams_renderer_and_telegram_never_the_console() -> None:
    """The console shows answers exactly as Telegram renders them, and takes nothing else from it."""
    root = REPO / "bot"
    for path in sorted((root / "console").rglob("*.py")):
        module = module_name(path, root)
        taken = {name for name in imports_of(path.read_text(encoding="utf-8"), module, path.name == "__init__.py") if name.startswith("bot.telegram")}
        assert all(name.startswith("bot.telegram.render") for name in taken), f"{module} imports {sorted(taken)}"
    assert "console" not in BELOW["telegram"]


def test_a_new_folder_must_be_given_a_layer(tmp_path: Path) -> None:
    (tmp_path / "bot" / "gadgets").mkdir(parents=True)
    (tmp_path / "bot" / "gadgets" / "thing.py").write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="bot/gadgets has no layer"):
        violations(tmp_path / "bot")
