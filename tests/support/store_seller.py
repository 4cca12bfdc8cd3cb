"""The seller's side of the store on the local stack, for browser tests: small real files to
upload from the page (a PNG picture, a one-page PDF), and a product on sale made through the API;
buying is tests/support/store.py's `buy`."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

from tests.support.accounts import SignedIn
from tests.support.store import create_product


def png_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (79, 70, 229)) -> bytes:
    """A small, real PNG of one colour with a lighter band across the middle."""
    light = tuple(min(255, c + 110) for c in color)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        rows += bytes(light if height // 3 <= y < 2 * height // 3 else color) * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + \
        chunk(b"IEND", b"")


def write_file(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def product_on_sale(api: str, seller: SignedIn, *, title: str, variants: list[dict], kind: str = "physical") -> dict:
    """A product on sale made through the API (a physical one needs no file)."""
    return create_product(api, seller, title=title, kind=kind, variants=variants, status="active",
                          description=f"{title}, made by hand.")
