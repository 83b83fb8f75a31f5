"""Every console page over the real service, store and corpus files (HTTP, no browser):
what each shows, and that each change lands where Telegram's would."""

from __future__ import annotations

import html
import time
import tomllib

from bot.index.store import list_builds, read_current
from bot.storage import admin as queue
from bot.storage import reports
from bot.telegram.render import render_answer
from tests.console_support import ADMIN, STAFF, ConsoleProject, csrf_of
from tests.helpers_index import REPO

PAGES = ["/overview", "/documents", "/documents/jiangsu-nantong-tongzhou.txt", "/try", "/unanswered", "/faq", "/terms", "/rebuild"]


def post(client, path: str, data: dict | None = None, **kwargs):  # noqa: ANN001, ANN201
    token = csrf_of(client.get("/faq").text)
    return client.post(path, data={"csrf": token, **(data or {})}, **kwargs)


def test_every_page_renders_for_an_admin(shared: ConsoleProject) -> None:
    client = shared.client()
    assert client.get("/").headers["location"] == "/overview"
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'name="csrf"' in response.text and "/static/htmx.min.js" in response.text, path
    index = shared.service.pipeline.index
    assert index.build_id in client.get("/overview").text
    listing = client.get("/documents").text
    assert all(name in listing for name in ("chongqing-fuling.txt", "sichuan-luzhou.txt", "district-survey-report.txt"))
    page = client.get("/documents/jiangsu-nantong-tongzhou.txt").text
    assert '<del title="删除:网站导航">当前位置:首页 &gt; 新闻' in page  # boilerplate shown struck through, with the rule
    passages = [p for p in index.ordered if p.doc_id == "jiangsu-nantong-tongzhou.txt"]
    assert page.count('<div class="meta">') == len(passages) > 3
    assert "<ins" in client.get("/documents/sichuan-luzhou.txt").text  # repairs highlighted
    assert client.get("/documents/missing.txt").status_code == 404


def test_staff_land_on_the_faq_page_and_see_only_it_in_the_menu(shared: ConsoleProject) -> None:
    client = shared.client(STAFF["id"])
    assert client.get("/").headers["location"] == "/faq"
    page = client.get("/faq").text
    assert 'href="/faq"' in page and 'href="/overview"' not in page and "✅ 批准" not in page


def test_the_retrieval_test_shows_each_step_and_the_answer_exactly_as_telegram_renders_it(shared: ConsoleProject) -> None:
    client = shared.client()
    question = "托管费按什么标准收"
    response = post(client, "/try", {"q": question, "region": ""})
    assert response.status_code == 200
    page = response.text
    for message in render_answer(shared.service.ask(question)):
        assert message in page  # byte for byte what Telegram would be sent
    assert "2元/课时" in page and "课后服务费" in page  # the expansion of 托管费 is listed
    for heading in ("问题分析", "融合排序", "向量检索(FAISS)", "关键词检索(BM25)", "把握度"):
        assert heading in page
    for feature in ("dense_top", "core_coverage", "core_coverage_top1", "topic_margin"):
        assert feature in page
    assert [t.question for t in reports.recent_trials(shared.store)][:1] == [question]
    fragment = post(client, "/try", {"q": "今年的高考志愿怎么填报"}, headers={"HX-Request": "true"}).text
    assert fragment.lstrip().startswith('<section class="card result">') and "未能回答" in fragment
    tentative = post(client, "/try", {"q": "高考分数线是多少"}, headers={"HX-Request": "true"}).text
    assert ("不确定,给出最接近的内容" in tentative) == shared.service.ask("高考分数线是多少").tentative


def test_overview_counts_today_the_week_refusals_and_votes(project: ConsoleProject) -> None:
    store = project.store
    for n in range(6):
        store.log_question(500 + n, f"问题{n}", kind="private", abstained=n < 2, confidence=0.9 if n < 5 else 0.4, answer_id=f"a{n}", tentative=n == 5)
    store.record_vote("a2", 1, 1)
    store.record_vote("a3", 1, -1)
    page = project.client().get("/overview").text
    assert '<span class="n">6</span><span>今天的提问</span>' in page
    assert "近 7 天未能回答(2)" in page and "近 7 天勉强回答(1)" in page
    assert "<svg" in page and 'class="refused"' in page


def test_unanswered_questions_are_grouped_most_frequent_first_with_a_draft_link(project: ConsoleProject) -> None:
    asked = {"托管费怎么收": 3, "托管费多少钱": 2, "孩子近视了怎么办": 1}
    for question, times in asked.items():
        for n in range(times):
            project.store.log_question(600 + n, question, kind="private", abstained=True, confidence=0.1)
    page = project.client().get("/unanswered").text
    first, second = page.index("托管费怎么收"), page.index("孩子近视了怎么办")
    assert first < second and "×5" in page  # the two 托管费 questions are one group of five
    assert 'href="/faq?draft=%E6%89%98%E7%AE%A1%E8%B4%B9%E6%80%8E%E4%B9%88%E6%94%B6#propose"' in page


