"""bot.corpus.repairs: the shipped repair table on real snippets, the swap mechanism, the table's validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.corpus.cleaning import clean_text
from bot.corpus.repairs import Repairs, Swap, apply_swaps, load_repairs, restore_heading_lines
from bot.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SHIPPED_REPAIRS = load_repairs(REPO / "corpus" / "repairs.toml")
SURVEY = "district-survey-report.txt"
FULING = "chongqing-fuling.txt"


def survey(text: str) -> str:
    return clean_text(text, SURVEY, SHIPPED_REPAIRS)


# --- the shipped repair table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("支持和鼓励优秀教师积极参和课后效劳", "支持和鼓励优秀教师积极参与课后服务"),
        ("在学校无偿提供场地、水电费等根底上由家长承当", "在学校无偿提供场地、水电费等基础上由家长承担"),
        ("所产生的本钱", "所产生的成本"),
        ("通过第三方托管、风险储藏金等方式", "通过第三方托管、风险储备金等方式"),
        ("费用缺口局部由区财政予以补齐", "费用缺口部分由区财政予以补齐"),
        ("我们已经屡次接到培训机构退费", "我们已经多次接到培训机构退费"),
        ("共评选出*个区级课后效劳精品工程", "共评选出*个区级课后服务精品项目"),
        ("同时标准考试管理,不允许排名", "同时规范考试管理,不允许排名"),
        ("进一步标准招生、培训I内容", "进一步规范招生、培训内容"),
        ("力保校外培训机构标准有序发展", "确保校外培训机构规范有序发展"),
        ("通过公众号、播送站、电子屏", "通过公众号、广播站、电子屏"),
        ("民办非企业单位记录证书", "民办非企业单位登记证书"),
        ("化整为零在记录场所之外", "化整为零在登记场所之外"),
        ("切实稳固整治管理成果", "切实巩固整治管理成果"),
        ("通过年检查验,催促校外培训机构", "通过年检查验,督促校外培训机构"),
        ("核心竞争力和比拟优势", "核心竞争力和比较优势"),
        ("为此学校要改良管理方式", "为此学校要改进管理方式"),
        ("发布校外培训风险语境,提醒家长", "发布校外培训风险预警,提醒家长"),
        ("由家长自行购置或在学校的监督下", "由家长自行购买或在学校的监督下"),
        ("可以适当提早离校", "可以适当提前离校"),
        ("学校专业类教师缺乏,一些个性化课程", "学校专业类教师不足,一些个性化课程"),
        ("工作人员不可防止地面临裁员", "工作人员不可避免地面临裁员"),
        ("关于标准校外培训机构发展的意见", "关于规范校外培训机构发展的意见"),
    ],
)
def test_near_synonym_repairs(raw: str, fixed: str) -> None:
    assert survey(raw) == fixed


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("完善联合执法机制,力口强综合执法力度", "完善联合执法机制,加强综合执法力度"),
        ("通过直播变录播等方式违规开展学科类培训I;违反培训地点", "通过直播变录播等方式违规开展学科类培训;违反培训地点"),
        ("培训I机构收费时段和教学安排应协调一致", "培训机构收费时段和教学安排应协调一致"),
        ("有针对性地做好辅导答疑和拓展提IWJ工作", "有针对性地做好辅导答疑和拓展提高工作"),
        ("加强乡镇规模学校专业教幅己备", "加强乡镇规模学校专业教师配备"),
        ("发挥政府在管理、教师资源已置、财政支持", "发挥政府在管理、教师资源配置、财政支持"),
        ("积极推进教育评价J度的落地生效", "积极推进教育评价制度的落地生效"),
        ("在校学生豺人,教员工科人,其中小学科所", "在校学生*人,教员工*人,其中小学*所"),
        ("参和教师*人,占比为料,实现了", "参与教师*人,占比为*%,实现了"),
        ("专业支撑作用o积极参和。渡作业展示交流", "专业支撑作用。积极参与作业展示交流"),
        ("主要做法如下:L各中小学校在校内", "主要做法如下:1 .各中小学校在校内"),
    ],
)
def test_ocr_repairs(raw: str, fixed: str) -> None:
    assert survey(raw) == fixed


@pytest.mark.parametrize(
    "genuine",
    [
        "参加托管服务的学生,按照不高于2元/课时生标准(不得超过*元/学期生)收取课后服务费",
        "按照不超过*元/课时生(不含耗材费,不得超过*元/学期生)标准缴纳",
        "按学校教师发放标准下限(*元/课时)",
        "六、“双减”工作存在的不足及建议",
        "学校学科类培训机构",
        "防止机械、无效作业训练",
    ],
)
def test_genuine_words_stay_in_the_survey(genuine: str) -> None:
    assert genuine in survey(genuine)


def test_repairs_are_scoped_to_their_documents() -> None:
    fuling = "投入2000余万元大力实施教育信息化工程,宽带网络校校通、数字资源班班通"
    assert clean_text(fuling, FULING, SHIPPED_REPAIRS) == fuling
    luzhou = "學科類培訓機構壓減率達30%。要求教师落地实施,局部服务效劳。"
    assert clean_text(luzhou, "sichuan-luzhou.txt", SHIPPED_REPAIRS) == luzhou


def test_luzhou_encoding_slip_is_repaired() -> None:
    raw = "參與學生45萬人。全域?qū)嵤┙虒W(xué)結(jié)構(gòu)改革,全市課堂教學(xué)改革百花齊放"
    fixed = clean_text(raw, "sichuan-luzhou.txt", SHIPPED_REPAIRS)
    assert fixed == "參與學生45萬人。全域實施教學結構改革,全市課堂教學改革百花齊放"


def test_lost_headings_get_their_own_lines() -> None:
    text = survey("(一)课后效劳方案制定去年7月份区教体局就*区中小学生课后效劳工作落地实施方案")
    assert text == "(一)课后服务方案制定\n去年7月份区教体局就*区中小学生课后服务工作实施方案"


def test_restore_heading_absorbs_its_full_stop() -> None:
    text = restore_heading_lines("依法依规责令其停止办学并妥善4 .健全长效机制。完善联合执法机制", ("4 .健全长效机制",))
    assert text == "依法依规责令其停止办学并妥善\n4 .健全长效机制。\n完善联合执法机制"


# --- the swap mechanism and the table's validation -----------------------------------------------


def test_swaps_run_in_one_pass_longest_first() -> None:
    swaps = [Swap("效劳", "服务"), Swap("服务", "效劳"), Swap("参和。渡", "参与"), Swap("参和", "参加")]
    assert apply_swaps("课后效劳,课后服务,参和。渡作业,参和", swaps) == "课后服务,课后效劳,参与作业,参加"


def test_context_guards() -> None:
    swap = Swap("标准", "规范", preceded_by=("同时",), followed_by=("考试",))
    assert apply_swaps("同时标准考试,同时标准缴纳,按照标准考试", [swap]) == "同时规范考试,同时标准缴纳,按照标准考试"


def test_file_globs_select_documents() -> None:
    repairs = Repairs(swaps=(Swap("效劳", "服务", files=("district-*", "other.txt")),))
    assert repairs.apply("效劳", SURVEY) == "服务"
    assert repairs.apply("效劳", "other.txt") == "服务"
    assert repairs.apply("效劳", FULING) == "效劳"


def test_missing_table_means_no_repairs(tmp_path: Path) -> None:
    assert load_repairs(tmp_path / "repairs.toml") == Repairs()


def test_shipped_table_loads_and_is_scoped() -> None:
    """Every entry is scoped: to the reports it was written for, or to text read by OCR."""
    assert len(SHIPPED_REPAIRS.swaps) >= 30
    assert all(swap.files != ("*",) or swap.ocr_only for swap in SHIPPED_REPAIRS.swaps)
    assert sum(swap.ocr_only for swap in SHIPPED_REPAIRS.swaps) >= 5


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("课后服务经费纳人财政预算,己经全面开展", "课后服务经费纳入财政预算,已经全面开展"),
        ("严禁面向末成年人的违规培训,加强曰常监管", "严禁面向未成年人的违规培训,加强日常监管"),
        ("ー是加大投人", "一是加大投入"),
    ],
)
def test_ocr_confusions_are_repaired_in_scanned_text_only(raw: str, fixed: str) -> None:
    assert clean_text(raw, "scan.pdf", SHIPPED_REPAIRS, ocr=True) == fixed
    assert clean_text(raw, "scan.pdf", SHIPPED_REPAIRS) == raw  # a report that came as text is left as written


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('[[swap]]\nfind = "效劳"\nreplace = "服务"\nfile = "x"\n', "'file'"),
        ('[[swap]]\nfind = ""\nreplace = "服务"\n', "[[swap]] #1"),
        ('[[swap]]\nfind = "效劳"\n', "`replace`"),
        ('[[swap]]\nfind = "a"\nreplace = "b"\n[[swap]]\nfind = "效劳"\nreplace = "效劳"\n', "[[swap]] #2 (find = '效劳')"),
        ('[[swap]]\nfind = "效劳"\nreplace = "服务"\nfiles = 3\n', "`files`"),
        ('[[swap]]\nfind = "标准"\nreplace = "规范"\nfollowed_by = [""]\n', "`followed_by`"),
        ('[[headings]]\nlines = []\n', "[[headings]] #1"),
        ('[[swaps]]\nfind = "a"\nreplace = "b"\n', "swaps"),
        ("[[swap]\n", "not valid TOML"),
        ('[[swap]]\nfind = "纳人"\nreplace = "纳入"\nocr_only = "yes"\n', "`ocr_only`"),
    ],
)
def test_bad_entries_are_named(tmp_path: Path, body: str, named: str) -> None:
    path = tmp_path / "repairs.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_repairs(path)
    assert named in str(caught.value)
