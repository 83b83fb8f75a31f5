"""Collected report text -> clean report text, keeping the report's own script.

`clean_text` runs small named rules in order: invisible characters, pinyin glosses, page
boilerplate, the sharing site's page markers and file-name title, the admin-edited repairs
of `corpus/repairs.toml` (word or context-guarded swaps and lost headings, each scoped to
documents by a glob on the file name), and whitespace.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.text import strip_pinyin, to_simplified

# Sentence-final punctuation: a page break right after one of these is a clean break.
SENTENCE_END = "。！？!?；;:：…”’」』)）"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_INLINE_SPACE = re.compile(r"[ \t\u3000\u00a0\u2002\u2003\u2009]+")


def clean_text(text: str, doc_id: str, repairs: Repairs) -> str:
    """The cleaned text of document `doc_id`: paragraphs on their own lines, no boilerplate."""
    text = remove_invisible_characters(text)
    text = strip_pinyin(text)
    text = drop_boilerplate_lines(text)
    text = drop_related_link_blocks(text)
    text = drop_contribution_notes(text)
    text = join_shared_pages(text)
    text = title_from_file_name_line(text)
    text = repairs.apply(text, doc_id)
    return tidy_whitespace(text)


def remove_invisible_characters(text: str) -> str:
    """Unify line breaks and drop zero-width characters and soft hyphens."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)


# --- boilerplate lines (matched on the line's Simplified form, so both scripts are caught) ---

_NAV = re.compile(r"^(当前位置|您的位置|你的位置|您现在的位置)\s*[:：]")
_NAV_WORDS = frozenset("返回 下载 相关 举报 首页 收藏 打印 关闭 分享 上一篇 下一篇 字号 大 中 小".split())
_UPLOAD_FIELDS = ("上传人", "文档编号", "上传时间", "格式:", "页数:", "大小:")
_PAGE_LABEL = re.compile(
    r"^(\S+\.(docx?|pdf|wps|pptx?)_第\s*\d+\s*页"  # 双减政策落实情况调研.docx_第1页
    r"|第\s*\d+\s*页\s*[/／,，]?\s*共\s*\d+\s*页"  # 第1页 / 共11页
    r"|[-—–]\s*\d+\s*[-—–])$"  # - 3 -
)
_SHARE_SITE = re.compile(r"^(点击查看更多|资源描述|展开阅读全文|下载文档|立即下载)")
_SHARE = re.compile(r"^(分享让更多人看到|分享到|扫一扫|微信扫一扫)")
_EDITOR = re.compile(r"^[(（\[【]?\s*(责任编辑|编辑|审核|校对|审校|监制)\s*[:：]")
_SOURCE = re.compile(r"^(信息|稿件|文章|资料)?来源\s*[:：]")
_DATELINE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(\s+\d{1,2}:\d{2}(:\d{2})?)?\s*(来源|作者|浏览|收藏)")
_COPYRIGHT = re.compile(
    r"版权所有|copyright|©|ICP备|ICP证|公网安备|经营许可证|备案号|网站标识码|^主办单位[:：]", re.IGNORECASE
)
_CAPTION = re.compile(r"(供图|(?<!拍)摄|图片来源[:：].*)[)）]?$")


def is_site_navigation(line: str) -> bool:
    """"当前位置:首页 > 新闻" breadcrumbs and rows of buttons like "返回 下载 相关 举报"."""
    words = [w for w in re.split(r"[\s|/【】\[\]]+", line) if w]
    return bool(_NAV.match(line)) or (len(words) >= 2 and all(w in _NAV_WORDS for w in words))


def is_upload_header(line: str) -> bool:
    """The sharing site's "上传人:… 文档编号:… 上传时间:…" header."""
    return sum(field in line for field in _UPLOAD_FIELDS) >= 2


def is_page_label(line: str) -> bool:
    """Page labels: "xxx.docx_第1页", "第1页 / 共11页", "- 3 -"."""
    return bool(_PAGE_LABEL.match(line))


def is_share_site_prompt(line: str) -> bool:
    """The sharing site's buttons and its "《…》由会员分享,可在线阅读…请在…上搜索。" line."""
    return bool(_SHARE_SITE.match(line)) or ("由会员分享" in line and "搜索" in line)


def is_share_prompt(line: str) -> bool:
    """"分享让更多人看到" and other share-button captions."""
    return len(line) <= 30 and bool(_SHARE.match(line))


def is_editor_line(line: str) -> bool:
    """"(责任编辑:刘乐)", "責任編輯:Rex_02"."""
    return len(line) <= 40 and bool(_EDITOR.match(line))


def is_source_line(line: str) -> bool:
    """"来源:宣思处" trailers and "2023-03-15 来源:江苏省教育厅收藏" datelines."""
    return len(line) <= 80 and bool(_SOURCE.match(line) or _DATELINE.match(line))


def is_copyright_line(line: str) -> bool:
    """Copyright, ICP licence, 公网安备, 经营许可证 and 网站标识码 lines."""
    return len(line) <= 120 and bool(_COPYRIGHT.search(line))


