"""Derived images with Pillow (and pillow-heif for HEIC/HEIF photos from phones).

Uploads come from anyone holding an upload URL, so decoding is defensive: only four
formats are tried, images above a pixel limit are refused from their header before any
pixel is decoded, and every Pillow failure becomes UnreadableImage.

The pixel limit is this adapter's own check, made right after the header is read.
Pillow's process-wide `Image.MAX_IMAGE_PIXELS` is left as it is (other code in the
process may rely on it), so it still applies on top: above it Pillow warns with
`DecompressionBombWarning` (and the image is refused here anyway, the limit being lower),
above twice it Pillow raises `DecompressionBombError`, mapped to UnreadableImage. Warnings
are not turned into errors because `warnings.catch_warnings` is not thread-safe before
Python 3.14, and these methods run on worker threads.
"""

from __future__ import annotations

import functools
import io
from typing import Final

from PIL import ExifTags, Image, ImageCms

from carehub.documents.ports import ImageInfo, UnreadableImage

# 50 megapixels: above any phone or camera photo a clinic receives (a 48 MP phone sensor
# fits); decoded as RGB that is 150 MB, twice that while resizing.
DEFAULT_MAX_PIXELS: Final = 50_000_000
# What Pillow calls the formats carehub accepts (pillow-heif registers HEIC as "HEIF").
FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF")
# EXIF orientation -> what turns the stored pixels upright (as `ImageOps.exif_transpose`).
_UPRIGHT: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Orientations 5-8 turn the image a quarter: the shown width is the stored height.
_QUARTER_TURNS: Final = frozenset({5, 6, 7, 8})
_WHITE: Final = (255, 255, 255)


@functools.cache
def _open_heif_too() -> None:
    """Teach Pillow HEIC/HEIF, on first use: libheif costs a process that never sees an
    image (most API processes) several megabytes."""
    import pillow_heif

    pillow_heif.register_heif_opener()


class PillowImages:
    """ImageProcessor over Pillow: JPEG, PNG, WebP and HEIC/HEIF in, metadata-free JPEG
    out."""

    def __init__(self, *, max_pixels: int = DEFAULT_MAX_PIXELS, draft: bool = True) -> None:
        """`draft` False decodes JPEGs at full size: only to measure what drafting saves."""
        self._max_pixels = max_pixels
        self._draft = draft

    def inspect(self, data: bytes) -> ImageInfo:
        """The image's size as shown, read from its header alone; UnreadableImage."""
        with self._open(data) as image:
            width, height = image.size
            if _orientation(image) in _QUARTER_TURNS:
                width, height = height, width
            return ImageInfo(width=width, height=height)

    def derive(self, data: bytes, *, max_width: int, quality: int) -> bytes:
        """A JPEG at most `max_width` wide, upright, in RGB, with no metadata but its
        colour profile; UnreadableImage."""
        with self._open(data) as image:
            try:
                return _derive(image, max_width=max_width, quality=quality, draft=self._draft)
            except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
                raise UnreadableImage("the image does not decode") from error

    def _open(self, data: bytes) -> Image.Image:
        """The image, opened lazily (no pixel decoded) and refused above the pixel limit."""
        _open_heif_too()
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            # UnidentifiedImageError (an OSError) for garbage and other formats.
            raise UnreadableImage("not a JPEG, PNG, WebP or HEIF image") from error
        width, height = image.size
        if width < 1 or height < 1 or width * height > self._max_pixels:
            image.close()
            raise UnreadableImage("the image is too large to decode")
        return image


def _derive(image: Image.Image, *, max_width: int, quality: int, draft: bool) -> bytes:
    orientation = _orientation(image)
    turned = orientation in _QUARTER_TURNS
    shown_width, shown_height = image.size[::-1] if turned else image.size
    width, height = shown_width, shown_height
    if shown_width > max_width:  # never enlarge
        width, height = max_width, max(1, round(shown_height * max_width / shown_width))
    stored_size = (height, width) if turned else (width, height)
    if draft and image.format == "JPEG":
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale while the result stays at least the
        # target size: far fewer pixels decoded and resized (see bench/documents_bench.py).
        image.draft("RGB", stored_size)
    icc_profile = image.info.get("icc_profile")
    rgb, icc_profile = _as_rgb(image, icc_profile)
    if rgb.size != stored_size:
        # A box reduction by whole factors first, Lanczos over the last factor of 2 at
        # least (`Image.thumbnail`'s default): a 320 px thumb of an undrafted 4 MP image
        # took about half the time of Lanczos all the way.
        rgb = rgb.resize(stored_size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    # Turned after resizing (fewer pixels to move), by the orientation read at open: the
    # one `inspect` reported, whatever decoding adds to `info` later.
    upright = rgb.transpose(_UPRIGHT[orientation]) if orientation in _UPRIGHT else rgb
    # Pillow's JPEG writer copies a comment from `info`: nothing of the source may follow.
    upright.info = {}
    out = io.BytesIO()
    # optimize (Huffman tables fitted to the image): about 16% smaller for ~10 ms at
    # 1600 px; progressive saved nothing more and took twice as long to write.
    options: dict[str, object] = {"quality": quality, "optimize": True}
    if icc_profile:
        options["icc_profile"] = icc_profile
    upright.save(out, "JPEG", **options)
    return out.getvalue()


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation the header carries (1 without one).

    Read from the EXIF found while opening, not `getexif()`: for a PNG that would decode
    every pixel looking for an eXIf chunk after the image data. Broken EXIF counts as no
    orientation rather than an unreadable photo.
    """
    raw = image.info.get("exif")
    if not isinstance(raw, bytes) or not raw:
        return 1
    exif = Image.Exif()
    try:
        exif.load(raw)
    except Exception:  # any malformed IFD; the pixels may still be fine
        return 1
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _as_rgb(image: Image.Image, icc_profile: bytes | None) -> tuple[Image.Image, bytes | None]:
    """The image in 8-bit RGB, transparency flattened onto white, and the colour profile
    that still describes it (None when the source's was not an RGB one)."""
    mode = image.mode
    if mode == "RGB":
        return image, _rgb_profile(icc_profile)
    if mode == "P":
        mode = "RGBA" if "transparency" in image.info else "RGB"
        image = image.convert(mode)
    elif mode.startswith("I"):
        # 16-bit greyscale (PNG): scale to 8 bits rather than clip at 255.
        image = image.convert("F").point(lambda v: v / 256).convert("L")
        mode = "L"
    if mode in ("RGBA", "LA", "La", "RGBa", "PA"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _WHITE)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat, _rgb_profile(icc_profile)
    if icc_profile and mode in ("CMYK", "L"):
        # A CMYK or grey profile cannot describe RGB pixels: convert through it to sRGB.
        try:
            converted = ImageCms.profileToProfile(
                image, io.BytesIO(icc_profile), _srgb(), outputMode="RGB"
            )
        except ImageCms.PyCMSError:
            converted = None
        if converted is not None:
            return converted, None
    rgb = image.convert("RGB")
    return rgb, _rgb_profile(icc_profile) if mode == "RGB" else None


def _rgb_profile(icc_profile: bytes | None) -> bytes | None:
    """The profile if it is an RGB one (its colour-space field, bytes 16-19)."""
    if icc_profile and icc_profile[16:20] == b"RGB ":
        return icc_profile
    return None


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    """The sRGB profile, made the first time a CMYK or grey profile needs converting."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
