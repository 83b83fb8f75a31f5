"""Reading the reports: files → cleaned documents → passages.

The bottom layer: it imports only the shared modules (`bot.records`, `bot.errors`,
`bot.config`, `bot.text`) and the OCR engine beside it (`bot.ocr`, for scans), never the
index, answering, storage or Telegram layers.

Entry points:
- `bot.corpus.loader.load_corpus(settings)` / `load_passages(settings)`: the corpus folder
  read, cleaned and split (reports + FAQ entries); `load_metadata(path)` for `documents.toml`.
- `bot.corpus.readers.read_document(path, max_bytes, scanner)`: one file's text (scans by OCR), or a named reason.
- `bot.corpus.terms.load_terms(path)`: the admin-edited term table.
- `bot.corpus.faq.append_faq(...)`: add an approved FAQ entry to `faq.toml`.
"""
