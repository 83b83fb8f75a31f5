"""bot.answering.grouping: similar parents' questions in one group, most asked first."""

from __future__ import annotations

from bot.answering.grouping import features, group_questions, similarity
from bot.corpus.terms import Terms

TERMS = Terms(expansions={"托管费": ("课后服务费",), "晚托": ("课后服务",), "补课": ("校外培训",)})


def test_similar_questions_share_a_group_and_groups_are_ordered_by_count() -> None:
    asked = [("托管费怎么收", 3), ("托管费多少钱", 2), ("周末还能补课吗", 4), ("孩子近视了怎么办", 1), ("托管费怎么收啊", 1)]
    groups = group_questions(asked, TERMS)
    assert [g.question for g in groups] == ["托管费怎么收", "周末还能补课吗", "孩子近视了怎么办"]
    assert [g.count for g in groups] == [6, 4, 1]  # 托管费怎么收 is the most asked wording of the biggest need
    assert [q for q, _ in groups[0].members] == ["托管费怎么收", "托管费多少钱", "托管费怎么收啊"]


def test_term_expansions_and_traditional_script_count_towards_similarity() -> None:
    plain = similarity(features("晚托几点", Terms()), features("课后服务几点", Terms()))
    expanded = similarity(features("晚托几点", TERMS), features("课后服务几点", TERMS))
    assert expanded > plain
    assert similarity(features("託管費怎麼收", TERMS), features("托管费怎么收", TERMS)) == 1.0
    assert similarity(features("孩子挑食怎么办", TERMS), features("孩子近视了怎么办", TERMS)) < 0.35


def test_nothing_in_nothing_out() -> None:
    assert group_questions([], TERMS) == []
