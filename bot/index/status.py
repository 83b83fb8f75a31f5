"""What is built and whether it still matches config.toml and corpus/: `python -m bot index status`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.corpus.scans import ScanRecord
from bot.errors import BotError, CorpusError, IndexCorruptError, IndexMissingError
from bot.index.embedder import model_id_for
from bot.index.store import REBUILD, corpus_fingerprint, load_index, read_current
from bot.index.vectors import choose_kind, describe


@dataclass(frozen=True)
class IndexStatus:
    """What is built, from which corpus and embedder, and whether corpus/ changed since."""

    built: bool
    build_id: str | None = None
    built_at: str | None = None
    embedder: str | None = None
    documents: int = 0
    passages: int = 0
    corpus_dir: str | None = None
    corpus_changed: bool | None = None  # None: unknown (no index, or the corpus folder is gone)
    problem: str | None = None  # set when the index cannot serve as it is
    index_dir: str | None = None
    skipped: tuple[str, ...] = ()
    scanned: tuple[str, ...] = ()  # "OCRed scan.pdf: 2 pages", one per file read by OCR
    vectors: str | None = None  # the FAISS index kind, e.g. "flat (exact search)"
    vectors_note: str | None = None  # set when config.toml would now choose another kind

    def describe(self) -> str:
        """A few lines for `python -m bot index status`."""
        if not self.built:
            return f"no index has been built yet in {self.index_dir}: {REBUILD}."
        lines = [f"index: build {self.build_id}" + (f", built {self.built_at}" if self.built_at else "")]
        if self.embedder:
            lines.append(f"corpus: {self.corpus_dir}: {self.documents} documents, {self.passages} passages")
            lines.append(f"embedder: {self.embedder}")
        if self.vectors:
            lines.append(f"vectors: {self.vectors}")
        if self.vectors_note:
            lines.append(f"note: {self.vectors_note}")
        lines.extend(f"skipped at build time: {item}" for item in self.skipped)
        lines.extend(self.scanned)
        if self.problem:
            lines.append(f"problem: {self.problem}")
        elif self.corpus_changed:
            lines.append(f"corpus/ changed since this build: {REBUILD}")
        elif self.corpus_changed is None:
            lines.append("corpus/ cannot be compared with this build (is the corpus folder there?)")
        else:
            lines.append("up to date: corpus/ has not changed since this build")
        return "\n".join(lines)


def corpus_changed(config: Config, manifest: dict) -> bool | None:
    """Whether corpus/ changed since the build with this manifest; None when it cannot be told."""
    try:
        return corpus_fingerprint(config.corpus) != manifest.get("corpus_fingerprint")
    except (CorpusError, OSError):
        return None


def index_status(config: Config) -> IndexStatus:
    """Load and verify the current build, then compare it with the corpus and embedder in `config`."""
    index_dir = str(config.index.dir)
    try:
        index = load_index(config.index)
    except IndexMissingError:
        return IndexStatus(built=False, index_dir=index_dir)
    except IndexCorruptError as exc:
        current = None
        try:
            current = read_current(config.index.dir)
        except IndexCorruptError:
            pass
        return IndexStatus(built=True, build_id=current, problem=str(exc), index_dir=index_dir)
    manifest = index.manifest
    changed = corpus_changed(config, manifest)
    problem = None
    try:
        configured = model_id_for(config.embedder)
    except BotError as exc:
        configured, problem = None, str(exc)
    if configured is not None and configured != manifest["embedder"]:
        problem = f"this index was built with embedder {manifest['embedder']!r} but config.toml selects {configured!r}: {REBUILD}."
    built_kind = index.vector_index.get("type")
    wanted = choose_kind(len(index.ordered), config.index)
    note = None
    if wanted != built_kind:
        note = (f"config.toml ([index] exact_limit = {config.index.exact_limit}, ann = {config.index.ann!r}) now selects "
                f"{wanted} for {len(index.ordered)} passages; the next build switches to it")
    return IndexStatus(
        vectors=describe(index.vector_index),
        vectors_note=note,
        built=True,
        build_id=index.build_id,
        built_at=manifest.get("built_at"),
        embedder=manifest["embedder"],
        documents=int(manifest.get("documents", 0)),
        passages=len(index.ordered),
        corpus_dir=manifest.get("corpus_dir"),
        corpus_changed=changed,
        problem=problem,
        index_dir=index_dir,
        skipped=tuple(f"{s.get('path')}: {s.get('reason')}" for s in manifest.get("skipped", []) if isinstance(s, dict)),
        scanned=tuple(_scanned(manifest.get("scanned", []))),
    )


def _scanned(entries: object) -> list[str]:
    """The manifest's OCR entries as the build summary wrote them."""
    lines = []
    for entry in entries if isinstance(entries, list) else []:
        try:
            lines.append(ScanRecord(str(entry["path"]), int(entry["pages"]), int(entry["ocr_pages"]), 0).describe())
        except (KeyError, TypeError, ValueError):
            continue
    return lines
