"""Test helpers for the index: a deterministic fake embedder, passages, TOML edits, folder snapshots."""

from __future__ import annotations

import hashlib
import json
import os
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from bot.records import Passage, stable_id

REPO = Path(__file__).resolve().parents[1]


class HashEmbedder:
    """Deterministic bag-of-character-bigrams vectors; records every call (a spy).

    `fail_after` raises after that many document batches; `delay` sleeps per batch and
    `marker` is written after the first batch (for the SIGKILL test).
    """

    def __init__(
        self,
        dim: int = 64,
        model_id: str = "fake:hash-bigrams",
        fail_after: int | None = None,
        delay: float = 0.0,
        marker: Path | None = None,
    ) -> None:
        self.dim = dim
        self.model_id = model_id
        self.fail_after = fail_after
        self.delay = delay
        self.marker = marker
        self.document_calls: list[list[str]] = []
        self.query_calls: list[list[str]] = []

    @property
    def documents_embedded(self) -> list[str]:
        return [t for call in self.document_calls for t in call]

    def _vector(self, text: str, salt: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        grams = [text[i : i + 2] for i in range(max(len(text) - 1, 1))] or [""]
        for gram in grams:
            h = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
            vec[int.from_bytes(h[:4], "little") % self.dim] += 1.0 if h[4] & 1 else -1.0
        vec[int.from_bytes(hashlib.blake2b(salt.encode(), digest_size=4).digest(), "little") % self.dim] += 0.1
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def encode_query(self, texts: Sequence[str]) -> np.ndarray:
        self.query_calls.append(list(texts))
        return np.array([self._vector(t, "query") for t in texts], dtype=np.float32).reshape(-1, self.dim)

    def encode_document(self, texts: Sequence[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.document_calls) >= self.fail_after:
            raise RuntimeError("fake embedder failure")
        self.document_calls.append(list(texts))
        if self.marker is not None and len(self.document_calls) == 1:
            self.marker.write_text("embedding started", encoding="utf-8")
        if self.delay:
            time.sleep(self.delay)
        return np.array([self._vector(t, "passage") for t in texts], dtype=np.float32).reshape(-1, self.dim)


def make_passage(doc_id: str, n: int, text: str, **extra: Any) -> Passage:
    """A passage with a content-derived id, like the splitter makes."""
    return Passage(
        id=stable_id(doc_id, str(n), text),
        doc_id=doc_id,
        title=extra.pop("title", f"{doc_id} 标题"),
        region=extra.pop("region", "重庆市涪陵区"),
        section=extra.pop("section", "第一部分"),
        text=text,
        search_text=extra.pop("search_text", text),
        start=n * 100,
        end=n * 100 + len(text),
        **extra,
    )


SAMPLE_TEXTS = [
    "课后服务每天不少于2小时,结束时间不早于家长下班时间。",
    "课后服务费按照成本补偿原则收取,家庭经济困难学生免收。",
    "严禁在职教师有偿补课,一经查实严肃处理。",
    "校外培训机构预收费全部纳入资金监管,防止卷钱跑路。",
    "小学一二年级不布置书面作业,三至六年级书面作业不超过60分钟。",
    "学科类培训不得占用法定节假日、休息日和寒暑假。",
]


def sample_passages() -> list[Passage]:
    passages = [make_passage("chongqing-fuling.txt", n, t) for n, t in enumerate(SAMPLE_TEXTS[:4])]
    passages += [make_passage("sichuan-luzhou.txt", n, t, region="四川省泸州市") for n, t in enumerate(SAMPLE_TEXTS[4:])]
    passages.append(
        Passage(id=stable_id("faq", "1"), doc_id="faq.toml", title="常见问题", region="", section="", text="课后服务几点结束?",
                search_text="课后服务几点结束?", start=0, end=9, kind="faq", answer="17:30结束。", author="教务处", date="2026-11-20")
    )
    return passages


def edit_config(config: Path, section: str, **values: Any) -> None:
    """Set keys of one [section] in a config file (comments are not kept)."""
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    data.setdefault(section, {}).update(values)
    config.write_text(tomli_w.dumps(data), encoding="utf-8")


def rehash_manifest(folder: Path) -> None:
    """Make a build's manifest agree with its files as they are now (to get past the checksum layer)."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for rel in manifest["files"]:
        manifest["files"][rel] = {"sha256": hashlib.sha256((folder / rel).read_bytes()).hexdigest(), "size": (folder / rel).stat().st_size}
    path.write_text(json.dumps(manifest), encoding="utf-8")


def snapshot(folder: Path, skip: Sequence[str] = ()) -> dict[str, str]:
    """relative path → sha256 of every file under `folder` (paths starting with a `skip` entry left out)."""
    result = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and not any(rel.startswith(s) for s in skip):
            result[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return result


def subprocess_env() -> dict[str, str]:
    """Environment for `python -m bot ...` subprocesses: the repo importable, no downloads."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    return env


def make_tiny_sentence_transformer(folder: Path, texts: Sequence[str]) -> Path:
    """A 2-layer, 32-wide random BERT saved as a sentence-transformers model; vocab = the CJK characters of `texts`."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Pooling, Transformer

    chars = sorted({ch for text in texts for ch in text if "\u4e00" <= ch <= "\u9fff"})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    bert = folder / "bert"
    bert.mkdir(parents=True)
    (bert / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(vocab_file=str(bert / "vocab.txt"), tokenize_chinese_chars=True).save_pretrained(str(bert))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    BertModel(config).save_pretrained(str(bert))
    model = SentenceTransformer(modules=[Transformer(str(bert), max_seq_length=256), Pooling(32)], device="cpu")
    model.save(str(folder / "st"))
    return folder / "st"
