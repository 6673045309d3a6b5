"""Duplicate detection: wire copies and syndicated reprints carry the same text, exactly or nearly.

Exact copies share a content hash. Near copies (a new headline, an edited lead) share most of their
word 5-grams: MinHash (datasketch) estimates that overlap, and LSH band keys, kept in the store, find
the candidates without comparing every pair.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import MinHash

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Lower-case words only, so whitespace, quotes and punctuation changes do not matter."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def content_hash(text: str) -> str:
    """A hash that is equal for texts that are the same copy."""
    return hashlib.sha1(normalise_text(text).encode("utf-8")).hexdigest()


NUM_PERM = 128  # MinHash permutations
BANDS = 32  # LSH bands of 4 rows: pairs above ~0.42 Jaccard share a band key with high probability
SHINGLE = 5  # words per shingle
LEAD_WORDS = 400  # copies share their body: the first words are enough evidence, and MinHash costs per shingle
NEAR_DUPLICATE = 0.6  # estimated Jaccard above which two texts are copies of one another


@dataclass(frozen=True)
class Fingerprint:
    """What near-duplicate search needs of one article."""

    signature: np.ndarray  # MinHash hash values, uint64[NUM_PERM]
    band_keys: tuple[str, ...]  # one key per LSH band


@cache
def _template() -> MinHash:
    """A MinHash of seed 1 whose permutations every text reuses (datasketch would draw them again each time)."""
    return MinHash(num_perm=NUM_PERM, seed=1)


def fingerprint(text: str) -> Fingerprint:
    """MinHash signature and LSH band keys of a text's word shingles."""
    words = normalise_text(text).split()[:LEAD_WORDS]
    shingles = [" ".join(words[i : i + SHINGLE]).encode() for i in range(max(1, len(words) - SHINGLE + 1))]
    template = _template()
    minhash = MinHash(num_perm=NUM_PERM, seed=1, permutations=template.permutations, scheme=template.scheme)
    minhash.update_batch(shingles)
    signature = np.asarray(minhash.hashvalues, dtype=np.uint64)
    rows = NUM_PERM // BANDS
    keys = tuple(
        f"{band}:{hashlib.sha1(signature[band * rows : (band + 1) * rows].tobytes()).hexdigest()[:16]}"
        for band in range(BANDS)
    )
    return Fingerprint(signature, keys)


def similarity_estimate(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two MinHash signatures."""
    return float(np.mean(a == b))


def is_near_duplicate(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two signatures belong to copies of one text."""
    return similarity_estimate(a, b) >= NEAR_DUPLICATE
