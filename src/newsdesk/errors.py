"""The one exception tree: every error a user can see derives from NewsdeskError."""


class NewsdeskError(Exception):
    """Base of every newsdesk error; its message is one clear line for the user."""


class SettingsError(NewsdeskError):
    """A setting has a value we cannot use."""


class StoreError(NewsdeskError):
    """The store could not be opened or written (driver errors are wrapped in this)."""


class NotFoundError(NewsdeskError):
    """A source, article or story that was asked for does not exist."""


class FetchError(NewsdeskError):
    """A URL could not be fetched: network failure, HTTP error status, size cap, bad scheme, refused address."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status when the server answered with an error, else None
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After), else None


class ParseError(NewsdeskError):
    """A fetched document is not a feed we can read, or is broken."""


class ExtractError(NewsdeskError):
    """No article text could be extracted from a page."""
