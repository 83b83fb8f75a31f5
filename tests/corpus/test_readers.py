"""bot.corpus.readers: every supported format, Chinese encodings, and a readable reason for each bad file."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from pypdf import PdfWriter

from bot.corpus.readers import MB, SUPPORTED, read_document, unwrap_lines
from bot.errors import DocumentError

LIMIT = 20 * MB
FEES = "参加托管服务的学生,按照不高于2元/课时生标准收取课后服务费。"
FEES_TRADITIONAL = "課後服務的結束時間不早於家長下班時間,並無償提供延時托管服務。"


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF with a Helvetica text layer, xref offsets computed by hand."""
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def reason(path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(path, max_bytes)
    assert caught.value.path == str(path)
    return caught.value.reason


def test_supported_formats_are_the_documented_ones() -> None:
    assert SUPPORTED == (".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_or_without_bom(tmp_path: Path, bom: bytes) -> None:
    path = write(tmp_path, "a.txt", bom + FEES.encode("utf-8"))
    assert read_document(path, LIMIT) == FEES


def test_gbk_simplified_text_decodes(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk.txt", FEES.encode("gbk"))
    assert read_document(path, LIMIT) == FEES


def test_gbk_traditional_text_decodes(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk-trad.txt", FEES_TRADITIONAL.encode("gbk"))
    assert read_document(path, LIMIT) == FEES_TRADITIONAL


def test_big5_text_decodes(tmp_path: Path) -> None:
    path = write(tmp_path, "big5.txt", FEES_TRADITIONAL.encode("big5"))
    assert read_document(path, LIMIT) == FEES_TRADITIONAL


def test_crlf_line_breaks_become_newlines(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "第一行\r\n第二行\r第三行")
    assert read_document(path, LIMIT) == "第一行\n第二行\n第三行"


def test_html_keeps_visible_text_as_lines(tmp_path: Path) -> None:
    page = """<html><head><title>云阳县“双减”</title><style>p {color: red}</style>
    <script>var x = "不要这个";</script></head><body>
    <header>网站首页 新闻中心</header><nav>当前位置 首页</nav>
    <h1>云阳县实施&ldquo;五大行动&rdquo;</h1>
    <p>全面推行“5+2”课后服务,&nbsp;参与率达98.9%。</p><div>家长支持率96%<br>实现全覆盖</div>
    <ul><li>第一条</li><li>第二条</li></ul>
    <footer>版权所有</footer></body></html>"""
    text = read_document(write(tmp_path, "page.html", page), LIMIT)
    lines = text.split("\n")
    assert "云阳县实施“五大行动”" in lines
    assert "全面推行“5+2”课后服务, 参与率达98.9%。" in lines
    assert "家长支持率96%" in lines and "实现全覆盖" in lines
    assert "第一条" in lines and "第二条" in lines
    for dropped in ("不要这个", "color", "网站首页", "当前位置", "版权所有"):
        assert dropped not in text


def test_html_in_gbk_decodes(tmp_path: Path) -> None:
    path = write(tmp_path, "page.htm", f"<p>{FEES}</p>".encode("gbk"))
    assert read_document(path, LIMIT) == FEES


def test_markdown_drops_heading_marks_and_link_targets(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", "# 经费保障\n\n**不得重复收费**,见[通知](http://example.org/x)。")
    assert read_document(path, LIMIT) == "经费保障\n\n不得重复收费,见通知。"


def test_docx_paragraphs_and_table_cells_in_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("(五)经费保障")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "托管服务"
    table.cell(0, 1).text = "不高于2元/课时"
    table.cell(1, 0).text = "个性化课程"
    table.cell(1, 1).text = "由家长承担"
    document.add_paragraph("不得重复收费。")
    path = tmp_path / "fees.docx"
    document.save(path)
    assert read_document(path, LIMIT) == "(五)经费保障\n托管服务 | 不高于2元/课时\n个性化课程 | 由家长承担\n不得重复收费。"


def test_pdf_text_layer(tmp_path: Path) -> None:
    path = write(tmp_path, "a.pdf", minimal_pdf(["After-school service ends at 17:30.", "Fee: 2 yuan per lesson."]))
    assert read_document(path, LIMIT) == "After-school service ends at 17:30.\nFee: 2 yuan per lesson."


def test_empty_files(tmp_path: Path) -> None:
    assert reason(write(tmp_path, "empty.txt", b"")) == "empty file"
    assert reason(write(tmp_path, "blank.txt", "  \n\n \t")) == "empty file"
    assert reason(write(tmp_path, "empty.html", "<html><script>x()</script></html>")) == "empty file"


def test_binary_data(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256))
    assert reason(write(tmp_path, "photo.txt", png)) == "binary data, not text"


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.txt", b"abc \x80\xff\x80\xff def")
    assert reason(path) == "cannot decode text (tried UTF-8, GB18030, Big5)"


def test_truncated_docx(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("一是加强统筹领导。")
    whole = tmp_path / "whole.docx"
    document.save(whole)
    path = write(tmp_path, "cut.docx", whole.read_bytes()[:2000])
    assert reason(path) == "truncated or damaged .docx (not a valid Word file)"
    assert reason(write(tmp_path, "text.docx", "not a word file")) == "truncated or damaged .docx (not a valid Word file)"


def test_truncated_pdf(tmp_path: Path) -> None:
    data = minimal_pdf(["Fee: 2 yuan per lesson."])
    assert reason(write(tmp_path, "cut.pdf", data[: len(data) // 2])) == "damaged .pdf"
    assert reason(write(tmp_path, "fake.pdf", "这不是PDF")) == "damaged .pdf"


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    writer.write(path)
    assert reason(path) == "no text layer in .pdf (scanned?)"


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: nothing is really written
        handle.truncate(25 * MB)
    assert reason(path) == "file is 25.0 MB, larger than the 20 MB limit (corpus.max_file_mb)"


def test_unsupported_extension_is_named(tmp_path: Path) -> None:
    assert ".toml" in reason(write(tmp_path, "documents.toml", "x = 1"))


def test_error_message_names_file_and_what_to_do(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.txt", b"")
    with pytest.raises(DocumentError) as caught:
        read_document(path, LIMIT)
    assert str(path) in str(caught.value) and "rebuild" in str(caught.value)


def test_pdf_lines_wrapped_mid_sentence_are_joined() -> None:
    page = "课后服务的结束时间不早于家\n长下班时间。\n二、经费保障\n参加托管服务的学生按照不高\n于2元/课时生标准收费。"
    assert unwrap_lines(page) == "课后服务的结束时间不早于家长下班时间。\n二、经费保障\n参加托管服务的学生按照不高于2元/课时生标准收费。"


def test_pdf_outline_items_are_not_joined() -> None:
    page = "主要做法如下,各中小学校在校内醒目\n1.设置固定双减政策宣传栏。"
    assert unwrap_lines(page) == page


def test_utf8_with_one_damaged_byte_stays_utf8(tmp_path: Path) -> None:
    text = FEES * 40
    data = text.encode("utf-8")
    cut = len(text[:100].encode("utf-8"))
    path = write(tmp_path, "a.txt", data[:cut] + b"\xff" + data[cut:])
    decoded = read_document(path, LIMIT)
    assert decoded.count("\ufffd") == 1 and decoded.replace("\ufffd", "") == text


def test_mostly_ascii_gbk_is_not_taken_for_damaged_utf8(tmp_path: Path) -> None:
    text = "Homework policy, see notice No. 12. " * 40 + "初中生留少量作业。"
    path = write(tmp_path, "a.txt", text.encode("gbk"))
    assert read_document(path, LIMIT) == text
