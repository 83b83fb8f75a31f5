"""Command line: `python -m bot index build|status`, `storage copy-to-postgres`, `ask`, `eval`, `chat`, `run`, `console`.

`python -m bot` alone runs the main job: the Telegram bot when TELEGRAM_BOT_TOKEN is
set, otherwise a conversation in the terminal over the same answers.

Exit codes: 0 success, 1 failure, 2 user error (bad config, arguments or input).
Heavy modules are imported inside each command so `--help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import TOKEN_ENV, Config, load_config
from bot.errors import BotError, UsageError

log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "handler", None):
        if getattr(args, "command_group", None):  # `python -m bot index` without an action
            parser.print_help(sys.stderr)
            return 2
        # No command: the main job. The Telegram bot when a token is set, else a terminal chat.
        if os.environ.get(TOKEN_ENV):
            args.handler = cmd_run
        else:
            print(f"{TOKEN_ENV} is not set: starting a conversation in the terminal (see README to run on Telegram).", file=sys.stderr)
            args.handler = cmd_chat
    try:
        config = load_config(args.config)
        return args.handler(config, args)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if exc.user_error else 1
    except KeyboardInterrupt:
        return 130


def _common_options(*, defaults: bool) -> argparse.ArgumentParser:
    """--config and -v, accepted before or after the command. Only the top level sets
    defaults, so `python -m bot --config X index build` keeps X."""
    common = argparse.ArgumentParser(add_help=False)
    unset = {} if defaults else {"default": argparse.SUPPRESS}
    common.add_argument("--config", metavar="PATH", help="config file (default: $BOT_CONFIG or ./config.toml)", **unset)
    common.add_argument("-v", "--verbose", action="store_true", help="log debug messages", **unset)
    return common


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="双减问答助手: answers parents' questions from district reports.",
        parents=[_common_options(defaults=True)],
    )
    common = _common_options(defaults=False)
    commands = parser.add_subparsers(metavar="COMMAND")

    index = commands.add_parser("index", help="build or inspect the search index", parents=[common])
    index.set_defaults(command_group="index")
    index_commands = index.add_subparsers(metavar="ACTION")
    build = index_commands.add_parser("build", help="(re)build the index from corpus/", parents=[common])
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.set_defaults(handler=cmd_index_build)
    status = index_commands.add_parser("status", help="what is built, and whether corpus/ changed since", parents=[common])
    status.set_defaults(handler=cmd_index_status)

    storage = commands.add_parser("storage", help="the bot's database", parents=[common])
    storage.set_defaults(command_group="storage")
    storage_commands = storage.add_subparsers(metavar="ACTION")
    copy = storage_commands.add_parser(
        "copy-to-postgres", help="copy the SQLite store ([storage] path) into PostgreSQL (DATABASE_URL or [storage] url)", parents=[common]
    )
    copy.add_argument("--from", dest="source", type=Path, metavar="PATH", help="the SQLite file (default: [storage] path)")
    copy.set_defaults(handler=cmd_storage_copy)

    ask = commands.add_parser("ask", help="answer questions from the index", parents=[common])
    ask.add_argument("question", nargs="*", help="the question (several words are joined; with --dialog each is one turn)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question per line")
    ask.add_argument("--top-k", type=_positive_int, metavar="K", help="ranked passages to return")
    ask.add_argument("--file", type=Path, metavar="PATH", help="questions, one a line")
    ask.add_argument("--region", help="prefer this district's reports (e.g. 涪陵)")
    ask.add_argument("--dialog", action="store_true", help="the questions are one conversation, in order (follow-ups use the earlier ones)")
    ask.set_defaults(handler=cmd_ask)

    evaluate = commands.add_parser("eval", help="measure retrieval and answers on a labelled question file", parents=[common])
    evaluate.add_argument("file", type=Path, metavar="FILE.jsonl")
    evaluate.add_argument("--top-k", type=_positive_int, default=3, metavar="K")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.set_defaults(handler=cmd_eval)

    chat = commands.add_parser("chat", help="talk to the bot in the terminal (no Telegram token needed)", parents=[common])
    chat.set_defaults(handler=cmd_chat)

    run = commands.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)", parents=[common])
    run.set_defaults(handler=cmd_run)

    console = commands.add_parser("console", help="serve the web console and print a login link for an admin", parents=[common])
    console.add_argument("--port", type=_port, help="port to listen on (default: [console] port, 8080)")
    console.add_argument("--host", help="address to listen on (default: [console] host, 127.0.0.1)")
    console.add_argument("--user", type=int, metavar="ID", help="Telegram user id the login link is for (default: the first admin)")
    console.set_defaults(handler=cmd_console)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number (1-65535), got {value}")
    return value


def cmd_index_build(config: Config, args: argparse.Namespace) -> int:
    """Build the index and print a summary (with PostgreSQL: one machine at a time, then published)."""
    from bot.index.build import build_index

    if config.storage.url:
        from bot.cluster import IndexCluster
        from bot.storage.db import PostgresDatabase
        from bot.storage.migrations import migrate

        db = PostgresDatabase(config.storage.url, max_size=2)
        try:
            migrate(db)
            report = IndexCluster(config, db).rebuild(progress=not args.no_progress)
        finally:
            db.close()
    else:
        report = build_index(config, progress=not args.no_progress)
    for problem in report.problems():
        print(problem, file=sys.stderr)
    for line in report.scans():
        print(line)
    print(
        f"built {report.build_id}: {report.documents} documents, {report.passages} passages, "
        f"{report.embedded} embeddings computed, {report.reused} reused, {report.seconds:.1f} s"
    )
    if config.storage.url:
        print("published in the database: every running instance switches to it")
    return 0


def cmd_storage_copy(config: Config, args: argparse.Namespace) -> int:
    """Copy everything the SQLite store holds into PostgreSQL (one transaction)."""
    from bot.storage.db import PostgresDatabase, SqliteDatabase
    from bot.storage.migrations import migrate
    from bot.storage.store import SALT_ENV
    from bot.storage.transfer import copy_store

    if not config.storage.url:
        raise UsageError("no PostgreSQL to copy into.", hint="Set DATABASE_URL (or [storage] url) to the postgresql:// URL.")
    source_path = (args.source or config.storage.path).resolve()
    salt_file = source_path.with_name(source_path.name + ".salt")
    if not source_path.is_file():
        raise UsageError(f"there is no SQLite store at {source_path}.", hint="Pass --from PATH.")
    salt = None
    if not os.environ.get(SALT_ENV):
        if not salt_file.is_file():
            raise UsageError(f"neither {SALT_ENV} nor the salt file {salt_file} is there: the copied pseudonyms would not match.", hint=f"Set {SALT_ENV} to the salt the bot used.")
        salt = salt_file.read_text(encoding="ascii").strip()
    source = SqliteDatabase(source_path)
    target = PostgresDatabase(config.storage.url, max_size=2)
    try:
        migrate(source)
        migrate(target)
        copied = copy_store(source, target, salt=salt)
    finally:
        source.close()
        target.close()
    rows = ", ".join(f"{table} {count}" for table, count in copied.rows.items())
    print(f"copied into {target.where}: {rows}" + ("; the salt file's salt is now kept in the database" if copied.salt_copied else ""))
    return 0


def cmd_index_status(config: Config, args: argparse.Namespace) -> int:
    """Print what is built and whether the corpus changed since."""
    from bot.index.status import index_status

    status = index_status(config)
    print(status.describe())
    return 0 if status.built and not status.problem else 1


def _service(config: Config):
    from bot.service import Service

    return Service.from_config(config, build_if_missing=True, warn=lambda msg: print(f"warning: {msg}", file=sys.stderr))


def _questions(args: argparse.Namespace) -> list[str]:
    questions = []
    if args.file:
        try:
            lines = args.file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read questions from {args.file}: {exc}.", hint="Give a UTF-8 text file, one question a line.") from exc
        questions.extend(line.strip() for line in lines if line.strip())
    if args.question:  # with --dialog each argument is one turn; else the words are one question
        questions.extend(args.question) if getattr(args, "dialog", False) else questions.append(" ".join(args.question))
    if not questions:
        raise UsageError("no question given.", hint='Try: python -m bot ask "课后服务怎么收费?"')
    return questions


def cmd_ask(config: Config, args: argparse.Namespace) -> int:
    """Answer each question, as text or as JSON lines."""
    questions = _questions(args)
    service = _service(config)
    state = None
    for question in questions:
        answer = service.ask(question, top_k=args.top_k, region=args.region, state=state)
        state = answer.state if args.dialog else None
        if args.json:
            print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
        else:
            print(answer.text, end="\n\n" if len(questions) > 1 else "\n", flush=True)
    return 0


def answer_json(answer) -> dict:
    """The `ask --json` record other tools rely on."""
    return {
        "question": answer.question,
        "abstained": answer.abstained,
        "tentative": answer.tentative,
        "asked_region": answer.asked_region,
        "searched": answer.effective_question,
        "answer": answer.text,
        "passages": [
            {
                "doc": hit.passage.doc_id,
                "title": hit.passage.title,
                "region": hit.passage.region,
                "text": hit.passage.text,
                "score": round(float(hit.score), 6),
            }
            for hit in answer.hits
        ],
    }


def cmd_eval(config: Config, args: argparse.Namespace) -> int:
    """Score the bot on a labelled file of questions and/or conversations."""
    from bot.answering.evaluate import evaluate, load_questions
    from bot.answering.evaluate_dialogs import evaluate_dialogs, load_dialogs

    questions = load_questions(args.file, allow_empty=True)
    dialogs = load_dialogs(args.file)
    if not questions and not dialogs:
        raise UsageError(f"{args.file} holds no questions or conversations.")
    service = _service(config)
    reports = []
    if questions:
        reports.append(("questions", evaluate(service, questions, k=args.top_k)))
    if dialogs:
        reports.append(("conversations", evaluate_dialogs(service, dialogs, k=args.top_k)))
    if args.json:
        data = {name: report.as_dict() for name, report in reports}
        print(json.dumps(data if len(data) > 1 else next(iter(data.values())), ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(report.describe() for _, report in reports))
    return 0


def cmd_chat(config: Config, args: argparse.Namespace) -> int:
    """A terminal conversation over the same answers as the Telegram bot."""
    service = _service(config)
    print("双减问答助手 — 请输入您的问题(例如:课后服务怎么收费?),可以接着追问(如“那涪陵呢”),输入 new 重新开始,输入 q 退出。")
    state = None
    while True:
        try:
            question = input("\n您的问题> ").strip()
        except EOFError:
            print()
            return 0
        if question.lower() in {"q", "quit", "exit", "退出"}:
            return 0
        if question.lower() in {"new", "/start", "重新开始"}:
            state = None
            print("好的,我们重新开始。")
            continue
        if question:
            answer = service.ask(question, state=state)
            state = answer.state
            print(answer.text, flush=True)


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    """Run the Telegram bot until stopped (and the web console beside it when enabled)."""
    from bot.telegram.app import run_bot

    if not config.console.enabled:
        return run_bot(config)
    from bot.console.app import ConsoleThread, build_console

    started: list[ConsoleThread] = []

    def beside(service, store) -> None:  # noqa: ANN001 - Service, Store
        settings = config.console
        started.append(ConsoleThread(build_console(config, service, store), settings.host, settings.port).start())
        log.warning("web console on %s (admins: send /console to the bot for a login link)", settings.base_url)

    try:
        return run_bot(config, beside=beside)
    finally:
        for thread in started:
            thread.stop()


def cmd_console(config: Config, args: argparse.Namespace) -> int:
    """Serve the web console; print a one-time login link for an admin first."""
    import dataclasses

    from bot.console.app import build_console, serve
    from bot.storage.logins import LINK_MINUTES
    from bot.storage.store import Store

    settings = dataclasses.replace(config.console, host=args.host or config.console.host, port=args.port or config.console.port)
    config = dataclasses.replace(config, console=settings)
    admins = sorted(config.telegram.admin_ids)
    user = args.user if args.user is not None else (admins[0] if admins else None)
    if user is None:
        raise UsageError(
            "no admin is configured, so nobody could log in to the console.",
            hint="Add your Telegram user id to [telegram] admin_ids in config.toml (or BOT_ADMIN_IDS).",
        )
    if user not in config.telegram.admin_ids | config.telegram.staff_ids:
        raise UsageError(f"user {user} is neither an admin nor staff in config.toml.", hint="Use --user with an id from [telegram] admin_ids or staff_ids.")
    store = Store.from_settings(config.storage)
    if config.storage.url:  # rebuilds from this console are locked, published and followed like the bot's
        from bot.cluster import IndexCluster
        from bot.service import Service

        service = Service.from_config(config, build_if_missing=True, cluster=IndexCluster(config, store.db))  # type: ignore[arg-type]
        service.follow()
    else:
        service = _service(config)
    app = build_console(config, service, store)
    console = app.state.console
    link = console.login_url(console.logins.mint_link(user, "管理员" if user in config.telegram.admin_ids else "工作人员"))
    print(f"web console: {settings.base_url}  (listening on {settings.host}:{settings.port}; Ctrl-C stops it)")
    print(f"login link for user {user}, valid {LINK_MINUTES} minutes, works once:\n{link}", flush=True)
    try:
        serve(app, settings.host, settings.port)
    finally:
        store.close()
    return 0
