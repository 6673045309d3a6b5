"""Bytes off the wire: content decoding under a size cap, and the charset of pages that lie about theirs.

Content decoding is done here rather than by httpx because httpx inflates a whole network chunk at once:
a 64 KB brotli or gzip bomb chunk can expand to gigabytes before any cap is checked. Here every step
asks the decompressor for at most what is left under the cap.
"""

from __future__ import annotations

import codecs
import re
import zlib

import brotli
import charset_normalizer

from newsdesk.errors import FetchError

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
# WHATWG: browsers read these labels as windows-1252, and so do real pages that use them
_AS_CP1252 = {"latin-1", "iso8859-1", "ascii", "iso8859-15"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class CappedDecoder:
    """Undoes Content-Encoding (gzip, deflate, br, identity) chunk by chunk, refusing output past a cap."""

    def __init__(self, content_encoding: str, max_bytes: int, url: str) -> None:
        self.max_bytes = max_bytes
        self.url = url
        self.size = 0
        self._parts: list[bytes] = []
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c not in ("identity", "none")]
        if len(codings) > 1:
            raise FetchError(f"{url}: more than one Content-Encoding ({content_encoding}) is not supported")
        self.coding = codings[0] if codings else ""
        if self.coding in ("gzip", "x-gzip"):
            self._zlib: zlib._Decompress | None = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif self.coding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self.coding in ("br", ""):
            self._zlib = None
        else:
            raise FetchError(f"{url}: unsupported Content-Encoding {self.coding!r}")
        self._brotli = brotli.Decompressor() if self.coding == "br" else None
        self._raw_deflate_tried = False

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise FetchError(f"{self.url}: response is over the {self.max_bytes}-byte cap")
        self._parts.append(data)

    def feed(self, chunk: bytes) -> None:
        """Decode one raw chunk; raises FetchError past the cap or on corrupt data."""
        room = self.max_bytes - self.size + 1
        try:
            if self._zlib is not None:
                try:
                    self._keep(self._zlib.decompress(chunk, room))
                except zlib.error:
                    if self.coding != "deflate" or self._raw_deflate_tried or self.size:
                        raise
                    # some servers send raw deflate without the zlib header
                    self._raw_deflate_tried = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._keep(self._zlib.decompress(chunk, room))
            elif self._brotli is not None:
                self._keep(self._brotli.process(chunk, output_buffer_limit=room))
                while not self._brotli.can_accept_more_data():
                    more = self._brotli.process(b"", output_buffer_limit=self.max_bytes - self.size + 1)
                    if not more:
                        break
                    self._keep(more)
            else:
                self._keep(chunk)
        except (zlib.error, brotli.error) as exc:
            raise FetchError(f"{self.url}: corrupt {self.coding} body ({exc})") from None

    def finish(self) -> bytes:
        """The decoded body."""
        if self._zlib is not None:
            self._keep(self._zlib.flush())
        return b"".join(self._parts)


def declared_charset(body: bytes, content_type: str) -> str | None:
    """The charset the HTTP header or, failing that, a <meta> tag declares; None when neither does."""
    found = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    label = found.group(1) if found else None
    if label is None:
        meta = _CHARSET.search(body[:4096])
        label = meta.group(1).decode("ascii", "ignore") if meta else None
    if not label:
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_CP1252 else name


def decode_text(body: bytes, content_type: str = "") -> str:
    """Text of an HTML or JSON document whatever its declared charset says.

    Order: a byte-order mark; valid UTF-8 (a random non-UTF-8 text is almost never valid UTF-8); the
    declared charset when the bytes decode under it; charset detection (charset-normalizer); windows-1252.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(body, content_type)
    if declared and declared != "utf-8":
        try:
            return body.decode(declared)
        except UnicodeDecodeError:
            pass
    guesses = charset_normalizer.from_bytes(body[:200_000])
    best = guesses.best()
    if best is None:
        return body.decode("cp1252", errors="replace")
    # on a tie (French text reads the same in cp1250 and cp1252) take the web's usual legacy charset
    tied = {g.encoding for g in guesses if (g.chaos, g.coherence) == (best.chaos, best.coherence)}
    return body.decode("cp1252" if "cp1252" in tied else best.encoding, errors="replace")
