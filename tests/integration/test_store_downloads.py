"""A buyer's download through the API of the local stack: the link the API gives points at the
downloads server (the downloads distribution on AWS), not the site and not S3 itself, and answers
the file as an attachment of its checked type with `nosniff`, the very bytes the seller uploaded."""
from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.accounts import sign_up_and_in
from tests.support.store import digital_product, open_store

pytestmark = pytest.mark.integration


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_a_bought_file_downloads_from_the_downloads_origin_as_an_attachment_with_nosniff(local_stack):
    api = local_stack["api"]
    seller = open_store(api, "dlseller")
    guide, pdf = digital_product(api, seller, title="Downloads guide", price_cents=0, file_name="guide.pdf",
                                 pictures=0)
    buyer = sign_up_and_in(api, "dlbuyer")
    checkout = requests.post(f"{api}/checkout", headers=buyer.auth, timeout=60, json={
        "seller": seller.username, "lines": [{"slug": guide["slug"], "variant_id": guide["variants"][0]["variant_id"],
                                              "quantity": 1, "seen_price_cents": 0}]})
    assert checkout.status_code == 201 and checkout.json()["payment"] is None, checkout.text
    order_id = checkout.json()["order"]["order_id"]

    answer = requests.post(f"{api}/orders/{order_id}/files/{guide['slug']}/{pdf.file_id}/download",
                           headers=buyer.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    link = answer.json()["url"]
    assert origin(link) == local_stack["downloads"]
    assert origin(link) not in (local_stack["site"], local_stack["aws"], api)

    download = requests.get(link, timeout=30, allow_redirects=False)
    assert download.status_code == 200
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="guide.pdf"')
    assert hashlib.sha256(download.content).hexdigest() == pdf.sha256
