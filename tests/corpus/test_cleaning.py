"""bot.corpus.cleaning: each rule on real snippets of the shipped reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.corpus.cleaning import (
    clean_text,
    drop_boilerplate_lines,
    drop_contribution_notes,
    drop_related_link_blocks,
    is_boilerplate,
    is_copyright_line,
    is_editor_line,
    is_page_label,
    is_photo_caption,
    is_share_prompt,
    is_share_site_prompt,
    is_site_navigation,
    is_source_line,
    is_upload_header,
    join_shared_pages,
    tidy_whitespace,
    title_from_file_name_line,
)
from bot.corpus.repairs import Repairs, load_repairs

REPO = Path(__file__).resolve().parents[2]
SHIPPED_REPAIRS = load_repairs(REPO / "corpus" / "repairs.toml")
SURVEY = "district-survey-report.txt"
FULING = "chongqing-fuling.txt"
NO_REPAIRS = Repairs()
BODY = "严格监控学生书面作业量,要求教师按照规定布置作业、指导学生完成作业。"


def survey(text: str) -> str:
    return clean_text(text, SURVEY, SHIPPED_REPAIRS)


# --- boilerplate lines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["当前位置:首页\u00a0>\u00a0新闻", "返回 下载 相关 举报", "当前位置:首页 > 生活休闲 > 在线阅读"]
)
def test_site_navigation(line: str) -> None:
    assert is_boilerplate(line)
    assert is_site_navigation(line.strip())


def test_upload_header() -> None:
    line = "上传人:李司机 文档编号:1226882 上传时间:2022-08-22 格式:DOCX 页数:11 大小:23.34KB"
    assert is_upload_header(line) and is_boilerplate(line)


@pytest.mark.parametrize("line", ["双减政策落实情况调研.docx_第1页", "第1页 / 共11页", "第11页 / 共11页", "- 3 -"])
def test_page_labels(line: str) -> None:
    assert is_page_label(line) and is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "点击查看更多>>",
        "资源描述",
        "《双减政策落实情况调研.docx》由会员分享,可在线阅读,更多相关《双减政策落实情况调研.docx(11页珍藏版)》请在三一办公上搜索。",
        "展开阅读全文",
    ],
)
def test_sharing_site_prompts(line: str) -> None:
    assert is_share_site_prompt(line) and is_boilerplate(line)


@pytest.mark.parametrize("line", ["分享让更多人看到", "分享讓更多人看到"])
def test_share_prompt_in_both_scripts(line: str) -> None:
    assert is_boilerplate(line)
    assert is_share_prompt("分享让更多人看到")


@pytest.mark.parametrize("line", ["(责任编辑:刘乐)", "責任編輯:Rex_02", "责任编辑:Rex_02"])
def test_editor_lines(line: str) -> None:
    assert is_boilerplate(line)
    assert is_editor_line("(责任编辑:刘乐)")


@pytest.mark.parametrize("line", ["來源:宣思處", "来源:宣思处", "2023-03-15 来源:江苏省教育厅收藏"])
def test_source_lines(line: str) -> None:
    assert is_boilerplate(line)
    assert is_source_line("2023-03-15 来源:江苏省教育厅收藏")


@pytest.mark.parametrize(
    "line",
    [
        "版权所有:中华人民共和国教育部 中文域名:教育部.政务",
        "京ICP备10028400号-1 京公网安备11010202007625号 网站标识码:bm05000001",
        "备案号:宁ICP备20000045号-2",
        "经营许可证:宁B2-20210002",
        "宁公网安备 64010402000987号",
    ],
)
def test_copyright_and_licence_lines(line: str) -> None:
    assert is_copyright_line(line) and is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    ["泥溪小學與青龍小學童趣共享課堂互動。云陽縣教委供圖", "云阳县海峡小学课后服务国画社团现场。云阳县教委供图"],
)
def test_photo_captions(line: str) -> None:
    assert is_boilerplate(line)
    assert is_photo_caption("云阳县海峡小学课后服务国画社团现场。云阳县教委供图")


@pytest.mark.parametrize(
    "line",
    [
        BODY,
        "实施优质课后服务行动,促进学生全面发展健康成长。",
        "江苏省南通市通州区系统推进、精准发力 助推“双减”工作落地落实",
        "设立举报电话,公开举报信箱,鼓励群众监督校外培训行为。",
        "对未取得办学许可证、也未取得营业执照(或事业单位法人证书、民办非企业单位登记证书,下同)的校外培训机构",
        "2 .强化过程监管",
    ],
)
def test_report_text_is_not_boilerplate(line: str) -> None:
    assert not is_boilerplate(line)


def test_drop_boilerplate_keeps_other_lines_in_order() -> None:
    text = "当前位置:首页 > 新闻\n\n江苏省南通市通州区系统推进\n\n2023-03-15 来源:江苏省教育厅收藏\n\n  正文。"
    assert drop_boilerplate_lines(text) == "\n江苏省南通市通州区系统推进\n\n\n  正文。"


def test_related_blocks_and_their_links_are_dropped() -> None:
    text = (
        "構建教育良好生態。\n"
        "本網專稿\n"
        "- 第二屆西部科學城雙高賽決賽舉行\n"
        "- 人民網重慶12月15日電 (胡虹)15日,第二屆西部科學城雙高賽決賽在重慶市璧山區舉行。\n"
        "相關新聞\n"
        "- 落實消防安全強化基層治理 云陽召開專題培訓會\n"
        "- 看“雙減”後孩子們的開心課堂"
    )
    assert drop_related_link_blocks(text) == "構建教育良好生態。"


def test_sharing_site_related_headings_are_dropped() -> None:
    text = "…次生风险才是眼下工作的重中之重。\n\n展开阅读全文\n相关资源\n猜你喜欢\n相关搜索\n"
    assert clean_text(text, SURVEY, NO_REPAIRS) == "…次生风险才是眼下工作的重中之重。"


def test_a_list_after_other_text_is_kept() -> None:
    text = "主要做法如下:\n- 各中小学校设置宣传栏。\n- 定期通过家长会宣传。"
    assert drop_related_link_blocks(text) == text


def test_contribution_note_at_paragraph_end() -> None:
    text = "最大限度杜絕機構“卷款跑路、退費難、強制抵扣課銷”等亂象,構建教育良好生態。(云陽縣教委供稿)\n分享讓更多人看到"
    assert drop_contribution_notes(text) == "最大限度杜絕機構“卷款跑路、退費難、強制抵扣課銷”等亂象,構建教育良好生態。\n分享讓更多人看到"


def test_pinyin_glosses_are_removed_and_script_kept() -> None:
    raw = "黨史學(xué)習(xí)教育開(kāi)展以來(lái),瀘州市教育和體(tǐ)育局"
    assert clean_text(raw, "sichuan-luzhou.txt", NO_REPAIRS) == "黨史學習教育開展以來,瀘州市教育和體育局"


def test_traditional_page_end_is_fully_cleaned() -> None:
    raw = (
        "云陽(yáng)縣青龍小學(xué)六年級(jí)語(yǔ)文組作業(yè)設(shè)計(jì)研討。云陽(yáng)縣教委供圖\n"
        "實(shí)施優(yōu)質(zhì)課后服務(wù)行動(dòng),促進(jìn)學(xué)生全面發(fā)展健康成長(zhǎng)。\n"
        "構(gòu)建教育良好生態(tài)。(云陽(yáng)縣教委供稿)\n"
        "分享讓(ràng)更多人看到\n"
        "相關(guān)新聞\n"
        "- 看“雙減”后孩子們(men)的開(kāi)心課堂"
    )
    assert clean_text(raw, "chongqing-yunyang.txt", NO_REPAIRS) == "實施優質課后服務行動,促進學生全面發展健康成長。\n構建教育良好生態。"


# --- the sharing site's pages and title -------------------------------------------------------

PAGES = (
    "双减政策落实情况调研.docx\n\n点击查看更多>>\n资源描述\n\n"
    "1、双减政策落实情况调研一、基本情况*区现有*所义务段中小学校。强化了双减政策宣传,主\n\n"
    "2、要做法如下:L各中小学校在校内醒目位置设置固定双减政策宣传栏。严格监控教师批改作业\n\n"
    "3、由家长代劳或敷衍了事的做法。以咨询\n\n"
    "4、、文化传播等名义违规开展学科类培训。"
)


def test_page_markers_are_joined_and_words_made_whole() -> None:
    text = join_shared_pages(PAGES)
    assert "主要做法如下" in text
    assert "批改作业由家长代劳" in text
    assert "以咨询、文化传播" in text
    assert "\n\n1、" not in text and "双减政策落实情况调研一、基本情况" in text


def test_real_list_items_are_not_page_markers() -> None:
    text = "(二)作业管理1 .完善作业管理制定指导学校执行作业年级组负责制。2 .强化过程监管严格监控学生书面作业量。"
    assert join_shared_pages(text) == text
    genuine = "主要做法:\n\n1、设置宣传栏。\n\n2、召开家长会。\n\n3、建立工作台账。"
    assert join_shared_pages(genuine) == genuine


def test_file_name_line_becomes_title_and_glued_repeat_goes() -> None:
    text = title_from_file_name_line("双减政策落实情况调研.docx\n\n双减政策落实情况调研一、基本情况*区现有")
    assert text == "双减政策落实情况调研\n\n一、基本情况*区现有"


def test_sharing_site_document_end_to_end() -> None:
    text = survey(PAGES)
    assert text.split("\n")[0] == "双减政策落实情况调研"
    assert "\n一、基本情况\n" in text
    assert "主要做法如下:1 .各中小学校在校内醒目位置" in text
    assert "点击查看更多" not in text and "资源描述" not in text


# --- whitespace ------------------------------------------------------------------------------


def test_indentation_and_blank_lines() -> None:
    raw = "\u3000\u3000凝聚合力,强化协同育人效能。\n\n\n\n  紧抓重点,赋能“双减”提质增效。 \n精准监管"
    assert tidy_whitespace(raw) == "凝聚合力,强化协同育人效能。\n\n紧抓重点,赋能“双减”提质增效。\n精准监管"


def test_inner_spaces_become_one() -> None:
    assert tidy_whitespace("云阳县实施“五大行动”\u3000 深入推动“双减”") == "云阳县实施“五大行动” 深入推动“双减”"


def test_invisible_characters_and_crlf() -> None:
    assert clean_text("课后\u200b服务\ufeff\r\n第二行", FULING, NO_REPAIRS) == "课后服务\n第二行"


def test_html_related_lists_without_bullets_are_dropped() -> None:
    text = "构建教育良好生态。\n相关新闻\n云阳召开专题培训会\n看“双减”后孩子们的开心课堂\n学校应当公开收费标准,接受家长监督。"
    assert drop_related_link_blocks(text) == "构建教育良好生态。\n学校应当公开收费标准,接受家长监督。"


def test_a_short_line_ending_in_shooting_is_not_a_caption() -> None:
    assert not is_boilerplate("中央电视台《走遍中国》栏目来泸州开展专题拍摄")
    assert is_boilerplate("游客在大足石刻景区内参观。人民网 胡虹摄")
