"""The seller's side of the store on the local stack, for browser tests: small real files to
upload (a PNG picture, a one-page PDF), a product on sale made through the API, and a customer
who buys it through the API and the PayPal sandbox, shipping to an address of their choosing."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import requests

from tests.support.accounts import SignedIn
from tests.support.payments import approve_in_sandbox, complete, order_id_of

SHIP_TO = {"name": {"full_name": "Rosa Delgado"},
           "address": {"address_line_1": "1600 Grand Ave", "address_line_2": "Apt 4",
                       "admin_area_2": "Saint Paul", "admin_area_1": "MN", "postal_code": "55105",
                       "country_code": "US"}}


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


def pdf_bytes(text: str = "Leak repair guide") -> bytes:
    """A valid one-page PDF showing `text` (ASCII)."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def write_file(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def product_on_sale(api: str, seller: SignedIn, *, title: str, variants: list[dict], kind: str = "physical") -> dict:
    """A product on sale made through the API (a physical one needs no file)."""
    answer = requests.post(f"{api}/me/products", headers=seller.auth, timeout=30,
                           json={"title": title, "kind": kind, "status": "active", "variants": variants,
                                 "description": f"{title}, made by hand."})
    assert answer.status_code == 201, answer.text
    return answer.json()["product"]


def buy(local_stack: dict, customer: SignedIn, seller: SignedIn, product: dict, variant: int = 0,
        quantity: int = 1, ship_to: dict | None = None) -> dict:
    """The customer checks out one variant of `product` from the seller's store, approves at the
    PayPal sandbox (shipping to `ship_to`) and the payment is captured: the paid order."""
    api = local_stack["api"]
    chosen = product["variants"][variant]
    answer = requests.post(f"{api}/checkout", headers=customer.auth, timeout=60, json={
        "seller": seller.username,
        "lines": [{"slug": product["slug"], "variant_id": chosen["variant_id"], "quantity": quantity,
                   "seen_price_cents": chosen["price_cents"]}]})
    assert answer.status_code == 201, answer.text
    order, payment = answer.json()["order"], answer.json()["payment"]
    if product["kind"] == "physical":
        approved = requests.post(f"{local_stack['paypal']}/sandbox/orders/{order_id_of(payment)}/approve",
                                 json={"shipping": ship_to or SHIP_TO}, timeout=30)
        assert approved.status_code in (200, 201), approved.text
    else:
        approve_in_sandbox(local_stack, payment)
    complete(api, customer, payment)
    paid = requests.get(f"{api}/orders/{order['order_id']}", headers=customer.auth, timeout=30)
    assert paid.status_code == 200 and paid.json()["order"]["state"] == "paid", paid.text
    return paid.json()["order"]
