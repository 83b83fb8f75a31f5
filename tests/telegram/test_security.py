"""Security: admin and staff rights by user id, checked in one place; secrets redacted from
logs and error reports; user ids only as salted hashes in the database; parameterised SQL
only; a document an admin sends is checked for size and type and lands only in corpus/."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import hashlib
import io
import logging
import sqlite3
import struct
import sys
import threading
import warnings
import zipfile
from pathlib import Path

import pytest
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.config import load_config
from bot.index.build import BuildReport
from bot.service import Service
from bot.storage import admin as queue
from bot.storage.store import Store
from bot.telegram.app import ADMIN_COMMANDS, STAFF_COMMANDS
from bot.telegram.guard import REDACTED, install_redaction, log_uncaught_exceptions
from bot.telegram.upload import safe_file_name
from tests.fake_bot_api import PARENT, TOKEN, FakeBotApi
from tests.telegram.test_run import start_bot, webhook_config
from tests.telegram_support import ADMIN, REPO, STAFF, CachedService, SpyService, copy_project, make_config, running_bot

ADMIN_ONLY = "抱歉,这个命令只有管理员可以使用。"
STAFF_ONLY = "抱歉,只有学校工作人员可以使用这个命令"
HINT = "我只能读懂文字"
REPORT = "某区课后服务补充通知\n一、自下学期起,课后服务结束时间延长至18:00,家长可自愿选择是否参加。\n二、课后服务费用标准保持不变,家庭经济困难学生继续免收课后服务费。\n".encode("utf-8")


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and "var/" not in p.relative_to(root).as_posix()}


# -- roles ---------------------------------------------------------------------------------------


async def test_admin_and_staff_commands_refuse_everyone_else_and_do_nothing(shipped_config: Path, shipped_service, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    config = make_config(project, tmp_path)
    before = files_under(project.parent)
    impostor = {"id": 4242, "is_bot": False, "first_name": ADMIN["first_name"], "username": "admin", "language_code": "zh-hans"}
    async with running_bot(config, SpyService(shipped_service, BuildReport("b", Path("b"), documents=6, passages=1, embedded=1, reused=0, seconds=0.1))) as bot:
        await bot.send("/faq 课后服务几点结束? | 17:30。", user=STAFF)
        [proposal] = queue.pending_faqs(bot.store)
        card = bot.api.last_sent(ADMIN["id"])
        for user in (PARENT, impostor):
            for command in ("/reindex", "/stats", "/unanswered", "/faq_pending", "/reindex@shuangjian_test_bot"):
                await bot.send(command, user=user)
            await bot.send("/faq 问 | 答", user=user)
            for data in (f"fa:{proposal.id}", f"fr:{proposal.id}", "reindex"):
                await bot.processed(bot.api.push_callback(data, card, user=user))
            await bot.send(None, user=user, document=bot.api.add_file(REPORT, file_name="新报告.txt"))
            # A message an admin wrote, forwarded by someone else, gives no admin rights either.
            await bot.send("/stats", user=user, forward_origin={"type": "user", "date": 1700000000, "sender_user": ADMIN})
            replies = bot.replies(user["id"])
            assert replies[:5] == [ADMIN_ONLY] * 5 and replies[5].startswith(STAFF_ONLY)
            assert replies[6].startswith(HINT) and replies[7] == ADMIN_ONLY and len(replies) == 8
            assert [c["text"] for c in bot.api.find("answerCallbackQuery")][-3:] == [ADMIN_ONLY] * 3
        for command in ("/reindex", "/stats", "/unanswered", "/faq_pending"):  # staff may propose, not administer
            await bot.send(command, user=STAFF)
        await bot.processed(bot.api.push_callback(f"fa:{proposal.id}", card, user=STAFF))
        assert bot.replies(STAFF["id"])[-4:] == [ADMIN_ONLY] * 4
        assert bot.service.rebuilds == 0
        assert [p.id for p in queue.pending_faqs(bot.store)] == [proposal.id]  # neither approved nor rejected
        assert not bot.api.find("getFile") and not bot.api.find("download")
        assert queue.stats(bot.store).questions_total == 0
        assert all("统计" not in text for user in (PARENT, impostor, STAFF) for text in bot.replies(user["id"]))
        # The real admin, whatever their name, may.
        renamed_admin = {**ADMIN, "first_name": "某人", "username": "nobody"}
        await bot.send("/stats", user=renamed_admin)
        assert "统计" in bot.replies(ADMIN["id"])[-1]
    assert files_under(project.parent) == before


def test_rights_are_checked_in_one_place() -> None:
    """Every staff or admin handler is wrapped by bot.telegram.state.requires, and nothing else
    in Telegram decides rights (Roles.allows is called from there and from the console's gate alone)."""
    from bot.telegram.app import build_application

    config = load_config(REPO / "config.toml", env={})
    app = build_application(config, TOKEN)
    privileged = {name for name, _ in ADMIN_COMMANDS + STAFF_COMMANDS}
    gated = []
    for handler in app.handlers[0]:
        role = getattr(handler.callback, "required_role", None)
        if isinstance(handler, CommandHandler) and handler.commands & privileged:
            assert role is not None, f"/{sorted(handler.commands)} is not gated by requires()"
            gated += sorted(handler.commands)
        if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None and handler.pattern.pattern in (r"^f([ar]):(\d{1,9})$", r"^reindex$"):
            assert role is not None, f"button {handler.pattern.pattern} is not gated"
            gated.append(handler.pattern.pattern)
        if isinstance(handler, MessageHandler) and handler.callback.__name__ == "upload_report":
            assert role is not None
            gated.append("upload")
    assert set(gated) >= privileged | {"upload"} and len(gated) == len(privileged) + 3
    callers = sorted(path.relative_to(REPO / "bot").as_posix() for path in (REPO / "bot").rglob("*.py") if ".allows(" in path.read_text(encoding="utf-8"))
    # One gate per front end: this one for Telegram, bot/console/auth.py's for the web console
    # (tests/console/test_security.py holds every console route to it).
    assert callers == ["console/auth.py", "telegram/state.py"]


# -- secrets -------------------------------------------------------------------------------------

SECRET = "Webhook-Secret_0123456789abcdef"
SALT = "Log-Salt-9f8e7d6c5b4a"


@pytest.fixture
def capture(monkeypatch: pytest.MonkeyPatch):
    """capture(name) -> (logger, lines): the logger's records, formatted through a handler
    that carries the redacting filter (as `run` installs it), in `lines`."""

    def make(name: str) -> tuple[logging.Logger, list[str]]:
        logger = logging.getLogger(name)
        lines: list[str] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                lines.append(self.format(record))

        monkeypatch.setattr(logger, "propagate", False)
        monkeypatch.setattr(logger, "handlers", [Keep()])
        install_redaction([TOKEN, SECRET, SALT], logger)
        return logger, lines

    return make


def leaked(text: str) -> list[str]:
    forms = [TOKEN, TOKEN.split(":")[1], SECRET, SALT]
    return [f for f in forms if f.lower() in text.lower()]


def test_the_log_filter_redacts_every_secret_in_messages_tracebacks_and_stacks(capture) -> None:
    logger, lines = capture("test.secrets")
    logger.error("token %s, secret %r", TOKEN, SECRET)
    logger.warning("dict args: %(salt)s", {"salt": SALT})
    logger.warning("bad request: chat not found in /bot%s/sendMessage", TOKEN.lower())  # PTB lower-cases API errors
    logger.warning("url-quoted: %s", TOKEN.replace(":", "%3A"))
    try:
        try:
            raise ValueError(f"inner {SALT}")
        except ValueError as inner:
            raise RuntimeError(f"outer https://api.telegram.org/bot{TOKEN}/getMe {SECRET.upper()}") from inner
    except RuntimeError:
        logger.exception("boom")
    logger.warning("with a stack", stack_info=True)
    record = logging.LogRecord("test.secrets", logging.ERROR, __file__, 1, "preformatted", None, None)
    record.exc_text = f"Traceback: {TOKEN}"  # formatted by an earlier handler
    logger.handle(record)
    text = "\n".join(lines)
    assert not leaked(text), leaked(text)
    assert text.count(REDACTED) >= 9
    assert "inner" in text and "outer" in text and "Traceback" in text  # the rest is kept


def test_uncaught_exceptions_and_warnings_go_through_the_filter(capture, monkeypatch: pytest.MonkeyPatch) -> None:
    logger, lines = capture("test.uncaught")
    _, warning_lines = capture("py.warnings")  # where captured warnings are logged
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    logging.captureWarnings(False)  # start from Python's own warning display
    log_uncaught_exceptions(logger)
    try:
        try:
            raise RuntimeError(f"uncaught {TOKEN}")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        worker = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError(f"in a thread {SECRET}")), name="w")
        worker.start()
        worker.join()
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn(f"a library warning mentioning {SALT}", UserWarning, stacklevel=1)
    finally:
        logging.captureWarnings(False)
    text = "\n".join(lines + warning_lines)
    assert "uncaught" in text and "in a thread" in text and "a library warning" in text
    assert not leaked(text), leaked(text)


