"""URL slugs (kept here for the web's imports; the function lives in the publishing package)."""

from newsdesk.publish.slugs import slugify

__all__ = ["slugify"]
