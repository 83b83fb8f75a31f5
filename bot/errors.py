"""One small exception hierarchy. Every message says what is wrong and what to do."""

from __future__ import annotations


class BotError(Exception):
    """Base of every error this package raises on purpose.

    `user_error` marks mistakes the person running the command can fix (bad
    config, bad arguments, missing token): the CLI exits with code 2 for those
    and 1 for the rest.
    """

    user_error = False

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} {hint}")


class ConfigError(BotError):
    """A configuration file or setting is missing or has a bad value."""

    user_error = True


class UsageError(BotError):
    """A command was called with bad arguments or input."""

    user_error = True


class DocumentError(BotError):
    """One corpus file cannot be read (binary, empty, truncated, undecodable)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}.", hint="Fix or remove the file, then rebuild the index.")


class CorpusError(BotError):
    """The corpus as a whole is unusable (missing folder, no readable document, bad sidecar)."""

    user_error = True


class IndexMissingError(BotError):
    """No index has been built yet."""

    user_error = True


class IndexCorruptError(BotError):
    """A file of the built index is damaged or does not match its manifest."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"index file {path} is unusable: {reason}.",
            hint="Rebuild it with `python -m bot index build`.",
        )


class BuildError(BotError):
    """An index build failed; the previous index is left serving."""


class BuildBusyError(BuildError):
    """Another index build is already running."""

    user_error = True


class EmbedderError(BotError):
    """The embedding backend cannot be loaded or failed."""


class StorageError(BotError):
    """The SQLite store cannot be read or written."""


class ImageError(BotError):
    """An image cannot be read safely: not an image, damaged or truncated, too large, empty.

    `kind` ("not_image", "damaged", "too_large", "empty", "no_text") picks the friendly
    reply a parent gets; `reason` says what is wrong for logs and admins.
    """

    user_error = True

    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(f"{reason}.", hint="Send a clearer photo or a screenshot (JPEG, PNG or WebP).")


class OcrError(BotError):
    """The OCR engine cannot be loaded or failed on an image."""


class LoginError(BotError):
    """A console login link or session is not (or no longer) valid."""

    user_error = True


class ConflictError(BotError):
    """An edit was made to something that changed meanwhile (another admin, or by hand)."""

    user_error = True
