"""Video frames that carry their own number, and PSNR to compare them.

Every frame the clients send has its sequence number painted into the top
16 luma rows as 20 blocks of 16x16 pixels (16 bits of number, 4 check bits),
black for 0 and white for 1. Blocks aligned to VP8's 16x16 macroblocks
survive lossy coding well, so an echoed frame can be matched to the frame
that was sent and the two compared pixel by pixel (PSNR of the luma plane).

Pure Python (no numpy): frames are small and PSNR is computed on a sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import av

BLOCK = 16
NUMBER_BITS = 16
CHECK_BITS = 4
STAMP_BLOCKS = NUMBER_BITS + CHECK_BITS
MIN_WIDTH = STAMP_BLOCKS * BLOCK  # 320
BLACK = 16  # ITU-R BT.601 video-range luma
WHITE = 235


@dataclass
class YuvPicture:
    width: int
    height: int
    y: bytearray
    u: bytes
    v: bytes


def check_bits(number: int) -> int:
    """Four check bits: the sum of the four nibbles, modulo 16."""
    return (number + (number >> 4) + (number >> 8) + (number >> 12)) & 0xF


def synthetic_picture(index: int, width: int, height: int) -> YuvPicture:
    """A moving diagonal ramp with slowly changing colour."""
    period = 256
    ramp = bytes((x * 3) % 256 for x in range(period)) * ((width // period) + 3)
    shift = (index * 4) % period
    rows = [ramp[(shift + row) % period :][:width] for row in range(height)]
    chroma_size = (width // 2) * (height // 2)
    u = bytes([(96 + index) % 256]) * chroma_size
    v = bytes([(160 - index) % 256]) * chroma_size
    return YuvPicture(width, height, bytearray(b"".join(rows)), u, v)


def stamp(picture: YuvPicture, number: int) -> None:
    """Paint the number (mod 2^16) and its check bits into the top rows."""
    number &= (1 << NUMBER_BITS) - 1
    word = (number << CHECK_BITS) | check_bits(number)
    for block in range(STAMP_BLOCKS):
        bit = (word >> (STAMP_BLOCKS - 1 - block)) & 1
        value = bytes([WHITE if bit else BLACK]) * BLOCK
        for row in range(BLOCK):
            start = row * picture.width + block * BLOCK
            picture.y[start : start + BLOCK] = value


def read_stamp(y: bytes, width: int) -> int | None:
    """The number painted by `stamp`, or None when the check bits disagree."""
    word = 0
    for block in range(STAMP_BLOCKS):
        total = 0
        for row in range(4, 12):
            start = row * width + block * BLOCK + 4
            total += sum(y[start : start + 8])
        word = (word << 1) | (1 if total / 64 > 128 else 0)
    number = word >> CHECK_BITS
    if word & 0xF != check_bits(number):
        return None
    return number


def psnr(a: bytes, b: bytes) -> float:
    """Peak signal-to-noise ratio of two equal-size 8-bit planes, in dB."""
    squared = sum((x - y) * (x - y) for x, y in zip(a, b))
    if squared == 0:
        return 100.0
    mse = squared / len(a)
    return 10 * math.log10(255 * 255 / mse)


def _plane_bytes(plane, width: int, height: int) -> bytes:
    data = bytes(plane)
    if plane.line_size == width:
        return data[: width * height]
    return b"".join(
        data[row * plane.line_size : row * plane.line_size + width] for row in range(height)
    )


def picture_from_frame(frame: av.VideoFrame, width: int, height: int) -> YuvPicture:
    """Convert any decoded frame to a yuv420p picture of the given size."""
    if frame.width != width or frame.height != height or frame.format.name != "yuv420p":
        frame = frame.reformat(width=width, height=height, format="yuv420p")
    return YuvPicture(
        width,
        height,
        bytearray(_plane_bytes(frame.planes[0], width, height)),
        _plane_bytes(frame.planes[1], width // 2, height // 2),
        _plane_bytes(frame.planes[2], width // 2, height // 2),
    )


def _fill_plane(plane, data: bytes, width: int, height: int) -> None:
    if plane.line_size == width:
        plane.update(data)
        return
    padding = bytes(plane.line_size - width)
    plane.update(
        b"".join(data[row * width : (row + 1) * width] + padding for row in range(height))
    )


def frame_from_picture(picture: YuvPicture) -> av.VideoFrame:
    frame = av.VideoFrame(picture.width, picture.height, "yuv420p")
    _fill_plane(frame.planes[0], bytes(picture.y), picture.width, picture.height)
    _fill_plane(frame.planes[1], picture.u, picture.width // 2, picture.height // 2)
    _fill_plane(frame.planes[2], picture.v, picture.width // 2, picture.height // 2)
    return frame


def write_ivf(path: str, frames: int, width: int = 320, height: int = 240, fps: int = 30) -> None:
    """Encode `frames` synthetic pictures as VP8 into an IVF file (for tests)."""
    with av.open(path, "w", format="ivf") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        for index in range(frames):
            frame = frame_from_picture(synthetic_picture(index * 3, width, height))
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
