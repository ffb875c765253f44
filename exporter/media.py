"""The images a source shows: where they may be, what they are, and their names in the outputs.

An image's type is read from its first bytes, never from its name, with a few lines of
stdlib code: `check` judges images without Pillow. PNG and JPEG only, the two formats every
reader of the outputs shows: Anki on desktop, AnkiDroid and AnkiMobile, EPUB readers, and
calibre's and Amazon's Kindle conversions. SVG is refused: Kindle conversion rasterises or
drops it depending on the tool and the device, and the phone apps show SVG files referenced
from a field unreliably; a PNG shows the same everywhere.
"""

from __future__ import annotations

import posixpath
import re
import struct
import unicodedata
import zlib
from functools import cached_property
from pathlib import Path

from msgspec import Struct

from exporter.locations import Key, Problems
from exporter.syntax import Image, find_images

MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}
EXTENSIONS = {"png": (".png",), "jpeg": (".jpg", ".jpeg")}
# Images beyond these sizes still build, with a warning: Send to Kindle scales images down
# to 1920 px on their longer side, phones and e-readers have fewer pixels than that, and every
# byte is carried by each synced copy of the deck and each copy of the book (Kobo refuses a
# image over 5 MB).
MAX_SIDE = 1920
MAX_BYTES = 2 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the size.
JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
# What other images begin with, to say what a refused file is.
OTHER_FORMATS = ((b"GIF8", "a GIF"), (b"RIFF", "a WebP or other RIFF file"), (b"BM", "a BMP"),
                 (b"II*\x00", "a TIFF"), (b"MM\x00*", "a TIFF"), (b"%PDF", "a PDF"))
SVG = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!DOCTYPE[^>]*>\s*)?<svg[\s>]", re.S | re.I)
PATH = re.compile(r"[\w./-]+")  # nothing a URL, HTML or the shell would read differently
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]+:", re.I)  # http:, data:, file: ... (one letter is a drive)
# The fields whose Markdown may show images: prose, cards and back-matter entries. Titles,
# names, terms, dates and the book's metadata are plain text or labels, and facts are values.
IMAGE_FIELDS = {"text", "question", "answer", "extra", "cloze", "definition", "event", "role", "description",
                  "impact"}


class Unusable(ValueError):
    """An image file that cannot be used; the message says why and what to do."""


class Media(Struct, frozen=True, dict=True):  # a __dict__ for the cached hash
    """An image as both outputs carry it: its bytes and what they were found to be."""

    data: bytes
    kind: str  # "png" or "jpeg"
    width: int
    height: int

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]

    def __repr__(self) -> str:  # without the bytes
        return f"Media({self.kind!r}, {self.width}x{self.height})"

    @cached_property  # asked for by the name, the fingerprints and the manifest
    def sha256(self) -> str:
        import hashlib  # only the outputs need it: check stays without

        return hashlib.sha256(self.data).hexdigest()

    def name(self, book_id: str) -> str:
        """Its file name in the deck and the book: the book id (so two books never share a name
        in one collection, and never a leading '_', which Anki never updates) and a content
        hash (so a changed image is a new file, and the notes that show it change)."""
        return f"{book_id}-{self.sha256[:8]}.{'png' if self.kind == 'png' else 'jpg'}"


class Use(Struct, frozen=True):
    """Where the source shows an image: the value's key, the line and column of its '!'."""

    key: Key
    at: tuple[int, int]
    path: str  # normalised, relative to the source's folder


def sniff(data: bytes) -> tuple[str, int, int]:
    """(kind, width, height) of a PNG or JPEG, from its bytes; Unusable for anything else."""
    if data.startswith(PNG_SIGNATURE):
        return ("png", *_png_size(data))
    if data.startswith(b"\xff\xd8\xff"):
        return ("jpeg", *_jpeg_size(data))
    if SVG.match(data[:4096]):
        raise Unusable("is an SVG drawing, which is not accepted (Kindle conversion and the Anki phone apps "
                       "do not show SVG reliably); export it as PNG")
    what = next((name for magic, name in OTHER_FORMATS if data.startswith(magic)), "")
    if not what and data[4:8] == b"ftyp":
        what = "an HEIC, AVIF or other ISO media file"
    what = f"is {what} file, not PNG or JPEG" if what else "is not a PNG or JPEG image"
    if not data:
        what = "is empty"
    raise Unusable(f"{what}; save it as PNG (drawings, maps, charts) or JPEG (photographs)")


