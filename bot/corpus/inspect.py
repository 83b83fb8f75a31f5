"""What cleaning did to one report, for admins to check: the text `clean_text` produced,
with the lines it removed (and the boilerplate rule that matched each) and the text it
changed inside lines (repairs from `corpus/repairs.toml`, pinyin glosses, page markers).

The cleaned text is the real one (`bot.corpus.cleaning.clean_text`); the highlighting is a
diff of the read text against it, so nothing here decides what the index contains.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.config import CorpusSettings
from bot.corpus.cleaning import _INLINE_SPACE, BOILERPLATE_RULES, clean_text, remove_invisible_characters
from bot.corpus.readers import MB, read_document
from bot.corpus.repairs import Repairs, load_repairs
from bot.corpus.scans import Scanner
from bot.text import to_simplified

RECENT = 32  # reports whose comparison is kept
MAX_CHAR_DIFF = 20000  # characters per side above which a changed block is shown whole (difflib is quadratic)
RULE_NAMES = {
    "is_site_navigation": "网站导航",
    "is_upload_header": "文档分享网站信息",
    "is_page_label": "页码",
    "is_share_site_prompt": "文档分享网站提示",
    "is_share_prompt": "分享按钮",
    "is_editor_line": "编辑署名",
    "is_source_line": "来源/日期行",
    "is_copyright_line": "版权/备案",
    "is_photo_caption": "图片说明",
}


@dataclass(frozen=True)
class Piece:
    """A run of the cleaned text ("kept", "changed": `was` is what the report said) or of
    the read text that cleaning dropped ("removed"); `note` says why, when known."""

    kind: Literal["kept", "removed", "changed"]
    text: str
    was: str = ""
    note: str = ""


_recent: dict[tuple, "Cleaning"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Cleaning:
    doc_id: str
    cleaned: str
    pieces: tuple[Piece, ...]
    removed_lines: int
    changed: int


def explain_cleaning(settings: CorpusSettings, doc_id: str, scanner: Scanner | None = None) -> Cleaning:
    """Read (a scan with `scanner`: OCR, or its cached text), clean and compare one report
    of the corpus folder; remembered while the file and the repair table are unchanged."""
    path = settings.dir / doc_id
    key = (path, tuple(_stamp(p) for p in (path, settings.repairs)))
    with _lock:
        found = _recent.get(key)
    if found is None:
        raw = read_document(path, int(settings.max_file_mb * MB), scanner)
        repairs = load_repairs(settings.repairs)
        found = compare(raw, clean_text(raw, path.name, repairs), path.name, repairs)
        with _lock:
            _recent[key] = found
            while len(_recent) > RECENT:
                _recent.pop(next(iter(_recent)))
    return found


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


def _why_removed(text: str, otherwise: str = "相关链接/供稿说明/分页") -> str:
    """The boilerplate rule that matches a removed line (or a line of a removed run)."""
    for line in text.split("\n"):
        simplified = to_simplified(line.strip())
        for rule in BOILERPLATE_RULES:
            if simplified and rule(simplified):
                return RULE_NAMES.get(rule.__name__, rule.__name__)
    return otherwise


def compare(raw: str, cleaned: str, doc_id: str, repairs: Repairs) -> Cleaning:
    """Pieces that rebuild `cleaned` (kept + changed) with the dropped read text between them."""
    before = [_INLINE_SPACE.sub(" ", line).strip() for line in remove_invisible_characters(raw).split("\n")]
    before = [line for line in before if line]
    after = [line for line in cleaned.split("\n")]
    shown = [line for line in after if line]
    pieces: list[Piece] = []
    removed = changed = 0
    matcher = difflib.SequenceMatcher(None, before, shown, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(Piece("kept", "\n".join(shown[j1:j2]) + "\n"))
        elif op == "delete":
            for line in before[i1:i2]:
                pieces.append(Piece("removed", line + "\n", note=_why_removed(line)))
            removed += i2 - i1
        else:  # replace / insert: compare the blocks character by character
            was, now = "\n".join(before[i1:i2]), "\n".join(shown[j1:j2])
            block, n = _inline(was, now, repairs, doc_id)
            pieces += block
            pieces.append(Piece("kept", "\n"))
            changed += n
    return Cleaning(doc_id, cleaned, tuple(_merge(pieces)), removed, changed)


def _inline(was: str, now: str, repairs: Repairs, doc_id: str) -> tuple[list[Piece], int]:
    if not was:
        return [Piece("changed", now, "", "拆分/补回的标题")], 1
    if len(was) > MAX_CHAR_DIFF or len(now) > MAX_CHAR_DIFF:
        return [Piece("removed", was + "\n", note="整段改写"), Piece("changed", now, was[:200], "整段改写")], 1
    swaps = {(s.find, s.replace) for s in repairs.swaps}
    pieces: list[Piece] = []
    count = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, was, now, autojunk=False).get_opcodes():
        old, new = was[i1:i2], now[j1:j2]
        if op == "equal":
            pieces.append(Piece("kept", new))
        elif op == "delete":
            if old.strip():
                pieces.append(Piece("removed", old, note="修复表" if (old, "") in swaps else _why_removed(old, "拼音/页码/标记")))
                count += 1
        elif not old.strip() and not new.strip():
            pieces.append(Piece("kept", new))
        else:
            note = "修复表" if (old, new) in swaps or any(new in r and old in f for f, r in swaps) else "清理"
            pieces.append(Piece("changed", new, old, note))
            count += 1
    return pieces, count


def _merge(pieces: list[Piece]) -> list[Piece]:
    """Adjacent kept runs joined (fewer elements to render)."""
    out: list[Piece] = []
    for piece in pieces:
        if not piece.text and piece.kind != "removed":
            continue
        if out and piece.kind == "kept" and out[-1].kind == "kept":
            out[-1] = Piece("kept", out[-1].text + piece.text)
        else:
            out.append(piece)
    return out
