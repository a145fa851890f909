"""The hall's playlist: images and videos shown on the TV displays between calls.

Files live in ``DATA_DIR/media/SITE/``, played in the order of their names (``01-welcome.png``,
``02-tax-deadline.mp4``). An upload is written to a temporary file as it arrives, checked
(its first bytes must be what its name says: PNG, JPEG, WebP, GIF, MP4 or WebM; at most
``LARGEST`` bytes) and only then put in place, so a display never shows half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from common.protocol.models import MediaItem
from server.services.errors import DomainError, Invalid, NotFound

LARGEST = 300 * 1024 * 1024  # a few minutes of HD video
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,60}\.(png|jpg|jpeg|webp|gif|mp4|webm)$")
KINDS = {"png": "image", "jpg": "image", "jpeg": "image", "webp": "image", "gif": "image",
         "mp4": "video", "webm": "video"}
TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
         "gif": "image/gif", "mp4": "video/mp4", "webm": "video/webm"}


class TooLarge(DomainError):
    status = 413
    code = "too_large"


def _looks_like(head: bytes, extension: str) -> bool:
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension == "mp4":
        return head[4:8] == b"ftyp"
    return head.startswith(b"\x1a\x45\xdf\xa3")  # webm (Matroska)


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise Invalid("Nama berkas: huruf kecil, angka, '-' atau '_', lalu .png, .jpg, .webp, "
                      ".gif, .mp4 atau .webm.",
                      "Name the file in lower case letters, digits, '-' or '_', ending in .png, "
                      ".jpg, .webp, .gif, .mp4 or .webm.", code="bad_media_name")
    return name


class Playlist:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _site(self, site: str) -> Path:
        return self.directory / site

    def items(self, site: str) -> list[MediaItem]:
        folder = self._site(site)
        if not folder.is_dir():
            return []
        return [MediaItem(name=path.name, kind=KINDS[path.suffix[1:]],  # type: ignore[arg-type]
                          url=f"/media/{site}/{path.name}", bytes=path.stat().st_size)
                for path in sorted(folder.iterdir()) if NAME.match(path.name)]

    def path(self, site: str, name: str) -> Path:
        path = self._site(site) / check_name(name)
        if not path.is_file():
            raise NotFound("Berkas tidak ada di daftar putar.", "No such file in the playlist.",
                           code="no_media")
        return path

    async def add(self, site: str, name: str, body: AsyncIterator[bytes]) -> MediaItem:
        extension = check_name(name).rpartition(".")[2]
        folder = self._site(site)
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        size, head = 0, b""
        try:
            with os.fdopen(handle, "wb") as out:
                async for chunk in body:
                    size += len(chunk)
                    if size > LARGEST:
                        raise TooLarge(f"Berkas lebih dari {LARGEST // 2**20} MiB.",
                                       f"The file is over {LARGEST // 2**20} MiB.")
                    if len(head) < 16:
                        head = (head + chunk)[:16]
                    out.write(chunk)
            if not _looks_like(head, extension):
                raise Invalid(f"Isi berkas bukan {extension.upper()}.",
                              f"The file's content is not {extension.upper()}.",
                              code="bad_media_content")
            os.replace(temporary, folder / name)
        finally:
            Path(temporary).unlink(missing_ok=True)
        return MediaItem(name=name, kind=KINDS[extension],  # type: ignore[arg-type]
                         url=f"/media/{site}/{name}", bytes=size)

    def remove(self, site: str, name: str) -> None:
        self.path(site, name).unlink()
