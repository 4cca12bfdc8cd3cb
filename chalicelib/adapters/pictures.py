"""Pictures people upload (avatars, product pictures), decoded and drawn again before anyone sees
them: a file that is not really a JPEG, PNG or WebP fails here, the camera's metadata (GPS
position, device, time) is left behind, a phone's rotation flag is applied, and a 12-megapixel
photo becomes a WebP no wider than it is ever shown.

Pillow is imported on first use, not with the app: only the two routes that take a picture pay
for it.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

# A picture may be at most this many pixels before it is decoded (a 5 MB PNG can hold a
# 100,000 x 100,000 picture of one colour, gigabytes once decoded).
MAX_PIXELS = 50_000_000
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
QUALITY = 82  # WebP quality: indistinguishable from the original at the sizes shown
CONTENT_TYPE = "image/webp"


@dataclass(frozen=True)
class Picture:
    """One size of a redrawn picture, as a WebP file."""

    data: bytes
    width: int
    height: int
    content_type: str = CONTENT_TYPE


class Unreadable(ValueError):
    """The file is not a picture of the type it claims, is damaged, or is too large to decode."""


def redraw(data: bytes, *, claimed_type: str, sizes: tuple[int, ...]) -> tuple[Picture, ...]:
    """The picture in `data` drawn again at each of `sizes` (the longest side at most that many
    pixels, never enlarged), upright, without metadata, as WebP. Raises `Unreadable`."""
    from PIL import Image

    expected = FORMATS.get(claimed_type)
    if expected is None:
        raise Unreadable("Pictures are JPEG, PNG or WebP.")
    source, profile = _decoded(data, expected, longest=max(sizes))
    drawn = []
    for size in sizes:
        copy = source.copy()
        copy.thumbnail((size, size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        copy.save(out, "WEBP", quality=QUALITY, method=4, icc_profile=profile)  # no exif, no xmp
        drawn.append(Picture(out.getvalue(), copy.width, copy.height))
    return tuple(drawn)


def _decoded(data: bytes, expected: str, *, longest: int) -> tuple:
    """The picture's first frame as RGB (RGBA if it has transparency), no larger than `longest`
    pixels on its longest side, upright, and its colour profile. Unreadable unless `data` is a
    whole picture in the `expected` format of at most MAX_PIXELS.

    Memory stays within the function's 512 MB: a JPEG is decoded straight at the scale needed,
    and any other picture is made small once decoded, before it is turned or copied."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[expected]) as opened:
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise Unreadable(f"Pictures are at most {MAX_PIXELS // 1_000_000} megapixels.")
                opened.seek(0)  # an animated picture shows its first frame
                if expected == "JPEG":
                    opened.draft("RGB", (longest, longest))
                clear = opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info
                mode = "RGBA" if clear else "RGB"
                picture = opened if opened.mode == mode else opened.convert(mode)
                picture.thumbnail((longest, longest), Image.Resampling.LANCZOS)
                upright = ImageOps.exif_transpose(picture)  # a copy, turned as the camera was held
                profile = opened.info.get("icc_profile")  # kept: a phone's wide-gamut colours stay
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning) as error:
            if isinstance(error, Unreadable):
                raise
            raise Unreadable("That file is not a picture of the type it was uploaded as, or it is damaged.") \
                from error
    return upright, profile
