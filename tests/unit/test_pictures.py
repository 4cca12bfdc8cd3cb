"""Uploaded pictures redrawn before anyone sees them (chalicelib/adapters/pictures.py), with
Pillow itself: real JPEGs, PNGs and WebPs made here."""
import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from chalicelib.adapters.pictures import MAX_PIXELS, Unreadable, redraw

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def test_a_phone_photo_is_made_upright_smaller_and_loses_its_gps_position():
    photo = Image.new("RGB", (4000, 3000), (200, 40, 40))
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the phone was held upright: turn 90 degrees clockwise to show it
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(GPS_IFD)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
    data = encoded(photo, "JPEG", exif=exif.tobytes(), quality=90)

    full, card = redraw(data, claimed_type="image/jpeg", sizes=(1600, 640))

    assert (full.width, full.height, card.width, card.height) == (1200, 1600, 480, 640)
    for picture in (full, card):
        shown = opened(picture.data)
        assert shown.format == "WEBP" and picture.content_type == "image/webp"
        assert not shown.getexif() and "exif" not in shown.info and "xmp" not in shown.info


def test_a_small_picture_is_never_enlarged():
    [drawn] = redraw(encoded(Image.new("RGB", (64, 48)), "PNG"), claimed_type="image/png", sizes=(1600,))
    assert (drawn.width, drawn.height) == (64, 48)


def test_transparency_is_kept_and_a_colour_profile_too():
    logo = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    logo.paste((10, 200, 90, 255), (100, 50, 200, 150))
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    [drawn] = redraw(encoded(logo, "PNG", icc_profile=profile), claimed_type="image/png", sizes=(640,))
    shown = opened(drawn.data)
    assert shown.mode == "RGBA" and shown.getpixel((0, 0))[3] == 0 and shown.getpixel((150, 100))[3] == 255
    assert shown.info.get("icc_profile") == profile


def test_an_animated_webp_shows_its_first_frame():
    frames = [Image.new("RGB", (80, 60), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encoded(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    [drawn] = redraw(data, claimed_type="image/webp", sizes=(640,))
    shown = opened(drawn.data)
    assert getattr(shown, "n_frames", 1) == 1
    red, green, blue = shown.getpixel((40, 30))[:3]
    assert red > 200 and blue < 60


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size and carries one tiny compressed row: what a decompression bomb
    looks like before it is decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("data, claimed", [
    (encoded(Image.new("RGB", (10, 10)), "PNG"), "image/jpeg"),  # a PNG claimed as a JPEG
    (encoded(Image.new("RGB", (10, 10)), "GIF"), "image/png"),  # a GIF is not taken
    (encoded(Image.new("RGB", (10, 10)), "PNG"), "image/gif"),
    (b"<!doctype html><script>alert(1)</script>", "image/png"),
    (encoded(Image.new("RGB", (400, 300)), "JPEG")[:300], "image/jpeg"),  # cut short
    (png_header_only(10_000, 10_000), "image/png"),  # 100 megapixels claimed in a few bytes
    (b"", "image/webp"),
])
def test_what_is_not_a_whole_picture_of_its_type_is_unreadable(data, claimed):
    with pytest.raises(Unreadable):
        redraw(data, claimed_type=claimed, sizes=(640,))


def test_the_pixel_limit_is_fifty_megapixels():
    assert MAX_PIXELS == 50_000_000
    with pytest.raises(Unreadable, match="megapixels"):
        redraw(png_header_only(10_000, 5_001), claimed_type="image/png", sizes=(640,))


def test_a_palette_png_with_a_transparent_colour_stays_transparent():
    palette = Image.new("P", (200, 100), 0)
    palette.putpalette([255, 255, 255, 200, 30, 30] + [0, 0, 0] * 254)
    palette.paste(1, (50, 25, 150, 75))
    [drawn] = redraw(encoded(palette, "PNG", transparency=0), claimed_type="image/png", sizes=(100,))
    shown = opened(drawn.data)
    assert (shown.mode, shown.size) == ("RGBA", (100, 50))
    assert shown.getpixel((2, 2))[3] == 0
    assert all(abs(got - sent) <= 3 for got, sent in zip(shown.getpixel((50, 25))[:3], (200, 30, 30)))
