"""The corpus folder: metadata sidecar, reading + cleaning every report, passages (reports + FAQ).

The folder fingerprint lives in `bot.index.store.corpus_fingerprint`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import CorpusSettings, read_toml
from bot.corpus.cleaning import clean_text
from bot.corpus.faq import load_faq
from bot.corpus.readers import MB, SUPPORTED, TEXT_TYPES, read_document
from bot.corpus.repairs import load_repairs
from bot.corpus.scans import Scanner, ScanRecord
from bot.corpus.splitter import split_document
from bot.errors import ConfigError, CorpusError, DocumentError
from bot.records import Document, DocumentMeta, Passage
from bot.text import detect_script

log = logging.getLogger(__name__)

_TEXT_FIELDS = ("title", "region", "province", "city", "county", "source", "date")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FALLBACK_TITLE_MAX = 60


@dataclass(frozen=True)
class CorpusLoad:
    """The readable documents, the files skipped with the reason why, and the files ignored."""

    documents: tuple[Document, ...]
    skipped: tuple[DocumentError, ...]
    ignored: tuple[Path, ...] = ()  # files of a type the readers do not handle (notes.bin)
    scanned: tuple[ScanRecord, ...] = ()  # files (partly) read by OCR


def corpus_files(settings: CorpusSettings) -> list[Path]:
    """Report files directly in the corpus folder, sorted by name (sidecars and README skipped)."""
    if not settings.dir.is_dir():
        raise CorpusError(
            f"corpus folder {settings.dir} does not exist.",
            hint="Create it and put the reports (.txt .md .html .docx .pdf) in it, or set corpus.dir in config.toml.",
        )
    return sorted(p for p in settings.dir.iterdir() if p.is_file() and _is_report(p.name))


def ignored_files(settings: CorpusSettings) -> list[Path]:
    """Files in the corpus folder that are neither reports nor its own tables: not indexed."""
    own = {settings.metadata.name, settings.faq.name, settings.repairs.name, settings.terms.name}
    return sorted(
        p for p in settings.dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name not in own and not _is_report(p.name) and p.stem.lower() != "readme"
    )


def ignored_reason(path: Path) -> str:
    """What an admin reads for a file the build leaves out."""
    kinds = ", ".join(suffix.lstrip(".") for suffix in TEXT_TYPES if suffix != ".htm")
    return f"ignored {path.name}: not a supported type ({kinds}; scans: png, jpg, webp, tiff)"


def _is_report(name: str) -> bool:
    """Supported extension, not hidden, not the folder's own README."""
    path = Path(name)
    return not name.startswith(".") and path.suffix.lower() in SUPPORTED and path.stem.lower() != "readme"


def load_corpus(settings: CorpusSettings, scanner: Scanner | None = None) -> CorpusLoad:
    """Read, clean and describe every report; unreadable files are skipped, not fatal.

    Scans are read by `scanner` (OCR; an uncached default one when not given)."""
    scanner = scanner or Scanner()
    files = corpus_files(settings)
    metadata = load_metadata(settings.metadata)
    repairs = load_repairs(settings.repairs)
    max_bytes = int(settings.max_file_mb * MB)
    documents: list[Document] = []
    skipped: list[DocumentError] = []
    for path in files:
        try:
            read_before = len(scanner.records)
            raw = read_document(path, max_bytes, scanner)
            text = clean_text(raw, path.name, repairs, ocr=len(scanner.records) > read_before)
            if not text.strip():
                raise DocumentError(str(path), "no text left after removing page boilerplate")
        except DocumentError as exc:
            log.info("skipping %s", exc)  # the caller reports every skipped file
            skipped.append(exc)
            continue
        meta = metadata.get(path.name) or fallback_meta(path, text)
        documents.append(Document(meta=meta, text=text, script=detect_script(text)))
    if not documents:
        reasons = "; ".join(f"{Path(e.path).name}: {e.reason}" for e in skipped) or "no .txt/.md/.html/.docx/.pdf file"
        raise CorpusError(
            f"no readable document in {settings.dir} ({reasons}).",
            hint="Add at least one report (.txt .md .html .docx .pdf) or fix the files listed, then rebuild.",
        )
    for name in sorted(set(metadata) - {d.meta.doc_id for d in documents} - {Path(e.path).name for e in skipped}):
        log.warning("%s describes %s, which is not in %s", settings.metadata.name, name, settings.dir)
    return CorpusLoad(
        documents=tuple(documents), skipped=tuple(skipped), ignored=tuple(ignored_files(settings)), scanned=tuple(scanner.records)
    )


def load_passages(settings: CorpusSettings, scanner: Scanner | None = None) -> tuple[list[Passage], tuple[DocumentError, ...]]:
    """Every report split into passages, then the staff FAQ entries; plus the skipped files."""
    corpus = load_corpus(settings, scanner)
    passages = [p for doc in corpus.documents for p in split_document(doc)]
    passages.extend(load_faq(settings.faq))
    return passages, corpus.skipped


def fallback_meta(path: Path, text: str) -> DocumentMeta:
    """Metadata for a report without a sidecar entry: first line as title, file stem as region."""
    first = next((line.strip() for line in text.split("\n") if line.strip()), path.stem)
    if len(first) > _FALLBACK_TITLE_MAX:
        first = first[: _FALLBACK_TITLE_MAX - 1] + "…"
    return DocumentMeta(doc_id=path.name, title=first, region=path.stem)


def load_metadata(path: Path) -> dict[str, DocumentMeta]:
    """Read and check `documents.toml` (keyed by file name); a missing file means no entries."""
    if not path.exists():
        log.warning("no metadata file %s: titles and regions come from the reports themselves", path)
        return {}
    data = read_toml(path, "metadata file", hint="Fix the file and rebuild.")
    return {name: _meta(name, entry, path) for name, entry in data.items()}


def _meta(name: str, entry: Any, path: Path) -> DocumentMeta:
    where = f"{path.name}: [{name!r}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table of title, region, … (write it as [\"{name}\"]).")
    unknown = sorted(set(entry) - set(_TEXT_FIELDS) - {"aliases"})
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: {', '.join(_TEXT_FIELDS)}, aliases.")
    values: dict[str, str] = {}
    for key in _TEXT_FIELDS:
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{where}.{key} must be a string, got {value!r}.")
        values[key] = value.strip()
    if not values["title"]:
        raise ConfigError(f"{where}.title is missing or empty; write the report's title.")
    if values["date"] and not _ISO_DATE.match(values["date"]):
        raise ConfigError(f"{where}.date must be YYYY-MM-DD or empty, got {values['date']!r}.")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise ConfigError(f"{where}.aliases must be a list of names, e.g. [\"涪陵\", \"涪陵区\"], got {aliases!r}.")
    return DocumentMeta(
        doc_id=name,
        title=values["title"],
        region=values["region"] or Path(name).stem,
        province=values["province"],
        city=values["city"],
        county=values["county"],
        source=values["source"],
        date=values["date"] or None,
        aliases=tuple(a.strip() for a in aliases),
    )

