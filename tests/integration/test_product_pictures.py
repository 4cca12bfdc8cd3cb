"""A product's pictures on the local stack: the seller's browser uploads straight to S3, and what
the site then serves is the picture redrawn at the two sizes it is shown at — upright, without the
camera's GPS position, as WebP — never the bytes the browser sent."""
import io

import requests
from PIL import Image

from tests.support.store import add_picture, create_product, open_store, update_product

GPS_IFD = 0x8825


def phone_photo() -> bytes:
    """A 3000 x 2000 JPEG a phone held upright took (rotation flag 6), with its GPS position."""
    photo = Image.new("RGB", (3000, 2000), (30, 120, 200))
    photo.paste((250, 200, 40), (0, 0, 1500, 1000))  # the top-left quarter, to see the rotation
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(GPS_IFD)[2] = (48.0, 51.0, 24.0)
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif.tobytes(), quality=85)
    return out.getvalue()


def served(site: str, path: str) -> requests.Response:
    return requests.get(f"{site}{path}", timeout=30)


def test_a_photo_is_served_redrawn_at_two_sizes_and_a_removed_one_is_gone(local_stack):
    api, site = local_stack["api"], local_stack["site"]
    seller = open_store(api, "pictures")
    product = create_product(api, seller, title="Hand-thrown bowl", kind="physical",
                             variants=[{"name": "", "price_cents": 4200, "stock": 3}])
    upload = requests.post(f"{api}/me/products/{product['slug']}/image-upload", headers=seller.auth,
                           json={"content_type": "image/jpeg"}, timeout=30).json()
    assert upload["key"].startswith("incoming/products/")

    product = add_picture(api, seller, product["slug"], phone_photo(), "image/jpeg")

    [shown] = product["images"]
    assert shown.startswith("/media/products/") and shown.endswith("/1600.webp")
    card = shown.replace("/1600.webp", "/640.webp")
    for path, size in ((shown, (1067, 1600)), (card, (427, 640))):
        answer = served(site, path)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/webp"
        with Image.open(io.BytesIO(answer.content)) as picture:
            assert (picture.format, picture.size) == ("WEBP", size)  # upright: taller than wide
            assert not picture.getexif() and "exif" not in picture.info
            top_right = picture.getpixel((picture.width - 5, 5))
            assert top_right[0] > 200 and top_right[2] < 100  # the photo's yellow corner, turned

    update_product(api, seller, product["slug"], status="active")
    store_page = served(site, f"/h/{seller.username}/store").text
    product_page = served(site, f"/h/{seller.username}/store/{product['slug']}").text
    assert f'src="{card}"' in store_page
    assert f'srcset="{card} 640w, {shown} 1600w"' in product_page

    kept = requests.put(f"{api}/me/products/{product['slug']}/images", headers=seller.auth, json={"keys": []},
                        timeout=30)
    assert kept.status_code == 200 and kept.json()["product"]["images"] == []
    assert served(site, shown).status_code == 404 and served(site, card).status_code == 404


def test_the_upload_itself_is_never_served_and_adding_it_again_changes_nothing(local_stack):
    api, site = local_stack["api"], local_stack["site"]
    seller = open_store(api, "pictures")
    product = create_product(api, seller, title="Linen apron", kind="physical",
                             variants=[{"name": "", "price_cents": 3000, "stock": 3}])
    upload = requests.post(f"{api}/me/products/{product['slug']}/image-upload", headers=seller.auth,
                           json={"content_type": "image/png"}, timeout=30).json()
    png = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 10, 10)).save(png, "PNG")
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("a.png", png.getvalue(), "image/png")},
                         allow_redirects=False, timeout=30)
    assert sent.status_code == 303
    assert served(site, f"/{upload['key']}").status_code == 404

    added = [requests.post(f"{api}/me/products/{product['slug']}/images", headers=seller.auth,
                           json={"key": upload["key"]}, timeout=30) for _ in range(2)]

    assert [a.status_code for a in added] == [200, 200]
    assert added[0].json()["product"]["images"] == added[1].json()["product"]["images"]
    assert len(added[1].json()["product"]["images"]) == 1


def test_a_file_that_is_not_the_picture_it_claims_is_refused_and_deleted(local_stack):
    api = local_stack["api"]
    seller = open_store(api, "pictures")
    product = create_product(api, seller, title="Candle", kind="physical",
                             variants=[{"name": "", "price_cents": 900, "stock": 3}])
    upload = requests.post(f"{api}/me/products/{product['slug']}/image-upload", headers=seller.auth,
                           json={"content_type": "image/png"}, timeout=30).json()
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 400  # a PNG's first bytes, then nothing a PNG has
    requests.post(upload["url"], data=upload["fields"], files={"file": ("b.png", broken, "image/png")},
                  allow_redirects=False, timeout=30)

    refused = requests.post(f"{api}/me/products/{product['slug']}/images", headers=seller.auth,
                            json={"key": upload["key"]}, timeout=30)
    again = requests.post(f"{api}/me/products/{product['slug']}/images", headers=seller.auth,
                          json={"key": upload["key"]}, timeout=30)

    assert refused.status_code == 400 and refused.json()["error"]["field"] == "key"
    assert again.status_code == 404  # the upload was deleted
    mine = requests.get(f"{api}/me/products/{product['slug']}", headers=seller.auth, timeout=30).json()
    assert mine["product"]["images"] == []
