"""PillowImages over images made here with Pillow: what a derived variant keeps, loses and
refuses."""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
import pytest
from PIL import Image, ImageCms

from carehub.adapters.images.pillow import PillowImages
from carehub.documents.ports import ImageInfo, UnreadableImage

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)
ORIENTATION, MAKE, MODEL, EXIF_IFD, GPS_IFD = 0x0112, 0x010F, 0x0110, 0x8769, 0x8825
DATE_TIME_ORIGINAL = 0x9003
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
HEIF_ENCODES = bool(pillow_heif.libheif_info()["HEIF"])


@pytest.fixture(scope="module")
def images() -> PillowImages:
    return PillowImages()


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def marked(size: tuple[int, int]) -> Image.Image:
    """Blue, with a red square in the top-left corner."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 5, size[1] // 5))
    return image


def phone_exif(orientation: int) -> Image.Exif:
    """What a phone writes: orientation, camera, time taken and where."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "Acme"
    exif[MODEL] = "Acme Phone 9"
    exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = "2024:05:01 10:11:12"
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (48.0, 51.0, 29.5), 3: "E", 4: (2.0, 17.0, 40.2), 5: 0, 6: 35.0}
    )
    return exif


def close_to(pixel: object, colour: tuple[int, int, int], slack: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= slack for a, b in zip(pixel, colour, strict=True))


