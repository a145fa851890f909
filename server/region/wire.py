"""A batch on the wire: one JSON document, gzip-compressed.

The site builds it from the outbox's rows without reading them back into Python (they are
JSON already); the centre reads at most a bounded amount, compressed and uncompressed, so a
batch cannot take more memory than it allows.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

ENCODING = "gzip"
MAX_COMPRESSED = 32 * 1024 * 1024
MAX_EXPANDED = 256 * 1024 * 1024


class Oversized(ValueError):
    pass


class Truncated(ValueError):
    pass


def pack(head: dict[str, Any], changes: list[str]) -> bytes:
    """``head`` (the batch's fields) with ``changes``, each already a JSON text."""
    opening = json.dumps(head, separators=(",", ":"))[:-1]
    text = opening + ',"changes":[' + ",".join(changes) + "]}"
    return gzip.compress(text.encode(), compresslevel=6)


def unpack(body: bytes, encoding: str | None, limit: int = MAX_EXPANDED) -> bytes:
    if encoding in (None, "", "identity"):
        if len(body) > limit:
            raise Oversized(f"the batch is over {limit} bytes")
        return body
    if encoding != ENCODING:
        raise ValueError(f"unknown Content-Encoding '{encoding}' (send gzip)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        text = inflater.decompress(body, limit)
    except zlib.error as exc:
        raise Truncated(f"the compressed batch is damaged: {exc}") from exc
    if inflater.unconsumed_tail:
        raise Oversized(f"the batch expands past {limit} bytes")
    if not inflater.eof:
        raise Truncated("the compressed batch ends early")
    return text