async def test_run_redacts_token_webhook_secret_and_salt_from_error_reports(shipped_config: Path, tmp_path: Path) -> None:
    """`python -m bot run` whose Telegram answers with an error text full of secrets (PTB
    lower-cases "Bad Request: ..." texts): the process log shows none of them."""
    api = FakeBotApi()
    await api.start()
    try:
        api.inject("getMe", status=400, description=f"Bad Request: {TOKEN} {SECRET} {SALT} /bot{TOKEN}/getMe")
        config = webhook_config(shipped_config, tmp_path, 8443)
        process, log_file = await start_bot(config, api, tmp_path, TELEGRAM_WEBHOOK_SECRET=SECRET, BOT_LOG_SALT=SALT)
        assert await asyncio.wait_for(process.wait(), 120) == 1
        log = log_file.read_text(encoding="utf-8")
        assert "the bot stopped" in log and REDACTED in log
        assert not leaked(log), leaked(log)
    finally:
        await api.stop()


# -- pseudonymised storage ------------------------------------------------------------------------


async def test_the_database_holds_no_raw_user_id(shipped_config: Path, shipped_service, tmp_path: Path) -> None:
    admin = {"id": 8_123_456_789, "is_bot": False, "first_name": "管理员", "language_code": "zh-hans"}
    staff = {"id": 7_234_567_890, "is_bot": False, "first_name": "李老师", "language_code": "zh-hans"}
    parents = [{"id": 6_345_678_901 + n * 7919, "is_bot": False, "first_name": f"家长{n}", "language_code": "zh-hant" if n % 2 else "zh-hans"} for n in range(3)]
    parents.append({"id": 987_654_321, "is_bot": False, "first_name": "王妈妈"})
    config = make_config(shipped_config, tmp_path, admin_ids=frozenset({admin["id"]}), staff_ids=frozenset({staff["id"]}))
    store = Store.from_settings(config.storage, salt="a-secret-salt")
    async with running_bot(config, CachedService(shipped_service), store=store) as bot:
        for user in parents:
            await bot.send("课后服务怎么收费?", user=user)
            answer = bot.api.last_sent(user["id"])
            vote = next(b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row if b["callback_data"].startswith("v:"))
            await bot.processed(bot.api.push_callback(vote, answer, user=user))
            await bot.send("/region 涪陵", user=user)
            await bot.processed(bot.api.push_inline("作业", user=user))
        await bot.send("/faq 课后服务几点结束? | 17:30。", user=staff)
        await bot.send("/faq 作业多吗? | 不多。", user=staff)
        await bot.send("/faq_pending", user=admin)
        cards = [m for m in bot.api.sent_to(admin["id"]) if m.get("reply_markup")]
        await bot.processed(bot.api.push_callback("fr:1", cards[-2], user=admin))
        assert queue.stats(bot.store).questions_total == len(parents)
    data = b"".join(p.read_bytes() for p in config.storage.path.parent.glob("bot.sqlite3*") if not p.name.endswith(".salt"))
    assert data
    for user in (admin, staff, *parents):
        uid = user["id"]
        encodings = [str(uid).encode()] + [struct.pack(">q", uid)[-size:] for size in (8, 6, 4) if uid < 1 << (8 * size - 1)]
        assert not [e for e in encodings if e in data], f"user id {uid} is in the database"
        assert hashlib.sha256(str(uid).encode()).hexdigest()[:32].encode() not in data  # not an unsalted hash either
    with sqlite3.connect(config.storage.path) as conn:  # the pseudonyms are what is stored
        hashes = {h for (h,) in conn.execute("SELECT user_hash FROM question_log UNION SELECT user_hash FROM user_settings UNION SELECT user_hash FROM feedback")}
        authors = {a for (a,) in conn.execute("SELECT author_id FROM faq_proposals UNION SELECT decided_by FROM faq_proposals WHERE decided_by IS NOT NULL")}
    assert hashes == {store.user_hash(u["id"]) for u in parents}
    assert authors == {store.user_hash(staff["id"]), store.user_hash(admin["id"])}
    conn.close()


