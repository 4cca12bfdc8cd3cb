"""A Helper's store made through the real API of the local stack, for browser tests and benches:
the storefront with its shipping, products on sale, their pictures and files (uploaded straight to
S3 with the presigned POST the API gives, as the seller's browser would)."""
from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass

import requests

from tests.support.accounts import SignedIn
from tests.support.pages import become_helper, open_storefront
from tests.support.payments import approve_in_sandbox, complete, order_id_of


@dataclass
class UploadedFile:
    """A file a digital product delivers, and what a buyer's download must equal."""

    file_id: str
    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def open_store(api: str, prefix: str = "seller", *, flat_cents: int = 500, free_from_cents: int | None = None,
               countries: tuple[str, ...] = ("US", "CA"), **page_changes) -> SignedIn:
    """A new Helper with a storefront (where payouts go) and a shipping rule: a store that sells."""
    seller = become_helper(api, prefix, **page_changes)
    open_storefront(api, seller)
    answer = requests.put(f"{api}/me/store/shipping", headers=seller.auth, timeout=30,
                          json={"flat_cents": flat_cents, "free_from_cents": free_from_cents,
                                "countries": list(countries)})
    assert answer.status_code == 200, answer.text
    return seller


def create_product(api: str, seller: SignedIn, *, title: str, kind: str, variants: list[dict],
                   description: str = "", status: str = "draft", **fields) -> dict:
    answer = requests.post(f"{api}/me/products", headers=seller.auth, timeout=30,
                           json={"title": title, "kind": kind, "variants": variants, "description": description,
                                 "status": status, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()["product"]


def update_product(api: str, seller: SignedIn, slug: str, **changes) -> dict:
    """Saves the product with `changes` (variants keep their ids unless `changes` names them)."""
    current = requests.get(f"{api}/me/products/{slug}", headers=seller.auth, timeout=30)
    assert current.status_code == 200, current.text
    product = current.json()["product"]
    body = {"title": product["title"], "description": product["description"], "kind": product["kind"],
            "status": product["status"], "variants": [
                {k: v[k] for k in ("variant_id", "name", "sku", "price_cents", "stock")} for v in product["variants"]]}
    if product.get("category"):
        body["category"] = product["category"]
    body.update(changes)
    answer = requests.put(f"{api}/me/products/{slug}", headers=seller.auth, json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["product"]


def set_price(api: str, seller: SignedIn, slug: str, price_cents: int, *, variant: int = 0) -> dict:
    """The seller changes one variant's price (the first by default)."""
    current = requests.get(f"{api}/me/products/{slug}", headers=seller.auth, timeout=30).json()["product"]
    variants = [{k: v[k] for k in ("variant_id", "name", "sku", "price_cents", "stock")}
                for v in current["variants"]]
    variants[variant]["price_cents"] = price_cents
    return update_product(api, seller, slug, variants=variants)


def _presigned_upload(upload: dict, name: str, content: bytes, content_type: str) -> None:
    """Posts the bytes to S3 with the API's presigned form; S3 answers with its redirect."""
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": (name, content, content_type)},
                         allow_redirects=False, timeout=60)
    assert sent.status_code in (201, 204, 303), sent.text


def add_picture(api: str, seller: SignedIn, slug: str, content: bytes, content_type: str = "image/png") -> dict:
    upload = requests.post(f"{api}/me/products/{slug}/image-upload", headers=seller.auth,
                           json={"content_type": content_type}, timeout=30)
    assert upload.status_code == 200, upload.text
    upload = upload.json()
    _presigned_upload(upload, "picture.png", content, content_type)
    answer = requests.post(f"{api}/me/products/{slug}/images", headers=seller.auth, json={"key": upload["key"]},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["product"]


def add_file(api: str, seller: SignedIn, slug: str, *, name: str, content: bytes,
             content_type: str = "application/pdf") -> UploadedFile:
    """Uploads a file into the private bucket and makes the product deliver it."""
    upload = requests.post(f"{api}/me/products/{slug}/file-upload", headers=seller.auth, timeout=30,
                           json={"content_type": content_type, "size": len(content)})
    assert upload.status_code == 200, upload.text
    upload = upload.json()
    _presigned_upload(upload, name, content, content_type)
    answer = requests.post(f"{api}/me/products/{slug}/files", headers=seller.auth, timeout=30,
                           json={"file_id": upload["file_id"], "name": name})
    assert answer.status_code == 200, answer.text
    return UploadedFile(file_id=upload["file_id"], name=name, content=content)


def digital_product(api: str, seller: SignedIn, *, title: str = "Fix-it field guide", price_cents: int = 1200,
                    file_name: str = "field-guide.pdf", pictures: int = 1,
                    description: str = "") -> tuple[dict, UploadedFile]:
    """A digital product on sale with one PDF (a product goes on sale only once it has its file)."""
    product = create_product(api, seller, title=title, kind="digital",
                             variants=[{"name": "", "price_cents": price_cents}],
                             description=description or DIGITAL_DESCRIPTION)
    pdf = sample_pdf(title)
    uploaded = add_file(api, seller, product["slug"], name=file_name, content=pdf)
    for index in range(pictures):
        add_picture(api, seller, product["slug"], sample_png(hue=0.62 + 0.08 * index))
    return update_product(api, seller, product["slug"], status="active"), uploaded


def physical_product(api: str, seller: SignedIn, *, title: str = "Enamel camp mug",
                     variants: list[dict] | None = None, pictures: int = 3, description: str = "") -> dict:
    """A physical product on sale with stock in each variant and a few pictures."""
    product = create_product(api, seller, title=title, kind="physical", status="active",
                             variants=variants or [{"name": "Forest green", "sku": "MUG-GRN", "price_cents": 1800,
                                                    "stock": 12},
                                                   {"name": "Midnight", "sku": "MUG-BLK", "price_cents": 2000,
                                                    "stock": 3}],
                             description=description or PHYSICAL_DESCRIPTION)
    for index in range(pictures):
        product = add_picture(api, seller, product["slug"], sample_png(hue=0.33 + 0.21 * index))
    return product


DIGITAL_DESCRIPTION = """A printable guide to the twenty fixes people call me about most.

- Step-by-step photos for each fix
- The tools you need, and the ones you don't
- When to stop and call a professional

**48 pages**, PDF, yours to keep."""

PHYSICAL_DESCRIPTION = """A sturdy steel mug with a glossy enamel finish, the one I bring to every job.

- Holds 12 oz (350 ml)
- Dishwasher safe, never on the stove
- Ships in recycled packaging within two business days"""


def sample_pdf(title: str = "interKanect") -> bytes:
    """A small, valid one-page PDF naming `title` (ASCII), different for each title."""
    text = "".join(c for c in title if c.isascii() and c not in "()\\")[:60]
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


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(r * 255), int(g * 255), int(b * 255)


def sample_png(*, hue: float = 0.6, width: int = 480, height: int = 360) -> bytes:
    """A product picture: a soft diagonal gradient of one hue with a round shape in the middle
    (a real PNG, small enough to upload in a blink)."""
    top, bottom, disc = _rgb(hue, 0.18, 0.97), _rgb(hue + 0.04, 0.42, 0.86), _rgb(hue - 0.03, 0.65, 0.62)
    cx, cy, radius = width / 2, height / 2, min(width, height) * 0.28
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            if (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius:
                rows += bytes(disc)
            else:
                t = (x / width + y / height) / 2
                rows += bytes(int(a + (b - a) * t) for a, b in zip(top, bottom))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + \
        chunk(b"IEND", b"")


SHIP_TO = {"name": {"full_name": "Rosa Delgado"},
           "address": {"address_line_1": "1600 Grand Ave", "address_line_2": "Apt 4",
                       "admin_area_2": "Saint Paul", "admin_area_1": "MN", "postal_code": "55105",
                       "country_code": "US"}}


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
