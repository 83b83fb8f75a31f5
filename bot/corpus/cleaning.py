"""Collected report text -> clean report text, keeping the report's own script.

`clean_text` runs small named rules in order: invisible characters, pinyin glosses, page
boilerplate, the sharing site's page markers and file-name title, the admin-edited repairs
of `corpus/repairs.toml` (`bot.corpus.repairs`), and whitespace.
"""

from __future__ import annotations

import re

from bot.corpus.repairs import Repairs
from bot.text import strip_pinyin, to_simplified

# Sentence-final punctuation: a page break right after one of these is a clean break.
SENTENCE_END = "。！？!?；;:：…”’」』)）"
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_INLINE_SPACE = re.compile(r"[ \t\u3000\u00a0\u2002\u2003\u2009]+")


def clean_text(text: str, doc_id: str, repairs: Repairs, *, ocr: bool = False) -> str:
    """The cleaned text of document `doc_id`: paragraphs on their own lines, no boilerplate.

    `ocr`: the text was read from a scan, so the repair table's OCR-only swaps apply too."""
    text = remove_invisible_characters(text)
    text = strip_pinyin(text)
    text = drop_boilerplate_lines(text)
    text = drop_related_link_blocks(text)
    text = drop_contribution_notes(text)
    text = join_shared_pages(text)
    text = title_from_file_name_line(text)
    text = repairs.apply(text, doc_id, ocr=ocr)
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