def _png_size(data: bytes) -> tuple[int, int]:
    """The size in the header, after checking every chunk is whole (a cut-off download shows
    as a broken image in both outputs)."""
    pos, width, height = len(PNG_SIGNATURE), 0, 0
    while True:
        if pos + 8 > len(data):
            raise Unusable("is a damaged PNG (it ends before its last chunk); save or export it again")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        stored = data[pos + 8 + length:pos + 12 + length]
        if pos + 12 + length > len(data) or zlib.crc32(kind + body) != struct.unpack(">I", stored)[0]:
            raise Unusable(f"is a damaged PNG (its {kind.decode('latin-1')!r} chunk is cut off or corrupt); "
                           "save or export it again")
        if pos == len(PNG_SIGNATURE):
            if kind != b"IHDR" or length != 13:
                raise Unusable("is a damaged PNG (no header after the signature); save or export it again")
            width, height = struct.unpack(">II", body[:8])
        if kind == b"IEND":
            break
        pos += 12 + length
    if not width or not height:
        raise Unusable("is a damaged PNG (its header gives no size); save or export it again")
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """The size in the first frame header, walking the markers before it."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or image data before any frame header
            break
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in JPEG_FRAMES and length >= 7 and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            if width and height:
                return width, height
            break
        pos += 2 + length
    raise Unusable("is a damaged JPEG (no frame header with its size); save or export it again")


def path_problem(path: str) -> str | None:
    """Why an image's path as written cannot be used, or None. Relative, inside the folder."""
    if not path:
        return "has no path; write the file's path between the parentheses: ![alt text](images/map.png)"
    if SCHEME.match(path) or path.startswith("//"):
        return (f"'{path}' is a web address; nothing is downloaded: save the file in the source's folder "
                "and give its path, e.g. images/map.png")
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        return f"'{path}' is an absolute path; give the path from the source's folder, e.g. images/map.png"
    if "\\" in path:
        return f"'{path}' has a backslash; separate folders with '/', e.g. images/map.png"
    if ".." in path.split("/"):
        return f"'{path}' leaves the source's folder; keep images in it (or below it) and give the path from there"
    if "${" in path:
        return f"'{path}' uses a fact; write the path out"
    if not PATH.fullmatch(path):
        return f"'{path}' has characters other than letters, digits, '-', '_', '.' and '/'; rename the file"
    return None


def normal(path: str) -> str:
    """The path as a key: 'images/./map.png' and './images/map.png' are the same file, and
    composed as the content step composes all text (NFC)."""
    return posixpath.normpath(unicodedata.normalize("NFC", path))


def read(folder: Path, path: str) -> Media:
    """The image at `path` (relative, checked by path_problem) below `folder`; Unusable if
    it is missing, not a file, unreadable, outside the folder through a link, or not what its
    name says."""
    file = folder / path
    try:
        if not file.resolve().is_relative_to(folder.resolve()):
            raise Unusable("leads out of the source's folder through a link; copy the image into the folder")
        data = file.read_bytes()
    except FileNotFoundError:
        raise Unusable("not found; its path is read from the folder of the source file") from None
    except IsADirectoryError:
        raise Unusable("is a folder; give the path of a PNG or JPEG file") from None
    except OSError as e:
        raise Unusable(f"cannot be read ({e.strerror})") from None
    kind, width, height = sniff(data)
    suffix = posixpath.splitext(path)[1].lower()
    if suffix not in EXTENSIONS[kind]:
        named = f"named {suffix}" if suffix else "named without an extension"
        raise Unusable(f"is a {kind.upper()} image but {named}; rename it to end in {EXTENSIONS[kind][0]}")
    return Media(data, kind, width, height)


# --- the loader's check -----------------------------------------------------------------------


def check_images(data, problems: Problems, folder: Path) -> tuple[dict[str, Media], tuple[Use, ...]]:
    """Every image the source shows, read and checked: (normalised path → Media, each use).
    Problems are added to `problems`, each located at the image's '!' in the file."""
    from exporter.crosscheck import locate, walk

    table: dict[str, Media] = {}
    failed: dict[str, str] = {}  # a file that cannot be used is reported at each use, read once
    uses: list[Use] = []
    for key, value in walk(data, ()):
        if not isinstance(value, str) or "![" not in value:
            continue
        for image in find_images(value, block=_is_block(key)):
            at = locate(problems, key, "![", value.count("![", 0, image.start))
            message = _problem(image, key)
            if message is None and image.path is not None:  # _problem says so of a missing path
                path = normal(image.path)
                if path not in table and path not in failed:
                    try:
                        table[path] = read(folder, path)
                    except Unusable as e:
                        failed[path] = f"image file '{image.path}' {e}"
                message = failed.get(path)
                if message is None:
                    uses.append(Use(key, at, path))
            if message:
                problems.add(key, message, at)
    return table, tuple(uses)


def _is_block(key: Key) -> bool:
    """Whether a value is rendered as block Markdown (paragraphs), as content.py renders it."""
    return key[-1] == "text" or key[:2] == ("faq", "questions") and key[-1] == "answer"


def _problem(image: Image, key: Key) -> str | None:
    shows_images = key[0] not in ("book", "facts") and key[-1] in IMAGE_FIELDS
    if image.path is None:
        if not shows_images:
            return None  # plain text there: '![' is only characters
        return ("'![' starts an image, but what follows is not ![alt text](path \"optional caption\") "
                "(a path has no spaces or parentheses); to show '![' as text, write '\\!['")
    if not shows_images:
        where = {"book": "the book's details", "facts": "a fact"}.get(key[0], f"a '{key[-1]}'")
        return (f"an image cannot stand in {where} (it is shown as plain text or a label); "
                "put it in a text, a card or an entry's description")
    problem = path_problem(image.path)
    if problem:
        return f"image {problem}"
    if not image.alt.strip():
        return (f"image '{image.path}' has no alt text; describe what it shows between the brackets, "
                "for readers who cannot see it: ![A map of the route](images/route.png)")
    block = _is_block(key)
    if image.caption is not None and not (block and image.alone):
        return (f"image '{image.path}' has a caption, which shows only under an image that stands in a "
                "paragraph of its own in a text (a blank line before and after it); "
                + ("put it there, or drop the caption" if block else "here, say it in the words around the image"))
    return None
