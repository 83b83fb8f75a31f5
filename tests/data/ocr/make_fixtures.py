"""Make the OCR test images from known text (run by hand; the images are committed).

    apt-get install -y fonts-wqy-zenhei      # the CJK font
    python tests/data/ocr/make_fixtures.py   # rewrites the images and their .txt next to this file
    python tests/data/ocr/make_fixtures.py fee_notice_term   # only the fixtures named (no suffix)

Each image `<name>.<ext>` gets `<name>.txt`, the text drawn on it, one line per row, for
the tests and for `bench/bench_ocr.py` (character accuracy). Everything is seeded, so a
rerun with the same Pillow and font gives the same pictures.

- fee_notice_photo.jpg     a school fee notice photographed: paper on a desk, perspective,
                           uneven light, blur, sensor noise, JPEG at quality 60 (1200×1600)
- fee_notice_term.jpg      another school's fee notice photographed the same way (1200×1600):
                           per-term and per-day amounts (六百元/学期, 十元/天, 50元/学期)
- fee_screenshot.png       a phone screenshot (1080×2400) of a fee notice in a parents' group
                           chat, amounts in Chinese numerals
- homework_screenshot.png  a phone screenshot (1080×2400) of a homework list
- training_ad.jpg          a tutoring centre's flyer photographed (weekend subject classes)
- no_text.png              a drawing without any text
- scanned_report.pdf       a two-page report scanned to images, no text layer (150 dpi, A4)
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

FEE_NOTICE = [
    "关于收取课后服务费的通知",
    "各位家长:",
    "根据区教育局有关文件,本学期课后服务",
    "按每生每课时3元收取,每月按20课时计算,",
    "合计每生每月60元。",
    "兴趣社团另收材料费一百二十元/学期。",
    "请于9月15日前通过学校缴费平台缴纳。",
    "家庭经济困难学生可申请减免。",
    "阳光小学",
    "2024年9月2日",
]
FEE_TERM_NOTICE = [
    "课后延时服务收费告家长书",
    "尊敬的各位家长：",
    "根据上级有关文件精神，经学校研究决定，",
    "本学期课后延时服务按每生每学期六百元收取，",
    "午托服务每生每天十元，",
    "学习资料费每生每学期50元。",
    "以上服务均为自愿参加，请家长填写回执。",
    "费用请于3月8日前交至班主任处。",
    "明德小学",
    "2024年2月26日",
]
FEE_CHAT = [
    "三年级2班家长群(45)",
    "王老师",
    "各位家长好,下学期托管收费如下:",
    "午托每月三百五十元,含午餐。",
    "晚托每次十五元,按实际天数收取。",
    "周末托管班每课时四十元。",
    "请在本周五前交给班主任。",
    "收到",
    "好的,谢谢王老师",
]
HOMEWORK_CHAT = [
    "四年级1班家长群(52)",
    "李老师",
    "今日作业:",
    "1.语文:抄写第12课生字,每个写3遍",
    "2.语文:背诵古诗《山行》",
    "3.数学:练习册第35页至第37页",
    "4.数学:口算本第8页",
    "5.英语:听读Unit 3课文20分钟",
    "6.英语:抄写单词两遍",
    "请家长检查后签字,明天早上交。",
    "收到",
]
TRAINING_AD = [
    "启航教育 秋季招生",
    "小学语文 数学 英语",
    "同步提高班 培优冲刺班",
    "周六 周日全天上课",
    "寒假集训营火热报名中",
    "每课时150元,报20次送2次",
    "名师小班 提分快",
]
REPORT_PAGES = [
    [
        "示例区“双减”工作情况报告",
        "一、课后服务工作开展情况",
        "全区义务教育学校课后服务实现全覆盖,每周5天开展,",
        "每天不少于2小时,结束时间原则上不早于当地正常下班时间。",
        "课后服务费按不高于每生每课时2元的标准收取,",
        "家庭经济困难学生免收,学校不得以课后服务名义乱收费。",
        "二、作业管理情况",
        "小学一、二年级不布置家庭书面作业,三至六年级书面作业",
        "平均完成时间不超过60分钟,初中不超过90分钟。",
    ],
    [
        "三、校外培训机构治理情况",
        "全区学科类培训机构压减率达到100%,严禁在周末、",
        "节假日和寒暑假组织学科类培训,发现违规培训行为,",
        "可拨打区教育局举报电话或登录全国校外教育培训监管",
        "与服务综合平台反映。",
        "四、下一步工作",
        "持续巩固“双减”成果,加强校外培训日常监管,",
        "推动课后服务提质增效。",
    ],
]


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), size)


def write_text(name: str, lines: list[str]) -> None:
    (HERE / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def paper(
    lines: list[str], size: tuple[int, int], text_size: int, title_size: int, margin: int, spacing: float = 1.7, signed: tuple[str, ...] = ("阳光小学",)
) -> Image.Image:
    """Black text on slightly grey paper; the first line is a centred title, `signed` lines
    (the school) and the date are set flush right."""
    page = Image.new("RGB", size, (246, 244, 238))
    draw = ImageDraw.Draw(page)
    y = margin
    for n, line in enumerate(lines):
        f = font(title_size if n == 0 else text_size)
        width = draw.textlength(line, font=f)
        x = (size[0] - width) / 2 if n == 0 else margin
        if n > 0 and line in signed or line.startswith("2024年"):
            x = size[0] - margin - width
        draw.text((x, y), line, font=f, fill=(25, 25, 30))
        y += int((title_size if n == 0 else text_size) * spacing)
    return page


def perspective_coefficients(source: list[tuple[float, float]], target: list[tuple[float, float]]) -> list[float]:
    """PIL PERSPECTIVE coefficients mapping `target` corners (output) to `source` corners (input)."""
    rows = []
    for (x, y), (u, v) in zip(target, source):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array([c for point in source for c in point], dtype=float)
    return np.linalg.solve(a, b).tolist()


def photograph(page: Image.Image, out_size: tuple[int, int], corners: list[tuple[float, float]], seed: int) -> Image.Image:
    """The page lying on a desk, photographed at an angle: perspective, light falloff, blur, noise."""
    rng = np.random.default_rng(seed)
    w, h = page.size
    coeffs = perspective_coefficients([(0, 0), (w, 0), (w, h), (0, h)], corners)
    warped = page.transform(out_size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=(92, 70, 52))
    mask = Image.new("L", page.size, 255).transform(out_size, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=0)
    desk = Image.new("RGB", out_size, (92, 70, 52))
    photo = Image.composite(warped, desk, mask)
    pixels = np.asarray(photo, dtype=np.float32)
    yy, xx = np.mgrid[0 : out_size[1], 0 : out_size[0]]
    light = 1.0 - 0.22 * ((xx / out_size[0] - 0.2) ** 2 + (yy / out_size[1] - 0.15) ** 2)
    pixels = pixels * light[..., None]
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.1))
    noisy = np.asarray(photo, dtype=np.float32) + rng.normal(0, 7, (out_size[1], out_size[0], 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def phone_chat(lines: list[str], seed: int) -> Image.Image:
    """A 1080×2400 chat screenshot: status bar, group title, a teacher's bubble, two replies."""
    rng = np.random.default_rng(seed)
    shot = Image.new("RGB", (1080, 2400), (237, 237, 237))
    draw = ImageDraw.Draw(shot)
    draw.rectangle((0, 0, 1080, 250), fill=(247, 247, 247))
    draw.text((60, 40), "9:41", font=font(40), fill=(0, 0, 0))
    title = lines[0]
    draw.text(((1080 - draw.textlength(title, font=font(48))) / 2, 150), title, font=font(48), fill=(0, 0, 0))
    y = 330
    draw.text((190, y), lines[1], font=font(36), fill=(120, 120, 120))
    y += 60
    body = lines[2:-2]
    height = 60 + 72 * len(body)
    draw.rounded_rectangle((170, y, 1010, y + height), 18, fill=(255, 255, 255))
    draw.rounded_rectangle((40, y - 60, 150, y + 50), 12, fill=(int(rng.integers(60, 200)), 140, 200))
    for n, line in enumerate(body):
        draw.text((205, y + 30 + 72 * n), line, font=font(44), fill=(20, 20, 20))
    y += height + 90
    for reply in lines[-2:]:
        width = draw.textlength(reply, font=font(44))
        draw.rounded_rectangle((900 - width - 60, y, 920, y + 110), 18, fill=(149, 236, 105))
        draw.text((900 - width - 30, y + 30), reply, font=font(44), fill=(20, 20, 20))
        draw.rounded_rectangle((940, y, 1040, y + 100), 12, fill=(200, 160, 90))
        y += 170
    return shot


