"""Split text into overlapping chunks on word boundaries."""

from __future__ import annotations

import hashlib


def content_hash(text: str) -> str:
    """sha256 of the text with whitespace collapsed: the deduplication key of a document."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def chunk_text(text: str, size: int, overlap: int) -> list[tuple[int, str]]:
    """(start offset, chunk) pairs: chunks of at most `size` characters, cut at whitespace where
    possible, each starting about `overlap` characters before the previous one ended."""
    if overlap >= size:
        raise ValueError("chunk overlap must be smaller than the chunk size")
    n = len(text)
    chunks: list[tuple[int, str]] = []
    start = 0
    while start < n and text[start].isspace():
        start += 1
    while start < n:
        end = min(start + size, n)
        if end < n:
            cut = max(
                text.rfind(" ", start + size // 2, end), text.rfind("\n", start + size // 2, end)
            )
            if cut > start:
                end = cut
        piece = text[start:end].strip()
        if piece:
            chunks.append((start, piece))
        if end >= n:
            break
        nxt = max(end - overlap, start + 1)
        if overlap:
            space = text.find(" ", nxt, end)
            nxt = space + 1 if space != -1 else nxt
        while nxt < n and text[nxt].isspace():
            nxt += 1
        start = nxt
    return chunks
