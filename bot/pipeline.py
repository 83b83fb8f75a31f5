"""Everything that depends on one loaded index, wired from the config: analyser,
retrievers, fusion, composer, decider and follow-ups. `Service` swaps a new `Pipeline`
in with one assignment when the index is rebuilt or reloaded."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering.compose import AnswerComposer, AnswerStyle
from bot.answering.confidence import Calibration
from bot.answering.coverage import TermStatistics
from bot.answering.decide import Decider, Thresholds, channel_passages
from bot.answering.dialog import FollowUps
from bot.answering.fusion import FusionWeights, HybridFuser
from bot.answering.places import Gazetteer
from bot.answering.query import QueryAnalyzer
from bot.answering.regions import RegionCatalog
from bot.answering.retrieval import DenseRetriever, KeywordRetriever
from bot.answering.spelling import HomophoneCorrector
from bot.config import Config
from bot.corpus.loader import load_metadata
from bot.corpus.terms import Terms, load_terms
from bot.errors import IndexCorruptError
from bot.index.embedder import Embedder
from bot.index.store import LoadedIndex
from bot.text import normalize


@dataclass(frozen=True)
class Pipeline:
    """Everything that depends on one loaded index."""

    index: LoadedIndex
    analyzer: QueryAnalyzer
    dense: DenseRetriever
    keyword: KeywordRetriever
    fuser: HybridFuser
    composer: AnswerComposer
    stats: TermStatistics
    decider: Decider
    followups: FollowUps


def build_pipeline(cfg: Config, index: LoadedIndex, embedder: Embedder, calibration: Calibration, gazetteer: Gazetteer) -> Pipeline:
    """The pipeline over `index`; IndexCorruptError when it was built with another embedder."""
    built_with = index.manifest.get("embedder")
    if built_with != embedder.model_id:
        raise IndexCorruptError(
            str(cfg.index.dir),
            f"it was built with embedder {built_with!r} but the config selects {embedder.model_id!r}",
        )
    terms = load_terms(cfg.corpus.terms)
    regions = sorted({p.region for p in index.ordered if p.kind == "report" and p.region})
    stats = TermStatistics(index.ordered, commonness=index.tokenizer.commonness)
    reports = load_metadata(cfg.corpus.metadata).values()
    catalog = RegionCatalog.from_reports(gazetteer, reports, regions)
    places = {normalize(alias) for meta in reports for alias in meta.aliases}  # 付陵 typed for 涪陵
    analyzer = QueryAnalyzer(terms, index.tokenizer, regions, corrector=_corrector(terms, index, stats, places), catalog=catalog)
    composer = AnswerComposer(stats, cfg.hotlines, AnswerStyle(cfg.answer.max_lead_sentences, cfg.answer.max_excerpts))
    thresholds = Thresholds(cfg.retrieval.abstain_threshold, cfg.retrieval.tentative_threshold)
    return Pipeline(
        index=index,
        analyzer=analyzer,
        dense=DenseRetriever(index, embedder, top_k=cfg.retrieval.candidates),
        keyword=KeywordRetriever(index, top_k=cfg.retrieval.candidates),
        fuser=HybridFuser(
            stats,
            FusionWeights(cfg.retrieval.dense_weight, cfg.retrieval.keyword_weight, cfg.retrieval.coverage_weight),
            region_boost=cfg.retrieval.region_boost,
            dedup_threshold=cfg.retrieval.dedup_threshold,
        ),
        composer=composer,
        stats=stats,
        decider=Decider(composer, calibration, stats, catalog, channel_passages(index.ordered), thresholds, cfg.retrieval.region_boost, _region_texts(index)),
        followups=FollowUps(
            lambda text: catalog.scope(text), ttl=cfg.conversation.ttl_minutes * 60, words=index.tokenizer.content_words,
            known=lambda word: stats.df(word) > 0,
        ),
    )


def _headings_words(index: LoadedIndex) -> set[str]:
    """The words of the reports' section headings ("实施五大行动…"): the names parents ask about."""
    headings = {normalize(p.section) for p in index.ordered if p.kind == "report"}
    return {w for heading in headings for w in index.tokenizer.content_words(heading)}


def _corrector(terms: Terms, index: LoadedIndex, stats: TermStatistics, places: set[str]) -> HomophoneCorrector:
    """Fixes pinyin-input slips towards the domain vocabulary: the dictionary, the term table,
    the words of the reports' headings and the names of the reports' places."""
    vocabulary = [*terms.dictionary, *terms.expansions, *(t for targets in terms.expansions.values() for t in targets), *_headings_words(index), *places]
    corpus = "\n".join(p.search_text for p in index.ordered)
    sample = "\n".join(stats.texts) if len(stats.texts) < stats.total else None  # the word-weight sample of a large index
    return HomophoneCorrector(vocabulary, corpus, index.tokenizer.frequency, sample_text=sample)


def _region_texts(index: LoadedIndex) -> dict[str, str]:
    """Each region's report passages as one search text (for words only other reports have)."""
    texts: dict[str, list[str]] = {}
    for p in index.ordered:
        if p.kind == "report":
            texts.setdefault(p.region, []).append(p.search_text)
    return {region: "\n".join(parts) for region, parts in texts.items()}
