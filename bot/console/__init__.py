"""The web console for admins and staff: overview, documents, retrieval test, unanswered
questions, FAQ, terms, rebuild. On top beside `bot.telegram`: it uses the same service,
store, corpus and index modules, and from Telegram only its renderer (an answer is shown
exactly as Telegram shows it). Entry points: `bot.console.app.build_console`, `serve`,
`ConsoleThread`; logins are `bot.storage.logins`, rights `bot.console.auth.requires`.
"""
