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
    """A URL could not be fetched: network failure, HTTP error status, size cap, bad scheme."""


class ParseError(NewsdeskError):
    """A fetched document is not a feed we can read, or is broken."""


class ExtractError(NewsdeskError):
    """No article text could be extracted from a page."""
