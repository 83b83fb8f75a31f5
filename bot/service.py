"""The one place that serves the pipeline: index + embedder + retrievers + fusion + answers.

`Service.ask` is synchronous and thread-safe; the Telegram side calls it off the event
loop. Everything that depends on the index lives in one `Pipeline` object, so a
rebuild swaps a new pipeline in with a single assignment while questions go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot import metrics
from bot.answering.confidence import Calibration, features, load_calibration
from bot.answering.dialog import Completion, topic_core
from bot.answering.fusion import merge_candidates
from bot.answering.notice import Notice, NoticeAnswer, asks_about_fees, compare_fees, question_for, read_notice
from bot.answering.places import Gazetteer
from bot.answering.query import Query, is_acknowledgement, strip_filler
from bot.answering.rereading import answers_better, second_reading
from bot.cluster import Follower, IndexCluster
from bot.config import Config
from bot.errors import BuildBusyError, ImageError, IndexMissingError, StorageError
from bot.index.build import BuildReport, build_index, roll_back
from bot.index.embedder import Embedder, make_embedder
from bot.index.status import corpus_changed
from bot.index.store import LoadedIndex, load_index, read_current
from bot.ocr import read_image
from bot.ocr.engine import OcrEngine, shared_engine
from bot.ocr.images import ImageLimits
from bot.pipeline import Pipeline, build_pipeline
from bot.records import Answer, DialogState, Hit
from bot.text import detect_script, normalize, to_script, to_simplified, to_traditional

log = logging.getLogger(__name__)

# Further excerpts kept for the Telegram "more" button.
EXTRA_HITS = 7
# Report passages searched for fee figures to set beside a fee notice's amounts.
FEE_PASSAGES = 10
FEE_SEARCH = {"课后服务": "课后服务费 收费标准 元/课时", "校外培训": "校外培训 收费 预收费 监管"}
FIRST_BUILD_WAIT = 900.0  # seconds an instance waits for another machine's first build


@dataclass(frozen=True)
class Ranking:
    """How one question was searched: the analysed query, each ranking, the features."""

    query: Query
    dense: list[Hit]
    keyword: list[Hit]
    reports: list[Hit]  # fused, report passages only (FAQ entries are matched apart)
    features: dict[str, float]
    vector: np.ndarray | None = None  # the question's embedding


class Service:
    """Answers questions from the current index; rebuilds and reloads it on request."""

    def __init__(
        self,
        config: Config,
        index: LoadedIndex,
        embedder: Embedder,
        calibration: Calibration | None = None,
        ocr: OcrEngine | None = None,
        cluster: IndexCluster | None = None,
    ) -> None:
        self.config = config
        self.embedder = embedder
        self._ocr = ocr  # loaded on the first photo
        self.cluster = cluster  # PostgreSQL: builds shared with the other instances
        self._follower: Follower | None = None
        self.calibration = calibration or load_calibration(embedder.model_id)
        self.hotlines = config.hotlines
        self._rebuild_lock = threading.Lock()
        self.gazetteer = Gazetteer(common=index.tokenizer.frequency)  # read once, kept across reloads
        self.pipeline = self._pipeline(index)

    @classmethod
    def from_config(cls, config: Config, *, build_if_missing: bool = True, warn: Callable[[str], None] | None = None, cluster: IndexCluster | None = None) -> Service:
        """Load the current index (building one first when there is none yet). With a
        `cluster`, the newest published build is fetched first, and the first instance
        shares the build it has."""
        warn = warn or log.warning
        embedder = make_embedder(config.embedder)
        if cluster is not None:
            _fetch_published(cluster, embedder, warn)
        try:
            index = load_index(config.index)
        except IndexMissingError:
            if not build_if_missing:
                raise
            warn("no index has been built yet: building one now (this happens once).")
            if cluster is not None:
                cluster.rebuild(embedder=embedder)
            else:
                build_index(config, embedder=embedder, progress=False)
            index = load_index(config.index)
        if cluster is not None:
            cluster.publish_if_none()
        if corpus_changed(config, index.manifest):  # not index_status(): that would load the index a second time
            warn("corpus/ changed since the index was built; answering from the existing index. Run `python -m bot index build` to include the changes.")
        return cls(config, index, embedder, cluster=cluster)

    def _pipeline(self, index: LoadedIndex) -> Pipeline:
        return build_pipeline(self.config, index, self.embedder, self.calibration, self.gazetteer)

    def regions(self) -> list[str]:
        """Districts the reports come from, for the parent's /region choice."""
        return sorted({p.region for p in self.pipeline.index.ordered if p.kind == "report" and p.region})

    def ask(
        self, question: str, *, region: str | None = None, top_k: int | None = None, state: DialogState | None = None, now: float | None = None
    ) -> Answer:
        """Answer one message: quote the reports, or say honestly that they don't cover it.

        `state` is what the chat remembers of its last question: an elliptical message
        ("那涪陵呢") is completed from it. The answer carries the state to keep next."""
        return self.trace(question, region=region, top_k=top_k, state=state, now=now)[0]

    def trace(
        self, question: str, *, region: str | None = None, top_k: int | None = None, state: DialogState | None = None, now: float | None = None
    ) -> tuple[Answer, Ranking]:
        """`ask`, with how the question was searched (the console's retrieval test): one pass."""
        p = self.pipeline  # one consistent snapshot even if a rebuild swaps it meanwhile
        now = time.time() if now is None else now
        text = p.analyzer.terms.fix_typos(strip_filler(normalize(question)))
        completion = p.followups.complete(text, state, now)
        answer, ranking = self._answer(p, question, completion, region, top_k, state, now)
        other = second_reading(p.followups, text, state, now, completion) if answer.abstained or answer.tentative else None
        if other is not None:  # the reports do not answer this reading of a follow-up: try the other one
            second = self._answer(p, question, other, region, top_k, state, now)
            if answers_better(second[0], answer):
                return second
        return answer, ranking

    def _answer(
        self, p: Pipeline, question: str, completion: Completion, region: str | None, top_k: int | None, state: DialogState | None, now: float
    ) -> tuple[Answer, Ranking]:
        """The answer to `question` read as `completion`, and how it was searched."""
        k = top_k or self.config.retrieval.top_k
        fresh = p.followups.fresh(state, now)
        if completion.borrowed == "whose" and fresh is not None:  # "这是哪里的规定": no search, the last answer's source
            query = p.analyzer.analyze(question)
            answer = p.composer.source(query, fresh.answered)
            return replace(answer, question=question, state=fresh), Ranking(query, [], [], [], {})
        searched = completion.text if completion.borrowed else question
        script = _script(question, fresh)
        ranking = self._rank(p, searched, region, k, script=script, context=completion.context)
        query, reports = ranking.query, ranking.reports
        if completion.detail:
            query = replace(query, detail=True)
        thanks = is_acknowledgement(question)
        if not query.text or thanks:
            answer = p.composer.thank(query) if thanks else p.composer.greet(query)
            return replace(answer, question=question, state=fresh), ranking
        ranked = tuple(reports[:k])
        faq = self._faq_match(ranking.dense)
        if query.scope.named and (not topic_core(query.topic) or completion.introduces):
            answer = p.decider.place_only(query)
        elif faq is not None:
            answer = p.composer.from_faq(query, faq.passage, ranked, self.calibration.probability(ranking.features))
        else:
            answer = p.decider.answer(query, reports, ranking.dense, ranking.features, k, swapped=completion.borrowed == "place")
        answered = answer.quotes[0].passage.region if answer.quotes and not answer.abstained else ""
        remembered = replace(p.followups.remember(completion, query.topic, now), script=query.script, answered=answered)
        return replace(answer, question=question, effective_question=query.text, state=remembered), ranking

    def explain(self, question: str, *, region: str | None = None) -> Ranking:
        """The analysed question, both rankings and the calibration features (for tuning)."""
        return self._rank(self.pipeline, question, region, self.config.retrieval.top_k)

    def _rank(self, p: Pipeline, question: str, region: str | None, k: int, script: str | None = None, context: str = "") -> Ranking:
        query = p.analyzer.analyze(question, region=region, context=context)
        if script and script != query.script:
            query = replace(query, script=script)  # a completed follow-up keeps the parent's script
        if not query.text:
            return Ranking(query, [], [], [], {})
        vector = p.dense.embed(query)
        dense = p.dense.run(query, vector=vector)
        keyword = p.keyword.run(query)
        seen = {h.passage.id for h in dense}
        rescored = p.dense.score([h.passage.id for h in keyword if h.passage.id not in seen], vector)
        candidates = merge_candidates(dense, keyword, rescored)
        fused = p.fuser.run(query, candidates, top_k=max(k, 1 + self.config.answer.max_excerpts + EXTRA_HITS), regions=query.regions)
        reports = [h for h in fused if h.passage.kind == "report"]
        values = features(query, reports, dense, p.stats)
        values["topic_margin"] = self.calibration.topic_margin(vector)
        return Ranking(query, dense, keyword, reports, values, vector)

    def _faq_match(self, dense: list[Hit]) -> Hit | None:
        """The best FAQ entry when its question is close enough to the parent's."""
        for hit in dense:
            if hit.passage.kind == "faq":
                return hit if (hit.dense or 0.0) >= self.config.retrieval.faq_threshold else None
        return None

    @property
    def ocr(self) -> OcrEngine:
        """The OCR engine (the process's shared one, threads capped by `[ocr] threads`)."""
        if self._ocr is None:
            self._ocr = shared_engine(self.config.ocr.threads, self.config.ocr.max_side, self.config.ocr.detect_side)
        return self._ocr

    def read_notice(self, image: bytes) -> Notice:
        """Read a parent's photo or screenshot (CPU heavy: call it off the event loop). Raises
        ImageError (kind "no_text" when nothing readable is on it) or OcrError."""
        cfg = self.config.ocr
        limits = ImageLimits(max_pixels=int(cfg.max_megapixels * 1e6), max_side=cfg.max_side, max_frames=1)
        page = read_image(image, self.ocr, limits)[0]
        rows = [row.text for row in page.rows()]
        if sum(1 for ch in "".join(rows) if ch.isalnum()) < 2:
            raise ImageError("no_text", "no readable text in the image")
        return read_notice(rows, page.confidence)

    def answer_notice(self, notice: Notice, caption: str = "", *, region: str | None = None, script: str | None = None) -> NoticeAnswer:
        """Answer the caption (or the question the notice raises); for a fee notice, set its
        amounts beside the fee figures the reports give. `script`: the parent's, for an inferred question."""
        question, inferred = question_for(notice, caption)
        if inferred and question and script in ("simplified", "traditional"):
            question = to_script(question, script)  # type: ignore[arg-type]
        answer = self.ask(question, region=region) if question else None
        if answer is not None and notice.kind == "training" and not answer.abstained:
            answer = replace(answer, hotlines=self.hotlines)  # an ad a parent doubts: every reporting channel
        comparisons: tuple = ()
        others: tuple = ()
        if notice.kind == "fee" and any(a.per for a in notice.amounts) and asks_about_fees(caption):
            p = self.pipeline
            search = FEE_SEARCH.get(notice.topic, "收费标准 元/课时")
            comparisons, others = compare_fees(notice, self._rank(p, search, region, FEE_PASSAGES).reports[:FEE_PASSAGES])
        return NoticeAnswer(notice, caption.strip() or question, inferred, answer, comparisons, others)

    def reload(self) -> None:
        """Load the current index from disk; on failure the old one keeps serving."""
        self.pipeline = self._pipeline(load_index(self.config.index))

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """Rebuild the index and swap it in without a restart; one rebuild at a time (on all
        machines, with a cluster: the build is then published and every instance switches)."""
        if not self._rebuild_lock.acquire(blocking=False):
            raise BuildBusyError("an index rebuild is already running.", hint="Wait for it to finish.")
        try:
            if self.cluster is not None:
                report = self.cluster.rebuild(embedder=self.embedder, progress=progress or False)
            else:
                report = build_index(self.config, embedder=self.embedder, progress=progress or False)
                metrics.BUILD_SECONDS.observe(report.seconds)
            self.reload()
            return report
        finally:
            self._rebuild_lock.release()

    # -- several instances (PostgreSQL) ----------------------------------------------------

    def share_files(self, paths: list[Path]) -> None:
        """Corpus files saved here (an upload, an approved FAQ entry) go to the shared corpus
        at once, so the next rebuild on any machine includes them."""
        if self.cluster is None:
            return
        try:
            self.cluster.push_files(paths)
        except (StorageError, OSError, ValueError) as exc:
            log.error("could not share %s with the other instances (%s); a rebuild on this machine will", ", ".join(p.name for p in paths), exc)

    def follow(self) -> None:
        """Switch to every build published by another instance, without a restart."""
        if self.cluster is None or self._follower is not None:
            return
        self._follower = Follower(self.cluster, self._switch_to_published, self.config.index.poll_published_seconds)
        self._follower.start()

    def stop_following(self) -> None:
        if self._follower is not None:
            self._follower.stop()
            self._follower = None

    def _switch_to_published(self) -> None:
        assert self.cluster is not None
        build_id = self.cluster.ensure_current(self.embedder.model_id)
        if build_id is not None and build_id != self.pipeline.index.build_id:
            self.reload()
            metrics.INDEX_SWAPS.inc()
            log.info("now answering from the published index build %s", build_id)


    def rollback(self) -> str:
        """Serve the build made before the current one again (see bot.index.build.roll_back)."""
        if not self._rebuild_lock.acquire(blocking=False):
            raise BuildBusyError("an index rebuild is running.", hint="Wait for it to finish.")
        try:
            build_id = roll_back(self.config.index.dir)
            self.reload()
            if self.cluster is not None:  # every instance goes back too (it is published again as the newest)
                self.cluster.publish(self.pipeline.index.path)
            return build_id
        finally:
            self._rebuild_lock.release()

def _fetch_published(cluster: IndexCluster, embedder: Embedder, warn: Callable[[str], None]) -> None:
    """Start from the newest published build; wait while another machine builds the first one."""
    deadline = time.monotonic() + FIRST_BUILD_WAIT
    while True:
        try:
            if cluster.ensure_current(embedder.model_id) is not None or read_current(cluster.index_dir) is not None:
                return
            with cluster.build_lock():
                return  # nobody is building: this instance builds (or shares) its own
        except BuildBusyError:
            if time.monotonic() > deadline:
                raise
            warn("another machine is building the first index; waiting for it to be published.")
            time.sleep(2.0)


def _script(question: str, state: DialogState | None) -> str:
    """The message's script; one written the same in both ("那涪陵呢") keeps the conversation's."""
    if state is not None and to_simplified(question) == question == to_traditional(question):
        return state.script
    return detect_script(question)