def test_a_proposal_approved_in_the_console_lands_in_the_faq_file_as_from_telegram(project: ConsoleProject) -> None:
    faq_file = project.config.corpus.faq
    header = faq_file.read_text(encoding="utf-8")
    staff = project.client(STAFF["id"])
    response = post(staff, "/faq/propose", {"question": "课后服务几点结束?", "answer": "17:30 结束。", "region": ""})
    assert response.headers["location"] == "/faq?msg=proposed"
    assert post(staff, "/faq/1/approve").status_code == 403  # staff propose, admins approve
    (proposal,) = queue.pending_faqs(project.store)
    admin = project.client()
    assert post(admin, f"/faq/{proposal.id}/approve").headers["location"] == "/faq?msg=approved"
    text = faq_file.read_text(encoding="utf-8")
    assert text.startswith(header)  # the admins' comments are kept
    assert tomllib.loads(text)["faq"][-1] | {"date": ""} == {"question": "课后服务几点结束?", "answer": "17:30 结束。", "author": "李老师", "date": ""}
    assert post(admin, f"/faq/{proposal.id}/approve").headers["location"] == "/faq?msg=done"
    post(admin, "/faq/propose", {"question": "作业多怎么办?", "answer": "找班主任。"})
    assert post(admin, "/faq/2/reject").headers["location"] == "/faq?msg=rejected"
    assert queue.faq_proposal(project.store, 2).status == "rejected"


def test_faq_entries_are_edited_and_retired_in_place(project: ConsoleProject) -> None:
    admin = project.client()
    post(admin, "/faq/propose", {"question": "课后服务几点结束?", "answer": "17:30。", "approve": "1"})
    key = "课后服务几点结束?"
    assert post(admin, "/faq/entries/edit", {"key": key, "question": "课后服务几点结束?", "answer": "17:45。", "region": "涪陵"}).status_code == 303
    assert tomllib.loads(project.config.corpus.faq.read_text(encoding="utf-8"))["faq"][0]["answer"] == "17:45。"
    assert post(admin, "/faq/entries/edit", {"key": "不存在", "question": "x", "answer": "y"}).status_code == 400
    assert post(admin, "/faq/entries/retire", {"key": key}).status_code == 303
    text = project.config.corpus.faq.read_text(encoding="utf-8")
    assert "faq" not in tomllib.loads(text) or not tomllib.loads(text)["faq"]
    assert "#   answer = 17:45。" in text  # kept as a comment


def test_metadata_is_written_back_keeping_comments_and_bad_values_change_nothing(project: ConsoleProject) -> None:
    path = project.config.corpus.metadata
    before = path.read_text(encoding="utf-8")
    admin = project.client()
    form = {"title": "涪陵区教育“双减”工作情况", "region": "重庆市涪陵区", "province": "重庆市", "county": "涪陵区", "source": "重庆市涪陵区", "date": "2023-01-02", "aliases": "涪陵, 涪陵区"}
    response = post(admin, "/documents/chongqing-fuling.txt", form)
    assert response.headers["location"] == "/documents/chongqing-fuling.txt?msg=saved"
    after = path.read_text(encoding="utf-8")
    assert after.splitlines()[:10] == before.splitlines()[:10]  # the comment block
    entry = tomllib.loads(after)["chongqing-fuling.txt"]
    assert entry["date"] == "2023-01-02" and entry["aliases"] == ["涪陵", "涪陵区"]
    refused = post(admin, "/documents/chongqing-fuling.txt", form | {"date": "yesterday"})
    assert refused.status_code == 400 and "YYYY-MM-DD" in html.unescape(refused.text)
    assert path.read_text(encoding="utf-8") == after
    assert not list(path.parent.glob(".documents.toml*"))  # no temporary file left behind


def test_upload_applies_the_telegram_checks(project: ConsoleProject) -> None:
    admin = project.client()
    token = csrf_of(admin.get("/documents").text)
    corpus = project.config.corpus.dir
    report = "课后服务收费标准\n各校课后服务按每课时2元收取,家庭经济困难学生免收。".encode("utf-8") * 3

    def upload(name: str, data: bytes):  # noqa: ANN202
        return admin.post("/documents", data={"csrf": token}, files={"file": (name, data, "application/octet-stream")})

    response = upload("新报告.txt", report)
    assert response.headers["location"] == "/documents?msg=uploaded&name=%E6%96%B0%E6%8A%A5%E5%91%8A.txt"
    assert (corpus / "新报告.txt").read_bytes() == report
    assert upload("again.txt", report).headers["location"].startswith("/documents?msg=duplicate")
    before = sorted(p.name for p in corpus.iterdir())
    broken = upload("坏文件.pdf", b"%PDF-1.7 not really a pdf")
    assert broken.status_code == 400
    assert upload("notes.exe", b"MZ").status_code == 400
    assert sorted(p.name for p in corpus.iterdir()) == before