# -- parameterised SQL ------------------------------------------------------------------------------

SQL_CALLS = {"execute", "executemany", "executescript"}
STORE_CALLS = {"write", "read", "insert"}  # Store.write(what, sql, params) and friends
# Functions that pass their `sql` parameter on (their callers are checked): the Store's, and the
# database layer's cursor, whose `adapt` only rewrites `?` placeholders for psycopg.
PASS_THROUGH = STORE_CALLS | {"execute"}
# Migration scripts run statement by statement; test_migration_scripts_are_constants checks them.
MIGRATION_RUNNER = ("migrations.py", "migrate")


class _Scope:
    def __init__(self, module: ast.Module) -> None:
        self.module = {t.id: n.value for n in module.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


def _placeholders(node: ast.AST) -> bool:
    """`",".join("?" * n)` and the like: a run of ? placeholders."""
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant) and len(node.args) == 1
        and isinstance(node.args[0], ast.BinOp) and isinstance(node.args[0].op, ast.Mult)
        and isinstance(node.args[0].left, ast.Constant) and node.args[0].left.value == "?"
    )


def _static(node: ast.AST, function: ast.FunctionDef | None, scope: _Scope, depth: int = 0) -> bool:
    """Is `node` a string built from constants only (placeholder runs allowed)?"""
    if depth > 10:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) or (isinstance(v, ast.FormattedValue) and _is_placeholders(v.value, function)) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _static(node.left, function, scope, depth + 1) and _static(node.right, function, scope, depth + 1)
    if isinstance(node, (ast.Tuple, ast.List)):
        return all(_static(e, function, scope, depth + 1) for e in node.elts)
    if isinstance(node, ast.IfExp):
        return _static(node.body, function, scope, depth + 1) and _static(node.orelse, function, scope, depth + 1)
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and len(node.args) == 1:
        name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        if name == "adapt":  # bot.storage.db.adapt: `?` → `%s`, nothing else
            return _static(node.args[0], function, scope, depth + 1)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in scope.module:
        table = scope.module[node.value.id]  # a module-level dict or tuple of statements, indexed
        if isinstance(table, ast.Dict):
            return all(_static(v, None, scope, depth + 1) for v in table.values)
        if isinstance(table, (ast.Tuple, ast.List)):
            return all(_static(v, None, scope, depth + 1) for v in table.elts)
        return False
    if isinstance(node, ast.Name):
        if function is not None:
            if node.id in {a.arg for a in function.args.args} and function.name in PASS_THROUGH:
                return True  # Store.write(what, sql, params) passes its argument on: its callers are checked
            bound = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)]
            loops = [n.iter for n in ast.walk(function) if isinstance(n, ast.For) and isinstance(n.target, ast.Name) and n.target.id == node.id]
            if bound or loops:
                return all(_static(v, function, scope, depth + 1) for v in bound + loops)
        if node.id in scope.module:
            return _static(scope.module[node.id], None, scope, depth + 1)
    return False  # calls (.format, str.join of values), % formatting, attributes, unknown names


