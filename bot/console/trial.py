"""Try a question (the retrieval test): the production pipeline and config, shown step by
step. `Service.trace` runs `Service.ask` once and gives, beside the answer, the analysed
question, the dense, keyword and fused rankings and the calibration features; the answer
is rendered by the same `render_answer` Telegram uses. Each test is kept (`bot.storage.reports`) to run again.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import Response

from bot.answering.confidence import FEATURES
from bot.console.auth import console_of, requires
from bot.records import Answer
from bot.roles import Role
from bot.storage import reports
from bot.telegram.render import clean_user_text, render_answer

MAX_QUESTION = 1000  # as in Telegram
SHOWN = 10  # rows of each ranking


@requires(Role.ADMIN)
def show(request: Request) -> Response:
    """GET /try: the form (prefilled from ?q=), the regions, the recent tests."""
    console = console_of(request)
    return console.page(request, "trial.html", _context(console, request.query_params.get("q", "")[:MAX_QUESTION], request.query_params.get("region", ""), None))


@requires(Role.ADMIN)
def run(request: Request) -> Response:
    """POST /try: run the test; htmx gets the result panel, a plain form post the whole page."""
    console = console_of(request)
    form = request.state.form
    question = " ".join(clean_user_text(str(form.get("q", ""))).split())[:MAX_QUESTION]
    region = str(form.get("region", "")) or None
    if region not in console.service.regions():
        region = None
    result = test_question(console, question, region) if question else None
    if result is not None:
        answer = result["answer"]
        reports.record_trial(console.store, request.state.session.user_id, question, region, answer.abstained, answer.confidence)
    context = _context(console, question, region or "", result)
    if request.headers.get("hx-request"):
        return console.templates.TemplateResponse(request, "_trial_result.html", context)
    return console.page(request, "trial.html", context)


def test_question(console, question: str, region: str | None) -> dict:  # noqa: ANN001 - Console (import cycle)
    """Everything the result panel shows, from the production service."""
    service = console.service
    answer, ranking = service.trace(question, region=region)  # one pass, exactly what parents get
    probability = service.calibration.probability(ranking.features) if ranking.features else 0.0
    return {
        "query": ranking.query,
        "dense": ranking.dense[:SHOWN],
        "keyword": ranking.keyword[:SHOWN],
        "fused": ranking.reports[:SHOWN],
        "features": [(name, ranking.features.get(name, 0.0), service.calibration.weights.get(name, 0.0)) for name in FEATURES],
        "bias": service.calibration.bias,
        "fitted_on": service.calibration.fitted_on,
        "probability": probability,
        "threshold": service.config.retrieval.abstain_threshold,
        "answer": answer,
        "kind": outcome(answer),
        "messages": render_answer(answer),  # Telegram HTML: every piece of text escaped by the renderer
        "lead_id": answer.quotes[0].passage.id if answer.quotes else None,
        "plain_lead": html.unescape(answer.quotes[0].text) if answer.quotes else "",
    }


def outcome(answer: Answer) -> str:
    """How the parent was answered, in the console's words."""
    if answer.faq is not None:
        return "常见问题"
    if answer.abstained:
        return "未能回答"
    return "不确定,给出最接近的内容" if answer.tentative else "引用报告"


def _context(console, question: str, region: str, result: dict | None) -> dict:  # noqa: ANN001
    return {
        "question": question,
        "region": region,
        "regions": console.service.regions(),
        "result": result,
        "history": reports.recent_trials(console.store, 15),
        "max_question": MAX_QUESTION,
    }