def test_terms_are_validated_saved_in_place_and_applied_at_once(project: ConsoleProject) -> None:
    admin = project.client()
    path = project.config.corpus.terms
    before = path.read_text(encoding="utf-8")
    preview = admin.get("/terms/preview", params={"phrase": "娃的作业", "targets": "作业负担、作业总量"}).text
    assert "“作业负担”出现在" in preview and "<ol" in preview
    assert "“没有的词”出现在 0 段" in admin.get("/terms/preview", params={"phrase": "娃的作业", "targets": "没有的词"}).text
    assert post(admin, "/terms", {"phrase": "娃的作业", "targets": ""}).status_code == 400
    assert post(admin, "/terms", {"phrase": "托管费", "targets": "x"}).status_code == 400  # already there
    assert path.read_text(encoding="utf-8") == before
    assert post(admin, "/terms", {"phrase": "娃的作业", "targets": "作业负担、作业总量"}).headers["location"] == "/terms?msg=saved"
    assert project.service.pipeline.analyzer.terms.expansions["娃的作业"] == ("作业负担", "作业总量")
    assert "作业负担" in project.service.explain("娃的作业太多了").query.expansions
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") == before.count("\n") + 1 and text.index("娃的作业") < text.index("[typos]")
    assert post(admin, "/terms/delete", {"phrase": "娃的作业"}).status_code == 303
    assert path.read_text(encoding="utf-8") == before


def test_the_terms_page_shows_the_file_as_it_is_now_after_a_save_or_an_edit_by_hand(project: ConsoleProject) -> None:
    """The page keeps the parsed table between requests, and reads it again whenever the file changes."""
    admin = project.client()
    path = project.config.corpus.terms
    assert "娃的作业" not in admin.get("/terms").text
    assert post(admin, "/terms", {"phrase": "娃的作业", "targets": "作业负担、作业总量"}).status_code == 303
    assert "娃的作业" in admin.get("/terms").text
    text = path.read_text(encoding="utf-8")
    with path.open("r+", encoding="utf-8") as file:  # in place: the same inode and the same size
        file.write(text.replace("娃的作业", "娃的功课"))
    page = admin.get("/terms").text
    assert "娃的功课" in page and "娃的作业" not in page


def test_a_rebuild_streams_its_progress_and_a_rollback_serves_the_previous_build(project: ConsoleProject) -> None:
    admin = project.client()
    index_dir = project.config.index.dir
    first = read_current(index_dir)
    assert post(admin, "/rebuild").headers["location"] == "/rebuild?msg=started"
    with admin.stream("GET", "/rebuild/events") as events:
        body = "".join(events.iter_text())
    assert "event: progress" in body and "重建完成" in body and body.rstrip().endswith("event: finished\ndata:")
    second = read_current(index_dir)
    assert second != first and project.service.pipeline.index.build_id == second
    page = admin.get("/rebuild").text
    assert f"<code>{first}</code>" in page and "上一个(可回滚)" in page
    assert post(admin, "/rebuild/rollback").headers["location"] == f"/rebuild?to={first}"
    assert read_current(index_dir) == first and project.service.pipeline.index.build_id == first
    assert {b.build_id for b in list_builds(index_dir)} == {first, second}


def test_a_failed_rebuild_is_reported_and_the_old_index_keeps_serving(project: ConsoleProject) -> None:
    (project.config.corpus.dir / "faq.toml").write_text("[[faq]]\nquestion = 1\n", encoding="utf-8")
    admin = project.client()
    serving = project.service.pipeline.index.build_id
    post(admin, "/rebuild")
    deadline = time.time() + 60
    while project.console.rebuilds.state.running and time.time() < deadline:
        time.sleep(0.1)
    state = project.console.rebuilds.state
    assert state.status == "failed" and "faq.toml" in state.error
    assert project.service.pipeline.index.build_id == serving
    assert "重建失败" in admin.get("/rebuild").text
    assert post(admin, "/rebuild/rollback").status_code == 400  # no earlier build in this copy


def test_pages_work_without_a_question_log(shared: ConsoleProject) -> None:
    client = shared.client(ADMIN["id"])
    assert "近 7 天" in client.get("/overview").text


def test_a_scan_is_read_by_ocr_on_upload_and_shown_from_the_ocr_cache(project: ConsoleProject) -> None:
    admin = project.client()
    token = csrf_of(admin.get("/documents").text)
    scans = REPO / "tests" / "data" / "ocr"
    saved = admin.post("/documents", data={"csrf": token}, files={"file": ("扫描报告.pdf", (scans / "scanned_report.pdf").read_bytes(), "application/pdf")})
    assert saved.status_code == 303 and "msg=uploaded" in saved.headers["location"]
    page = admin.get("/documents/扫描报告.pdf").text
    assert "课后服务工作开展情况" in page and "读取失败" not in page  # the OCR text, cached at upload
    refused = admin.post("/documents", data={"csrf": token}, files={"file": ("无字.png", (scans / "no_text.png").read_bytes(), "image/png")})
    assert refused.status_code == 400 and "no text" in refused.text