def _is_placeholders(node: ast.AST, function: ast.FunctionDef | None) -> bool:
    if _placeholders(node):
        return True
    if isinstance(node, ast.Name) and function is not None:
        bound = [n.value for n in ast.walk(function) if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)]
        return bool(bound) and all(_placeholders(v) for v in bound)
    return False


def sql_problems(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    scope = _Scope(tree)
    problems = []
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    owner = {id(call): f for f in functions for call in ast.walk(f) if isinstance(call, ast.Call)}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
        function = owner.get(id(call))
        if function is not None and (name, function.name) == MIGRATION_RUNNER:
            continue
        if call.func.attr in SQL_CALLS and call.args:
            sql = call.args[0]
        elif call.func.attr in STORE_CALLS and len(call.args) == 3 and isinstance(call.args[0], ast.Constant):
            sql = call.args[1]
        else:
            continue
        if not _static(sql, function, scope):
            problems.append(f"{name}:{call.lineno}: SQL built at run time: {ast.unparse(sql)[:80]}")
    return problems


def test_sql_is_parameterised_only() -> None:
    checked = 0
    problems: list[str] = []
    for path in sorted((REPO / "bot").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "execute" in source or "store.write" in source or "self.write(" in source or "store.read(" in source:
            checked += 1
            problems += sql_problems(source, path.name)
    assert checked >= 3 and not problems, problems
    # The scanner itself catches each way of building SQL from values.
    for bad in (
        'def f(conn, name):\n    conn.execute(f"SELECT * FROM t WHERE name = \'{name}\'")',
        'def f(conn, name):\n    conn.execute("SELECT * FROM t WHERE name = \'%s\'" % name)',
        'def f(conn, name):\n    conn.execute("SELECT * FROM t WHERE name = \'{}\'".format(name))',
        'def f(conn, name):\n    sql = "SELECT * FROM t WHERE name = \'" + name + "\'"\n    conn.execute(sql)',
        'def f(store, table):\n    store.write("purge", f"DELETE FROM {table}", ())',
        'def f(cur, table):\n    cur.execute(adapt(f"DELETE FROM {table}"))',
        'def migrate(cur, table):\n    cur.execute(f"DELETE FROM {table}")',  # only migrations.py's migrate is exempt
        'Q = {"a": "SELECT 1", "b": make_sql()}\ndef f(cur, k):\n    cur.execute(Q[k])',  # one value of the table is built
    ):
        assert sql_problems(bad, "bad.py"), bad
    assert not sql_problems('Q = "SELECT 1"\ndef f(conn, ids):\n    marks = ",".join("?" * len(ids))\n    conn.execute(f"SELECT * FROM t WHERE id IN ({marks})", ids)\n    conn.execute(Q + " WHERE x = ?", (1,))', "good.py")


def test_migration_scripts_are_constants() -> None:
    """What `migrate` runs statement by statement is written in the schema's source, never built."""
    from bot.storage.migrations import MIGRATIONS

    tree = ast.parse((REPO / "bot" / "storage" / "schema.py").read_text(encoding="utf-8"))
    constants = {t.id: n.value for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign)) for t in ([n.target] if isinstance(n, ast.AnnAssign) else n.targets) if isinstance(t, ast.Name)}
    for backend in ("SQLITE", "POSTGRES"):
        steps = constants[backend]
        assert isinstance(steps, ast.List) and steps.elts
        for step in steps.elts:
            script = step.elts[2]
            script = constants.get(script.id, script) if isinstance(script, ast.Name) else script
            assert isinstance(script, ast.Constant) and isinstance(script.value, str), ast.unparse(step)[:80]
    assert [v for v, _, _ in MIGRATIONS["sqlite"]] == sorted({v for v, _, _ in MIGRATIONS["sqlite"]})
    assert [v for v, _, _ in MIGRATIONS["postgres"]] == sorted({v for v, _, _ in MIGRATIONS["postgres"]})


