"""URL normalisation: one article, one URL, whatever tracking parameters the feed added."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# parameters that say where a click came from, never which article: utm_*, ad click ids, mailing-list ids
_TRACKING = (
    "utm_",
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "ref_src",
    "cmpid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
)


def canonical_url(url: str) -> str:
    """The URL without fragment and tracking parameters, with a lower-case host."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(_TRACKING)]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))


def article_id(url: str) -> str:
    """A stable article id for a URL."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]