def is_photo_caption(line: str) -> bool:
    """Short photo captions ending in "供图": "泥溪小學與青龍小學童趣共享課堂互動。云陽縣教委供圖"."""
    return len(line) <= 80 and bool(_CAPTION.search(line))


BOILERPLATE_RULES = (
    is_site_navigation, is_upload_header, is_page_label, is_share_site_prompt, is_share_prompt,
    is_editor_line, is_source_line, is_copyright_line, is_photo_caption,
)


def is_boilerplate(line: str) -> bool:
    """True when any boilerplate rule matches the line (trimmed, in Simplified script)."""
    line = line.strip()
    if not line or len(line) > 160:  # every rule is about a short line; paragraphs are never boilerplate
        return False
    line = to_simplified(line)
    return any(rule(line) for rule in BOILERPLATE_RULES)


def drop_boilerplate_lines(text: str) -> str:
    """Remove every line a boilerplate rule matches; other lines stay as they are."""
    return "\n".join(line for line in text.split("\n") if not is_boilerplate(line))


_RELATED = re.compile(r"^(相关(新闻|阅读|文章|资源|搜索)|猜你喜欢|本网专稿|推荐阅读|热点推荐|延伸阅读|更多新闻)\s*[:：]?$")
_BULLET = re.compile(r"^\s*([-•·*]|\d+[.)、])\s")


def drop_related_link_blocks(text: str) -> str:
    """Drop "相关新闻" / "本网专稿" / "猜你喜欢" headings and the links after them.

    A link is a bulleted line ("- 重庆大足:…") or a short line that is not a sentence (a
    headline from an HTML list); the block ends at the first line that is neither.
    """
    kept: list[str] = []
    in_block = False
    for line in text.split("\n"):
        if _RELATED.match(to_simplified(line.strip())):
            in_block = True
        elif not (in_block and _is_link_line(line)):
            in_block = False
            kept.append(line)
    return "\n".join(kept)


def _is_link_line(line: str) -> bool:
    line = line.strip()
    return not line or bool(_BULLET.match(line)) or (len(line) <= 40 and line[-1] not in "。！？!?；;")


_CONTRIBUTION = re.compile(r"[(（][^()（）\n]{1,30}(供稿|供图|供圖|来稿|來稿)[)）][ \t]*$", re.MULTILINE)


def drop_contribution_notes(text: str) -> str:
    """Remove a trailing "(云陽縣教委供稿)" from the end of a paragraph."""
    return _CONTRIBUTION.sub("", text)


# --- the sharing site's pages, its file-name title, whitespace ----------------------------

_PAGE_MARKER = re.compile(r"(?:\A|\n[ \t]*\n)[ \t]*(\d{1,3})、")
_FILE_NAME_LINE = re.compile(r"^\s*(?P<stem>[^\n/\\]{2,80}?)\.(docx?|pdf|wps|txt|pptx?)\s*$")


def join_shared_pages(text: str) -> str:
    """Join pages the sharing site numbered "…主\\n\\n2、要做法…" back into one text ("主要做法").

    The markers must run 1, 2, 3 … after blank lines, and most must cut a sentence in half;
    a genuine "1、 … 2、 …" list after blank lines ends its items with punctuation and stays.
    """
    markers = list(_PAGE_MARKER.finditer(text))
    if len(markers) < 2 or [int(m.group(1)) for m in markers] != list(range(1, len(markers) + 1)):
        return text
    cut = sum(1 for m in markers[1:] if _last_char(text, m.start()) not in SENTENCE_END)
    if cut * 2 < len(markers) - 1:
        return text
    return _PAGE_MARKER.sub(lambda m: "\n\n" if m.group(1) == "1" and m.start() > 0 else "", text)