def png_claiming(width: int, height: int) -> bytes:
    """A few bytes of PNG whose header claims `width` x `height` one-bit pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


# --- metadata and orientation ------------------------------------------------------------


def test_a_phone_photo_loses_every_piece_of_metadata(images: PillowImages) -> None:
    source = encoded(
        marked((400, 200)), "JPEG", exif=phone_exif(6), xmp=XMP, comment=b"ward 3, bed 12"
    )
    went_in = Image.open(io.BytesIO(source))
    assert went_in.getexif().get_ifd(GPS_IFD)
    assert {"exif", "xmp", "comment"} <= set(went_in.info)

    out = images.derive(source, max_width=1600, quality=80)

    image = opened(out)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert not {"exif", "xmp", "comment"} & set(image.info)
    assert b"Exif\0\0" not in out
    for leak in (b"Acme", b"2024:05:01", b"xmpmeta", b"ward 3"):
        assert leak not in out


def test_orientation_6_is_turned_upright(images: PillowImages) -> None:
    # Orientation 6: shown turned a quarter clockwise; the stored top-left is shown top-right.
    source = encoded(marked((400, 200)), "JPEG", exif=phone_exif(6), quality=95)

    image = opened(images.derive(source, max_width=1600, quality=90))

    assert image.size == (200, 400)
    assert close_to(image.getpixel((190, 10)), RED)
    assert close_to(image.getpixel((10, 10)), BLUE)
    assert close_to(image.getpixel((190, 390)), BLUE)


def test_orientation_is_applied_before_the_width_limit(images: PillowImages) -> None:
    source = encoded(marked((400, 200)), "JPEG", exif=phone_exif(6), quality=95)

    image = opened(images.derive(source, max_width=100, quality=90))

    assert image.size == (100, 200)
    assert close_to(image.getpixel((95, 5)), RED)
    assert close_to(image.getpixel((5, 5)), BLUE)


@pytest.mark.parametrize(
    ("size", "max_width", "expected"),
    [
        ((3000, 2000), 1600, (1600, 1067)),
        ((3000, 2000), 320, (320, 213)),
        ((2448, 1632), 320, (320, 213)),  # drafted at 1/4 scale, then resized
        ((1000, 3000), 320, (320, 960)),
        ((300, 200), 1600, (300, 200)),  # never enlarged
        ((320, 10), 320, (320, 10)),
    ],
)
def test_width_is_capped_and_the_aspect_ratio_kept(
    images: PillowImages,
    size: tuple[int, int],
    max_width: int,
    expected: tuple[int, int],
) -> None:
    out = images.derive(encoded(marked(size), "JPEG"), max_width=max_width, quality=80)

    assert opened(out).size == expected


def test_an_rgb_colour_profile_is_kept(images: PillowImages) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encoded(marked((400, 200)), "JPEG", icc_profile=srgb, exif=phone_exif(1))

    image = opened(images.derive(source, max_width=100, quality=80))

    assert image.info.get("icc_profile") == srgb


def test_the_same_upload_derives_the_same_bytes(images: PillowImages) -> None:
    source = encoded(marked((900, 700)), "JPEG", exif=phone_exif(6))

    first = images.derive(source, max_width=320, quality=80)

    assert images.derive(source, max_width=320, quality=80) == first
    assert PillowImages().derive(source, max_width=320, quality=80) == first


# --- colour modes and formats ------------------------------------------------------------


def test_transparency_is_flattened_onto_white(images: PillowImages) -> None:
    source = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    source.paste((255, 0, 0, 255), (100, 0, 200, 100))

    for fmt in ("PNG", "WEBP"):
        image = opened(
            images.derive(encoded(source, fmt, lossless=True), max_width=200, quality=90)
        )

        assert image.mode == "RGB"
        assert close_to(image.getpixel((20, 50)), WHITE, slack=8)
        assert close_to(image.getpixel((180, 50)), RED)


def test_palette_png_with_a_transparent_colour_is_flattened(images: PillowImages) -> None:
    source = Image.new("P", (100, 100), 0)
    source.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    source.paste(1, (50, 0, 100, 100))

    image = opened(images.derive(encoded(source, "PNG", transparency=0), max_width=100, quality=90))

    assert close_to(image.getpixel((10, 50)), WHITE, slack=8)
    assert close_to(image.getpixel((90, 50)), RED)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("P", "PNG"),
        ("L", "PNG"),
        ("LA", "PNG"),
        ("1", "PNG"),
        ("L", "JPEG"),
        ("CMYK", "JPEG"),
        ("RGB", "WEBP"),
        ("RGB", "PNG"),
    ],
)
def test_every_colour_mode_becomes_rgb_jpeg(images: PillowImages, mode: str, fmt: str) -> None:
    source = encoded(marked((400, 300)).convert(mode), fmt)
    assert Image.open(io.BytesIO(source)).mode == mode

    image = opened(images.derive(source, max_width=200, quality=90))

    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (200, 150))
    if mode not in ("L", "LA", "1"):
        assert close_to(image.getpixel((10, 10)), RED, slack=60)
        assert close_to(image.getpixel((150, 100)), BLUE, slack=60)


def test_16_bit_greyscale_is_scaled_not_clipped(images: PillowImages) -> None:
    source = Image.new("I;16", (100, 100), 0x8000)

    image = opened(images.derive(encoded(source, "PNG"), max_width=100, quality=95))

    assert image.mode == "RGB"
    assert close_to(image.getpixel((50, 50)), (128, 128, 128), slack=4)


heif_encoder = pytest.mark.skipif(
    not HEIF_ENCODES, reason="this libheif build has no HEVC encoder to make a HEIC with"
)


@heif_encoder
def test_a_heic_photo_derives_upright_without_metadata(images: PillowImages) -> None:
    pillow_heif.register_heif_opener()
    source = encoded(marked((400, 200)), "HEIF", exif=phone_exif(1), quality=90)
    assert source[4:12] in (b"ftypheic", b"ftypmif1")

    out = images.derive(source, max_width=100, quality=80)

    image = opened(out)
    assert (image.format, image.size) == ("JPEG", (100, 50))
    assert dict(image.getexif()) == {}
    assert b"Acme" not in out
    assert close_to(image.getpixel((5, 5)), RED, slack=60)


# --- inspect -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "shown", "red_corner"),
    [
        (1, (400, 200), (10, 10)),
        (3, (400, 200), (390, 190)),
        (5, (200, 400), (10, 10)),
        (6, (200, 400), (190, 10)),
        (8, (200, 400), (10, 390)),
    ],
)
def test_inspect_and_derive_agree_on_the_shown_image(
    images: PillowImages,
    orientation: int,
    shown: tuple[int, int],
    red_corner: tuple[int, int],
) -> None:
    source = encoded(marked((400, 200)), "JPEG", exif=phone_exif(orientation), quality=95)

    assert images.inspect(source) == ImageInfo(*shown)
    image = opened(images.derive(source, max_width=1600, quality=80))
    assert image.size == shown
    assert close_to(image.getpixel(red_corner), RED)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_inspect_reads_each_format(images: PillowImages, fmt: str) -> None:
    assert images.inspect(encoded(marked((123, 45)), fmt)) == ImageInfo(123, 45)


@heif_encoder
def test_inspect_reads_heic(images: PillowImages) -> None:
    pillow_heif.register_heif_opener()
    assert images.inspect(encoded(marked((128, 64)), "HEIF")) == ImageInfo(128, 64)


# --- refusals ----------------------------------------------------------------------------


def refused_by_both(images: PillowImages, data: bytes) -> None:
    with pytest.raises(UnreadableImage):
        images.inspect(data)
    with pytest.raises(UnreadableImage):
        images.derive(data, max_width=320, quality=80)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"\xff\xd8\xff" + bytes(range(256)) * 4,  # a JPEG signature over garbage
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        b"%PDF-1.7\n",
    ],
    ids=["empty", "text", "jpeg-garbage", "png-garbage", "pdf"],
)
def test_garbage_is_unreadable(images: PillowImages, data: bytes) -> None:
    refused_by_both(images, data)


def test_a_jpeg_cut_in_its_header_is_unreadable(images: PillowImages) -> None:
    source = encoded(marked((400, 200)), "JPEG", exif=phone_exif(1))
    refused_by_both(images, source[: source.index(b"\xff\xc0")])


def test_a_jpeg_cut_in_its_pixels_does_not_derive(images: PillowImages) -> None:
    source = encoded(Image.effect_noise((800, 600), 60).convert("RGB"), "JPEG")

    with pytest.raises(UnreadableImage):
        images.derive(source[: len(source) // 2], max_width=320, quality=80)


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "BMP"])
def test_other_formats_are_unreadable(images: PillowImages, fmt: str) -> None:
    refused_by_both(images, encoded(marked((40, 20)), fmt))


def test_a_decompression_bomb_is_refused_from_its_header(images: PillowImages) -> None:
    # 900 megapixels claimed in a few dozen bytes: past twice Pillow's own limit, which
    # raises DecompressionBombError.
    bomb = png_claiming(30000, 30000)
    assert len(bomb) < 100

    refused_by_both(images, bomb)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_an_image_between_the_limits_is_refused(images: PillowImages) -> None:
    # 100 megapixels: under Pillow's error, above its warning and this adapter's 50 MP.
    refused_by_both(images, png_claiming(10000, 10000))


def test_the_pixel_limit_is_the_instance_own() -> None:
    source = encoded(marked((100, 100)), "PNG")

    refused_by_both(PillowImages(max_pixels=9_999), source)
    assert PillowImages(max_pixels=10_000).inspect(source) == ImageInfo(100, 100)
