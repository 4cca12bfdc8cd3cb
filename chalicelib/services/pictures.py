"""An uploaded picture made fit to show: the browser's upload lands under `incoming/` (which
nothing serves), is checked and redrawn at the sizes it is shown at under `media/` (which the
site serves), and the upload is deleted. So no byte a browser sent is ever served as it came."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

from chalicelib.adapters.pictures import Unreadable, redraw
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.helper_pages import avatar_matches

if TYPE_CHECKING:
    from chalicelib.adapters.uploads import UploadStorage

INCOMING = "incoming/"


def upload_id(key: object, *, prefix: str, extensions: Iterable[str]) -> str | None:
    """The id of the upload `key` names, if it is one made under `prefix` (`<prefix><id>.<ext>`,
    as the upload form was signed for); None for any other key."""
    if not isinstance(key, str) or not key.startswith(prefix):
        return None
    picture_id, _, extension = key[len(prefix):].partition(".")
    return picture_id if picture_id.isascii() and picture_id.isalnum() and extension in extensions else None


def publish_upload(*, storage: UploadStorage, upload_key: str, sizes: Mapping[str, int], max_bytes: int,
                   refusal: str) -> None:
    """Stores the picture uploaded under `upload_key` redrawn at each size of `sizes` (its key:
    the longest side in pixels), then deletes the upload. A file that is missing raises NotFound;
    one too large, not the image it claims, or damaged is deleted and raises InvalidInput with
    `refusal`."""
    stored = storage.describe(upload_key)
    if stored is None:
        raise NotFound("No picture was uploaded under that key.")
    upload = storage.read(upload_key, max_bytes=max_bytes) \
        if stored.size <= max_bytes and avatar_matches(stored.content_type, stored.head) else None
    try:
        if upload is None:
            raise Unreadable(refusal)
        drawn = redraw(upload.data, claimed_type=upload.content_type, sizes=tuple(sizes.values()))
    except Unreadable as error:
        storage.delete(upload_key)
        raise InvalidInput(refusal, field="key") from error
    for key, picture in zip(sizes, drawn):
        storage.put(key, picture.data, content_type=picture.content_type)
    storage.delete(upload_key)