def _last_char(text: str, end: int) -> str:
    """The last non-space character before `end` ("" when there is none)."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return text[end - 1] if end else ""


def title_from_file_name_line(text: str) -> str:
    """A leading "双减政策落实情况调研.docx" line becomes the title "双减政策落实情况调研".

    The sharing site also glues the title to the first heading ("双减政策落实情况调研一、基本情况"):
    that repeat is dropped, so the body starts at its first heading.
    """
    lines = text.split("\n")
    numbered = [i for i, line in enumerate(lines) if line.strip()]
    match = _FILE_NAME_LINE.match(lines[numbered[0]]) if numbered else None
    if not match:
        return text
    stem = match.group("stem").strip()
    lines[numbered[0]] = stem
    if len(numbered) > 1 and lines[numbered[1]].strip().startswith(stem):
        lines[numbered[1]] = lines[numbered[1]].strip()[len(stem) :]
    return "\n".join(lines)


def tidy_whitespace(text: str) -> str:
    """Trim each line (full-width indentation too), single inner spaces, at most one blank line."""
    out: list[str] = []
    for line in text.split("\n"):
        line = _INLINE_SPACE.sub(" ", line).strip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# --- repairs (corpus/repairs.toml) -----------------------------------------------------------


@dataclass(frozen=True)
class Swap:
    """`find` becomes `replace` in matching documents, optionally only between given neighbours."""

    find: str
    replace: str
    files: tuple[str, ...] = ("*",)
    preceded_by: tuple[str, ...] = ()
    followed_by: tuple[str, ...] = ()

    def fits(self, text: str, start: int) -> bool:
        """True when `find` at `start` has an allowed neighbour on each guarded side."""
        if self.preceded_by and not text.endswith(self.preceded_by, 0, start):
            return False
        return not self.followed_by or text.startswith(self.followed_by, start + len(self.find))


@dataclass(frozen=True)
class LostHeadings:
    """Headings a flattened document glued to their text; each is put back on its own line."""

    lines: tuple[str, ...]
    files: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class Repairs:
    """The admin-edited repair table: swaps first (one pass, longest `find` first), then headings."""

    swaps: tuple[Swap, ...] = ()
    headings: tuple[LostHeadings, ...] = ()

    def apply(self, text: str, doc_id: str) -> str:
        text = apply_swaps(text, [s for s in self.swaps if _matches(doc_id, s.files)])
        for group in self.headings:
            if _matches(doc_id, group.files):
                text = restore_heading_lines(text, group.lines)
        return text


def _matches(doc_id: str, patterns: tuple[str, ...]) -> bool:
    """True when the file name matches one of the globs."""
    return any(fnmatchcase(doc_id, pattern) for pattern in patterns)


def apply_swaps(text: str, swaps: list[Swap]) -> str:
    """Replace in one left-to-right pass, so a replacement is never swapped again."""
    by_first: dict[str, list[Swap]] = {}
    for swap in sorted(swaps, key=lambda s: len(s.find), reverse=True):
        by_first.setdefault(swap.find[0], []).append(swap)
    out: list[str] = []
    i = 0
    while i < len(text):
        swap = next((s for s in by_first.get(text[i], ()) if text.startswith(s.find, i) and s.fits(text, i)), None)
        out.append(swap.replace if swap else text[i])
        i += len(swap.find) if swap else 1
    return "".join(out)


def restore_heading_lines(text: str, headings: tuple[str, ...]) -> str:
    """Put each listed heading (and a "。" or ":" right after it) on a line of its own."""
    for heading in headings:
        pattern = re.compile(r"\n?[ \t]*" + re.escape(heading) + r"[。:：]?[ \t]*\n?")
        text = pattern.sub(lambda m: "\n" + m.group(0).strip() + "\n", text)
    return text


_FIELDS = {"swap": {"find", "replace", "files", "preceded_by", "followed_by", "note"}, "headings": {"lines", "files", "note"}}


def load_repairs(path: Path) -> Repairs:
    """Read and check `corpus/repairs.toml`; a missing file means no repairs."""
    if not path.exists():
        return Repairs()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"repair table {path} is not valid TOML: {exc}.", hint="Fix the file and rebuild.") from exc
    if set(data) - set(_FIELDS):
        raise ConfigError(f"{path}: unknown table(s) {sorted(set(data) - set(_FIELDS))}; use [[swap]] and [[headings]].")
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, allowed in _FIELDS.items():
        entries = data.get(name, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ConfigError(f"{path}: `{name}` must be written as [[{name}]] tables.")
        for n, entry in enumerate(entries, 1):
            unknown = sorted(set(entry) - allowed)
            if unknown:
                where = _where(path, name, n, entry)
                raise ConfigError(f"{where}: unknown field(s) {unknown}; allowed: {', '.join(sorted(allowed))}.")
        tables[name] = entries
    swaps = tuple(_swap(entry, _where(path, "swap", n, entry)) for n, entry in enumerate(tables["swap"], 1))
    headings = tuple(_headings(entry, _where(path, "headings", n, entry)) for n, entry in enumerate(tables["headings"], 1))
    return Repairs(swaps=swaps, headings=headings)


def _where(path: Path, name: str, n: int, entry: dict[str, Any]) -> str:
    found = f" (find = {entry['find']!r})" if "find" in entry else ""
    return f"{path.name}: [[{name}]] #{n}{found}"


def _swap(entry: dict[str, Any], where: str) -> Swap:
    find, replace = entry.get("find"), entry.get("replace")
    if not isinstance(find, str) or not find:
        raise ConfigError(f"{where}: `find` must be the non-empty text to replace.")
    if not isinstance(replace, str):
        raise ConfigError(f"{where}: `replace` must be a string (\"\" deletes the text).")
    if find == replace:
        raise ConfigError(f"{where}: `replace` equals `find`, so the entry does nothing; fix or delete it.")
    return Swap(
        find=find,
        replace=replace,
        files=_strings(entry, "files", where, ("*",)),
        preceded_by=_strings(entry, "preceded_by", where, ()),
        followed_by=_strings(entry, "followed_by", where, ()),
    )


def _headings(entry: dict[str, Any], where: str) -> LostHeadings:
    lines = _strings(entry, "lines", where, ())
    if not lines:
        raise ConfigError(f"{where}: `lines` must list at least one heading.")
    return LostHeadings(lines=lines, files=_strings(entry, "files", where, ("*",)))


def _strings(entry: dict[str, Any], key: str, where: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A string or a list of non-empty strings."""
    value = entry.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: `{key}` must be a non-empty string or a list of them, got {value!r}.")
    return tuple(value)
