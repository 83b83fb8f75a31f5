"""OCR speed and accuracy per kind of image, and text questions' latency while OCR runs.

    python bench/bench_ocr.py [--config config.toml] [--rounds 3] [--seconds 30] [--rate 10] [--json]

1. Per image kind (phone screenshot 1080×2400, photographed notice, photographed flyer,
   scanned report page): median seconds to decode and read one image with the configured
   engine (`[ocr] threads`, after one warm-up read) and character accuracy against the text
   drawn on it. The committed fixtures (tests/data/ocr) are read, and, when the CJK font is
   installed (apt-get install -y fonts-wqy-zenhei), fresh images of OTHER notices rendered
   here with harsher photo effects, which no test or setting was tuned on (kind "… (new)").
2. Load: the bot's pools in this process (the answer pool of ANSWER_WORKERS threads, the
   one OCR thread) with OCR reading screenshots back to back while parents' questions from
   tests/data/*.jsonl arrive at --rate per second for --seconds; p50/p95/max seconds from a
   question's arrival to its answer, and the same without OCR for comparison.

Targets (issue 10): screenshot <= 3 s with >= 95 % characters right; photographed notice
>= 90 %; text questions' p95 < 1 s at 10 questions a second while OCR runs. Exit status 0
when all are met. Note the machine's load (printed) when quoting figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.evaluate import labelled_texts  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.ocr import read_image  # noqa: E402
from bot.ocr.accuracy import character_accuracy  # noqa: E402
from bot.ocr.engine import shared_engine  # noqa: E402
from bot.ocr.images import ImageLimits  # noqa: E402
from bot.service import Service  # noqa: E402
from bot.telegram.state import ANSWER_WORKERS, OCR_WORKERS  # noqa: E402

FIXTURES = ROOT / "tests" / "data" / "ocr"
KINDS = [
    ("screenshot 1080x2400", "fee_screenshot.png"),
    ("screenshot 1080x2400", "homework_screenshot.png"),
    ("photographed notice", "fee_notice_photo.jpg"),
    ("photographed notice", "fee_notice_term.jpg"),
    ("photographed flyer", "training_ad.jpg"),
]
NEW_NOTICE = [  # not in any test: a different school, other amounts, other wording
    "致家长的一封信",
    "尊敬的家长:",
    "本校将于下周一起开展延时托管服务,",
    "每天下午放学后至18:00,自愿参加。",
    "收费标准为每课时两元五角,每月约四十元,",
    "学期末据实结算,多退少补。",
    "如有疑问请联系班主任或教务处。",
    "星河路小学教务处",
]
NEW_CHAT = [
    "二年级5班家长交流群(48)",
    "陈老师",
    "家长们好,本周作业安排如下:",
    "周一:数学口算练习一页,约15分钟",
    "周二:语文阅读绘本并填写阅读卡",
    "周三:英语跟读课文三遍",
    "周四、周五:不布置书面作业",
    "收到",
    "谢谢陈老师",
]


def fresh_images(folder: Path) -> list[tuple[str, Path, str]]:
    """Other notices rendered now (the fixture generator's code, different text and harsher effects)."""
    sys.path.insert(0, str(FIXTURES))
    try:
        import make_fixtures as gen
    except ImportError:
        return []
    if not gen.FONT.is_file():
        return []
    page = gen.paper(NEW_NOTICE, (1000, 1150), 38, 48, 70)
    photo = gen.photograph(page, (1500, 2000), [(260, 240), (1330, 190), (1400, 1720), (170, 1800)], seed=11)
    photo = photo.filter(gen.ImageFilter.GaussianBlur(0.6))
    (folder / "new_photo.jpg").write_bytes(gen.jpeg(photo, 45))
    gen.phone_chat(NEW_CHAT, seed=12).save(folder / "new_chat.png")
    return [
        ("photographed notice (new)", folder / "new_photo.jpg", "\n".join(NEW_NOTICE)),
        ("screenshot 1080x2400 (new)", folder / "new_chat.png", "\n".join(["9:41", *NEW_CHAT])),
    ]


def scanned_pages() -> list[tuple[str, bytes, str]]:
    """The scanned report's pages as images, with the text of each page."""
    import io

    from pypdf import PdfReader

    sys.path.insert(0, str(FIXTURES))
    import make_fixtures as gen

    reader = PdfReader(io.BytesIO((FIXTURES / "scanned_report.pdf").read_bytes()))
    out = []
    for page, lines in zip(reader.pages, gen.REPORT_PAGES):
        buffer = io.BytesIO()
        page.images[0].image.save(buffer, "PNG")
        out.append(("scanned report page", buffer.getvalue(), "\n".join(lines)))
    return out


def measure_kinds(config, rounds: int, scratch: Path) -> list[dict]:
    engine = shared_engine(config.ocr.threads, config.ocr.max_side, config.ocr.detect_side)
    limits = ImageLimits(max_pixels=int(config.ocr.max_megapixels * 1e6), max_side=config.ocr.max_side)
    items = [(kind, (FIXTURES / name).read_bytes(), (FIXTURES / name).with_suffix(".txt").read_text(encoding="utf-8")) for kind, name in KINDS]
    items += scanned_pages()
    items += [(kind, path.read_bytes(), truth) for kind, path, truth in fresh_images(scratch)]
    read_image(items[0][1], engine, limits)  # warm-up: first inference allocates
    results = []
    for kind, data, truth in items:
        times, text = [], ""
        for _ in range(rounds):
            start = time.perf_counter()
            pages = read_image(data, engine, limits)
            times.append(time.perf_counter() - start)
            text = "\n".join(page.text for page in pages)
        results.append({"kind": kind, "seconds": statistics.median(times), "accuracy": character_accuracy(text, truth), "chars": len(truth)})
    return results


def questions() -> list[str]:
    return labelled_texts(ROOT / "tests" / "data")


def latency_under_load(service: Service, seconds: float, rate: float, ocr: bool) -> dict:
    """Questions at `rate`/s on the answer pool for `seconds`, OCR looping on its own thread meanwhile."""
    answer_pool = ThreadPoolExecutor(ANSWER_WORKERS, thread_name_prefix="answer")
    ocr_pool = ThreadPoolExecutor(OCR_WORKERS, thread_name_prefix="ocr")
    screenshot = (FIXTURES / "fee_screenshot.png").read_bytes()
    stop = threading.Event()
    photos = [0]

    def keep_reading() -> None:
        while not stop.is_set():
            service.read_notice(screenshot)
            photos[0] += 1

    reader = ocr_pool.submit(keep_reading) if ocr else None
    pool = questions()
    latencies: list[float] = []
    lock = threading.Lock()

    def ask(question: str, arrived: float) -> None:
        service.ask(question)
        with lock:
            latencies.append(time.perf_counter() - arrived)

    start = time.perf_counter()
    futures = []
    n = 0
    while (now := time.perf_counter()) - start < seconds:
        due = start + n / rate
        if now < due:
            time.sleep(due - now)
            continue
        futures.append(answer_pool.submit(ask, pool[n % len(pool)], due))
        n += 1
    for future in futures:
        future.result()
    stop.set()
    if reader is not None:
        reader.result()
    answer_pool.shutdown()
    ocr_pool.shutdown()
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"ocr": ocr, "questions": len(ordered), "p50": pct(0.5), "p95": pct(0.95), "max": ordered[-1], "photos_read": photos[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config.toml"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = load_config(args.config)
    load = os.getloadavg()
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        kinds = measure_kinds(config, args.rounds, Path(scratch))
    service = Service.from_config(config)
    service.read_notice((FIXTURES / "training_ad.jpg").read_bytes())  # engine loaded before timing
    service.ask("课后服务怎么收费?")
    loads = [latency_under_load(service, args.seconds, args.rate, ocr) for ocr in (False, True)]
    report = {"cores": os.cpu_count(), "load_before": [round(x, 2) for x in load], "load_after": [round(x, 2) for x in os.getloadavg()],
              "ocr_threads": config.ocr.threads, "kinds": kinds, "latency": loads}
    screenshot_ok = all(k["seconds"] <= 3.0 and k["accuracy"] >= 0.95 for k in kinds if k["kind"].startswith("screenshot"))
    photo_ok = all(k["accuracy"] >= 0.90 for k in kinds if k["kind"].startswith("photographed notice"))
    latency_ok = loads[1]["p95"] < 1.0
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"machine: {report['cores']} cores, load average {report['load_before']} before, {report['load_after']} after; OCR threads {config.ocr.threads}")
        print(f"{'kind':30} {'seconds':>8} {'accuracy':>9} {'chars':>6}")
        for k in kinds:
            print(f"{k['kind']:30} {k['seconds']:8.2f} {k['accuracy']:9.1%} {k['chars']:6d}")
        for row in loads:
            during = f"while OCR runs ({row['photos_read']} screenshots read)" if row["ocr"] else "without OCR"
            print(f"text questions at {args.rate:g}/s {during}: {row['questions']} answered, p50 {row['p50']:.3f} s, p95 {row['p95']:.3f} s, max {row['max']:.3f} s")
        print("targets: screenshot <= 3 s and >= 95 %: {}; photographed notice >= 90 %: {}; p95 < 1 s while OCR runs: {}".format(
            *("met" if ok else "MISSED" for ok in (screenshot_ok, photo_ok, latency_ok))))
    return 0 if screenshot_ok and photo_ok and latency_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
