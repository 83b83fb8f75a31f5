"""The console in a real browser (Debian's chromium driven by Playwright): an admin logs in
through the link the bot sends for /console over the fake Bot API, visits every page,
approves a staff member's FAQ proposal, runs a retrieval test, starts a rebuild and sees
it finish, and uses the console on a phone-sized screen. No page may run a script that
is not ours (a parent's `<script>` question is on several of them) or break the CSP.

Screenshots of every page go to a temporary folder, or to $CONSOLE_SCREENSHOTS (the
README's command refreshes docs/console/ that way).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console.app import ConsoleThread
from bot.storage.store import Store
from tests.console_support import ADMIN, SALT, STAFF, ConsoleProject, free_port, log_questions, make_project
from tests.telegram_support import running_bot

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = [("overview", "概览"), ("documents", "文档"), ("try", "检索测试"), ("unanswered", "未答与差评"), ("faq", "常见问题"), ("terms", "术语表"), ("rebuild", "重建索引")]
SCRIPT_QUESTION = "<script>alert('x')</script>高考分数线是多少"  # out of scope: listed as unanswered
FAQ = ("学校的课后服务每天几点结束?", "本校课后服务于17:30结束,如需延时请联系班主任。")

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' installs playwright")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium (.ci/run does)")


async def talk_to_the_bot(project: ConsoleProject) -> str:
    """A parent asks (with a script in the question), staff propose an FAQ entry, the admin
    sends /console: the login link from the bot's reply."""
    store = Store.from_settings(project.config.storage, salt=SALT)  # the bot closes its own at shutdown
    async with running_bot(project.config, project.service, store=store) as bot:
        await bot.send(SCRIPT_QUESTION)
        await bot.send(f"/faq {FAQ[0]} | {FAQ[1]}", user=STAFF)
        await bot.send("/console", user=ADMIN)
        reply = bot.api.last_sent(ADMIN["id"])["text"]
    match = re.search(r'href="([^"]+)"', reply)
    assert match, reply
    return match.group(1).replace("&amp;", "&")


@pytest.fixture(scope="module")
def site(shipped_config: Path, shipped_service, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConsoleProject, str]]:
    """The console served over HTTP beside a project whose bot has just been talked to."""
    port = free_port()
    project = make_project(shipped_config, shipped_service, tmp_path_factory.mktemp("browser"), port=port, host="127.0.0.1")
    log_questions(project.store, 300)  # a month of questions, so the charts have something to draw
    server = ConsoleThread(project.app, "127.0.0.1", port).start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    link = asyncio.run(talk_to_the_bot(project))
    assert link.startswith(f"http://127.0.0.1:{port}/login?token=")
    yield project, link
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("CONSOLE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Watch:
    """Every dialog (an injected script would alert) and console error (a CSP violation) of a page."""

    def __init__(self, page) -> None:  # noqa: ANN001 - playwright Page
        self.problems: list[str] = []
        page.on("dialog", lambda d: (self.problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))


@pytest.fixture(scope="module")
def admin(site, browser):  # noqa: ANN001, ANN201
    """A desktop page, logged in through the bot's link (the login is asserted here)."""
    _, link = site
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    page.watch = Watch(page)
    page.goto(link)
    assert "这个一次性链接属于" in page.inner_text("main")
    page.click("main button[type=submit]")
    page.wait_for_url("**/overview")
    yield page
    context.close()


def test_an_admin_logs_in_from_the_bots_link_and_every_page_works(site, admin, shots: Path) -> None:  # noqa: ANN001
    project, link = site
    for name, title in PAGES:
        admin.click(f"header nav >> text={title}")
        admin.wait_for_url(f"**/{name}")
        admin.wait_for_load_state("networkidle")
        assert admin.inner_text("h1") == title, name
        admin.screenshot(path=str(shots / f"{name}.png"))
    admin.click("header nav >> text=文档")
    admin.click("text=jiangsu-nantong-tongzhou.txt")
    assert admin.locator("del").first.is_visible()  # the removed boilerplate, struck through
    admin.screenshot(path=str(shots / "document.png"))
    admin.click("header nav >> text=未答与差评")
    assert SCRIPT_QUESTION in admin.inner_text("main")  # shown as text, never run
    assert admin.watch.problems == []
    spent = admin.context.browser.new_context().new_page()
    spent.goto(link)
    assert "already used" in spent.inner_text("main") and spent.locator("text=登录").count() == 1  # the title only, no button
    spent.context.close()


def test_approve_a_proposal_run_a_retrieval_test_and_rebuild(site, admin, shots: Path) -> None:  # noqa: ANN001
    project, _ = site
    root = "/".join(admin.url.split("/", 3)[:3])
    admin.goto(f"{root}/faq")
    assert FAQ[0] in admin.inner_text("#proposal-1")
    admin.click("#proposal-1 >> text=✅ 批准")
    admin.wait_for_url("**/faq?msg=approved")
    assert tomllib.loads(project.config.corpus.faq.read_text(encoding="utf-8"))["faq"][-1]["question"] == FAQ[0]

    admin.goto(f"{root}/try")
    admin.fill("textarea[name=q]", "托管费按什么标准收")
    admin.click("form.ask >> text=测试")
    admin.wait_for_selector(".bubble", timeout=60_000)
    assert "2元/课时" in admin.inner_text(".bubble")
    assert admin.url.endswith("/try")  # htmx swapped the result in; no page load
    assert "融合排序" in admin.inner_text("#result")
    admin.screenshot(path=str(shots / "try.png"), full_page=False)

    before = project.service.pipeline.index.build_id
    admin.goto(f"{root}/rebuild")
    admin.click("text=开始重建")
    admin.wait_for_selector("#status >> text=重建完成", timeout=120_000)
    assert project.service.pipeline.index.build_id != before
    admin.reload()
    assert "上一个(可回滚)" in admin.inner_text("main")
    admin.screenshot(path=str(shots / "rebuild.png"))
    assert admin.watch.problems == []


def test_a_phone_sized_screen_is_usable(site, admin, browser, shots: Path) -> None:  # noqa: ANN001
    root = "/".join(admin.url.split("/", 3)[:3])
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, storage_state=admin.context.storage_state())
    phone = context.new_page()
    watch = Watch(phone)
    for name, _ in PAGES:
        phone.goto(f"{root}/{name}")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"/{name} scrolls sideways by {overflow}px on a phone"
    phone.goto(f"{root}/try")
    box = phone.locator("header nav >> text=常见问题").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390  # the menu is on screen
    phone.fill("textarea[name=q]", "作业太多找谁反映")
    phone.tap("form.ask >> text=测试")
    phone.wait_for_selector(".bubble", timeout=60_000)
    bubble = phone.locator(".bubble").first.bounding_box()
    assert bubble and bubble["width"] <= 390
    phone.screenshot(path=str(shots / "phone-try.png"))
    phone.goto(f"{root}/overview")
    phone.screenshot(path=str(shots / "phone-overview.png"))
    assert watch.problems == []
    context.close()
