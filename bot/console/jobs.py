"""A rebuild started from the console: `Service.rebuild` in a thread, its progress and
outcome kept for the page and its server-sent events. One at a time; a rebuild already
running elsewhere (Telegram's /reindex, `index build`) is reported, never queued."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace

from bot.errors import BotError, BuildBusyError
from bot.index.build import BuildReport
from bot.service import Service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RebuildState:
    status: str = "idle"  # idle, running, done, failed
    done: int = 0
    total: int = 0
    started: float = 0.0
    finished: float = 0.0
    by: str = ""
    report: BuildReport | None = None
    error: str = ""
    version: int = 0  # bumped on every change (the event stream sends only changes)

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


@dataclass
class Rebuilds:
    service: Service
    _state: RebuildState = field(default_factory=RebuildState)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def state(self) -> RebuildState:
        with self._lock:
            return self._state

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._state = replace(self._state, version=self._state.version + 1, **changes)

    def start(self, by: str) -> bool:
        """Start a rebuild in the background; False when one started here is still running."""
        with self._lock:
            if self._state.running:
                return False
            self._state = RebuildState("running", started=time.time(), by=by, version=self._state.version + 1)
        threading.Thread(target=self._run, name="console-rebuild", daemon=True).start()
        return True

    def _run(self) -> None:
        try:
            report = self.service.rebuild(progress=lambda done, total: self._set(done=done, total=total))
        except BuildBusyError:
            self._set(status="failed", finished=time.time(), error="另一个重建(Telegram 的 /reindex 或命令行)正在进行,请稍后再试。旧索引继续服务。")
        except BotError as exc:
            log.error("console rebuild failed: %s", exc)
            self._set(status="failed", finished=time.time(), error=f"{exc}(旧索引继续服务)")
        except Exception as exc:  # the thread must always record an outcome
            log.exception("console rebuild failed unexpectedly")
            self._set(status="failed", finished=time.time(), error=f"意外错误:{type(exc).__name__}(详见日志),旧索引继续服务。")
        else:
            self._set(status="done", finished=time.time(), report=report)
