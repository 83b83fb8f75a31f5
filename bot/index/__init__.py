"""The search index: passages → embeddings (cached) → FAISS + BM25 build folders.

Imports the corpus layer and the shared modules only.

Entry points:
- `bot.index.build.build_index(config, ...)`: build a new index and swap it in atomically.
- `bot.index.store.load_index(settings)`: the build in service, verified.
- `bot.index.status.index_status(config)`: what is built and whether it is stale.
- `bot.index.embedder.make_embedder(settings)`: the configured embedding backend.
"""
