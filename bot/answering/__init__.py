"""Answering one question: analyse → retrieve → fuse → decide → compose.

Imports the index and corpus layers and the shared modules; never storage or Telegram.
`bot.service.Service` wires these parts together.

Entry points:
- `bot.answering.dialog.FollowUps`: an elliptical message completed from the chat's last question.
- `bot.answering.places.Gazetteer` / `bot.answering.regions.RegionCatalog`: places and their reports.
- `bot.answering.query.QueryAnalyzer`: a parent's message → normalised, expanded `Query`.
- `bot.answering.retrieval.DenseRetriever` / `KeywordRetriever`: `run(query, top_k=None)`.
- `bot.answering.fusion.HybridFuser`: one weighted score over both rankings.
- `bot.answering.confidence.Calibration`: the probability that the reports cover a question.
- `bot.answering.intent` / `bot.answering.aspects`: what is asked, and whose rule, for which
  pupils, when; `bot.answering.leads.LeadPicker`: which sentences lead (a whole answering unit).
- `bot.answering.mixed.fee_cases`: rules on paying that differ by case, quoted together;
  `bot.answering.redaction.unredact`: the anonymised report's marks as parents see them.
- `bot.answering.decide.Decider`: confident / tentative / refused, and the note about the place.
- `bot.answering.compose.AnswerComposer`: the extractive `Answer` (or an honest refusal).
- `bot.answering.evaluate.evaluate(service, questions, k)`: recall, MRR, abstention figures;
  `bot.answering.evaluate_dialogs.evaluate_dialogs(service, dialogs, k)`: conversations per kind.
"""
