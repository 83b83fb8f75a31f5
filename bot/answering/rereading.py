"""A second reading of an elliptical follow-up, for when the first finds no answer.

"有没有人管" after "娃报了个兴趣班,一下交了好几千,怕机构关门" may mean the last subject's
new aspect (培训机构有没有人管) or the whole last question asked further (…怕机构关门,
有没有人管). The rules in `dialog` pick one; when the reports do not answer it (a refusal
or a tentative answer), the other reading is asked too, and kept if it is answered.
"""

from __future__ import annotations

from bot.answering.dialog import Completion, FollowUps, join, topic_core
from bot.records import Answer, DialogState


def second_reading(followups: FollowUps, text: str, state: DialogState | None, now: float, first: Completion) -> Completion | None:
    """The other reading of `text` (normalised, filler-free) than `first`, if it has one."""
    state = followups.fresh(state, now)
    if state is None or first.borrowed not in ("aspect", "more") or first.detail:
        return None
    _, topic = followups.scope(text)
    rest = topic_core(topic)
    if not rest:
        return None
    if first.borrowed == "aspect":  # the new aspect asked of the whole last question
        return Completion(join(first.place, state.topic, "，" + rest), "more", first.place, context=state.topic, home=first.home)
    if state.subject and state.subject not in rest:  # the whole last question → its subject's new aspect
        return Completion(join(first.place, state.subject, rest), "aspect", first.place, home=first.home)
    return None


def answers_better(second: Answer, first: Answer) -> bool:
    """Is `second` answered where `first` is refused, or confidently where `first` is tentative?"""
    return (not second.abstained, not second.tentative) > (not first.abstained, not first.tentative)