# -- admin uploads --------------------------------------------------------------------------------


def files_outside(root: Path) -> dict[str, bytes]:
    return {k: v for k, v in files_under(root).items() if not k.startswith(("project/corpus/", "project/index/"))}


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("新报告.txt", "新报告.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\report.MD", "report.md"),
        ("/var/lib/x.html", "x.html"),
        ("．．／．．／evil.txt", "evil.txt"),  # full-width dots and slash (NFKC)
        (".hidden.txt", "hidden.txt"),
        ("..txt", "report.txt"),
        ("a\x00b\u202ec.pdf", "abc.pdf"),
        ("报告 2023(修订).docx", "报告_2023(修订).docx"),
        ("README.txt", "README_report.txt"),
        ("x" * 300 + ".txt", "x" * 80 + ".txt"),
        ("report.txt.exe", None),
        ("documents.toml", None),
        ("noextension", None),
        ("evil.txt\u202egpj.exe", None),
        ("", None),
        (None, None),
    ],
)
def test_upload_file_names_are_sanitised(given: str | None, expected: str | None) -> None:
    assert safe_file_name(given) == expected


async def test_an_admin_upload_is_checked_saved_only_in_corpus_and_indexed(shipped_config: Path, tmp_path: Path) -> None:
    project = copy_project(shipped_config, tmp_path / "project")
    config = make_config(project, tmp_path)
    config = dataclasses.replace(config, corpus=dataclasses.replace(config.corpus, max_file_mb=0.05))  # 51 KB
    corpus = config.corpus.dir
    outside = files_outside(tmp_path)
    service = Service.from_config(load_config(project, env={}), build_if_missing=False)

    async def upload(data: bytes, **document: object) -> str:
        await bot.send(None, user=ADMIN, document=bot.api.add_file(data, **document))
        return bot.replies(ADMIN["id"])[-1]

    async with running_bot(config, service) as bot:
        saved = await upload(REPORT, file_name="../../新报告.txt")
        assert saved.startswith("✅ 已保存到语料库:新报告.txt") and (corpus / "新报告.txt").read_bytes() == REPORT
        assert bot.api.last_sent(ADMIN["id"])["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "reindex"
        again = await upload(REPORT.replace(b"18:00", b"18:30"), file_name="新报告.txt")  # same name, new content
        assert "已有同名文件 新报告.txt,原文件保持不变,新文件另存为 新报告-2.txt" in again
        assert (corpus / "新报告.txt").read_bytes() == REPORT and b"18:30" in (corpus / "新报告-2.txt").read_bytes()
        assert "没有重复保存" in await upload(REPORT, file_name="copy.txt")
        assert "已保存到语料库:补充.docx" in await upload(docx_bytes("课后服务补充说明:每周五下午开展社团活动。"), file_name="补充.docx", mime_type=None)
        before = set(p.name for p in corpus.iterdir())
        refusals = [
            await upload(b"MZ\x90\x00" + bytes(range(256)) * 4, file_name="virus.exe"),
            await upload(REPORT, file_name="documents.toml"),
            await upload(REPORT, file_name=None),
            await upload(b"x" * 60_000, file_name="big.txt"),  # Telegram says it is too big: not even downloaded
            await upload(b"x" * 60_000, file_name="liar.txt", file_size=100),  # the size Telegram gave was wrong
            await upload(b"\x00\x01\x02\x03" * 500, file_name="binary.txt"),
            await upload(b"just text, not a PDF", file_name="fake.pdf"),
            await upload(b"PK\x03\x04 not really a zip", file_name="fake.docx"),
            await upload(b"", file_name="empty.txt"),
        ]
        assert all(r.startswith("无法") for r in refusals), refusals
        assert "只接受" in refusals[0] and "只接受" in refusals[1] and "只接受" in refusals[2]
        assert "超过了 0.05 MB 的上限" in refusals[3] and "larger than" in refusals[4]
        assert "binary" in refusals[5] and "什么都没有保存" in refusals[6]
        assert set(p.name for p in corpus.iterdir()) == before
        downloads = [c["file_id"] for c in bot.api.find("download")]
        assert len(downloads) == 4 + 5  # four saved or compared, five read and refused; the rest never fetched
        await bot.processed(bot.api.push_callback("reindex", bot.api.last_sent(ADMIN["id"]), user=ADMIN))
        done = await bot.api.wait_for("editMessageText", lambda c: "重建完成" in c["text"], timeout=120)
        assert "8 篇文档" in done["text"]  # 5 shipped + 新报告, 新报告-2, 补充
    assert files_outside(tmp_path) == outside  # nothing written anywhere but corpus/ (and the index it feeds)
    assert {p.name for p in corpus.iterdir()} == before and {"新报告.txt", "新报告-2.txt", "补充.docx"} <= before
    assert not list(corpus.glob(".upload-*"))
    with zipfile.ZipFile(io.BytesIO((corpus / "补充.docx").read_bytes())) as z:
        assert "word/document.xml" in z.namelist()