def no_text() -> Image.Image:
    """Sky, sun, hills and a house: shapes only."""
    image = Image.new("RGB", (900, 700), (150, 200, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((650, 60, 800, 210), fill=(250, 210, 60))
    draw.polygon([(0, 520), (300, 300), (600, 520)], fill=(80, 150, 80))
    draw.polygon([(350, 520), (650, 330), (900, 520)], fill=(60, 130, 70))
    draw.rectangle((0, 520, 900, 700), fill=(110, 170, 90))
    draw.rectangle((380, 430, 520, 560), fill=(220, 120, 90))
    draw.polygon([(370, 430), (450, 370), (530, 430)], fill=(150, 60, 50))
    return image


def scanned_pdf(pages: list[list[str]], seed: int) -> bytes:
    """Pages rendered at 150 dpi on A4, grey and a little noisy like a scanner, saved as image-only PDF."""
    rng = np.random.default_rng(seed)
    images = []
    for lines in pages:
        page = Image.new("L", (1240, 1754), 250)
        draw = ImageDraw.Draw(page)
        y = 150
        for n, line in enumerate(lines):
            size = 40 if n == 0 and "报告" in line else 30
            x = (1240 - draw.textlength(line, font=font(size))) / 2 if size == 40 else 130
            draw.text((x, y), line, font=font(size), fill=30)
            y += int(size * 1.9)
        pixels = np.asarray(page.rotate(0.4, fillcolor=250, resample=Image.Resampling.BICUBIC), dtype=np.float32)
        pixels += rng.normal(0, 6, pixels.shape)
        images.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB"))
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=150.0, save_all=True, append_images=images[1:], quality=70)
    return buffer.getvalue()


def make_fee_notice_photo() -> None:
    notice = paper(FEE_NOTICE, (1000, 1250), 40, 50, 70)
    photo = photograph(notice, (1200, 1600), [(150, 170), (1080, 120), (1130, 1420), (90, 1470)], seed=1)
    (HERE / "fee_notice_photo.jpg").write_bytes(jpeg(photo, 60))
    write_text("fee_notice_photo", FEE_NOTICE)


def make_fee_notice_term() -> None:
    notice = paper(FEE_TERM_NOTICE, (1000, 1250), 40, 50, 70, signed=("明德小学",))
    photo = photograph(notice, (1200, 1600), [(120, 140), (1060, 175), (1110, 1460), (110, 1420)], seed=6)
    (HERE / "fee_notice_term.jpg").write_bytes(jpeg(photo, 60))
    write_text("fee_notice_term", FEE_TERM_NOTICE)


def make_fee_screenshot() -> None:
    phone_chat(FEE_CHAT, seed=2).save(HERE / "fee_screenshot.png", optimize=True)
    write_text("fee_screenshot", ["9:41", *FEE_CHAT])


def make_homework_screenshot() -> None:
    phone_chat(HOMEWORK_CHAT, seed=3).save(HERE / "homework_screenshot.png", optimize=True)
    write_text("homework_screenshot", ["9:41", *HOMEWORK_CHAT])


def make_training_ad() -> None:
    flyer = paper(TRAINING_AD, (900, 900), 52, 64, 80, spacing=1.8)
    ad = photograph(flyer, (1000, 1000), [(80, 60), (930, 110), (900, 950), (60, 900)], seed=4)
    (HERE / "training_ad.jpg").write_bytes(jpeg(ad, 65))
    write_text("training_ad", TRAINING_AD)


def make_no_text() -> None:
    no_text().save(HERE / "no_text.png", optimize=True)


def make_scanned_report() -> None:
    (HERE / "scanned_report.pdf").write_bytes(scanned_pdf(REPORT_PAGES, seed=5))
    write_text("scanned_report", [line for page in REPORT_PAGES for line in page])


MAKERS = {
    "fee_notice_photo": make_fee_notice_photo,
    "fee_notice_term": make_fee_notice_term,
    "fee_screenshot": make_fee_screenshot,
    "homework_screenshot": make_homework_screenshot,
    "training_ad": make_training_ad,
    "no_text": make_no_text,
    "scanned_report": make_scanned_report,
}


def main(names: list[str]) -> int:
    if not FONT.is_file():
        print(f"missing font {FONT}: apt-get install -y fonts-wqy-zenhei", file=sys.stderr)
        return 2
    unknown = [name for name in names if name not in MAKERS]
    if unknown:
        print(f"unknown fixture {', '.join(unknown)}; one of {', '.join(MAKERS)}", file=sys.stderr)
        return 2
    for name in names or list(MAKERS):
        MAKERS[name]()
    for path in sorted(HERE.iterdir()):
        if path.suffix != ".py" and (not names or path.stem in names):
            print(f"{path.name}: {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
