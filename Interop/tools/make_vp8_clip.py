#!/usr/bin/env python3
"""Writes a small VP8 clip in an IVF container for the RTP tests and `tandem echo-client`.

Usage: make_vp8_clip.py OUTPUT.ivf [--width 320] [--height 240] [--fps 30] [--seconds 3]

The picture is a moving colour pattern (diagonal gradient plus a bouncing square), so every frame
differs and the encoder produces both a key frame and inter frames. Verify with --verify, which
decodes the file back with PyAV and prints frame count and dimensions.
"""
import argparse
import fractions
import sys

import av


RAMP = bytes(range(256)) * 8


def plane(width: int, height: int, step_x: int, step_y: int, shift: int) -> bytearray:
    """A diagonal gradient; `shift` moves it from frame to frame."""
    data = bytearray()
    for y in range(height):
        start = (y * step_y + shift) % 256
        data += RAMP[start:start + width * step_x:step_x]
    return data


def make_frame(index: int, width: int, height: int) -> av.VideoFrame:
    luma = plane(width, height, 1, 1, index * 4)
    side = height // 4
    left = (index * 7) % max(1, width - side)
    top = abs((index * 5) % (2 * (height - side)) - (height - side))
    for y in range(top, top + side):
        luma[y * width + left:y * width + left + side] = b"\xeb" * side
    frame = av.VideoFrame(width, height, "yuv420p")
    chroma_u = plane(width // 2, height // 2, 1, 2, index * 3)
    chroma_v = plane(width // 2, height // 2, 2, 1, 256 - index * 2)
    for target, data in zip(frame.planes, (luma, chroma_u, chroma_v)):
        target.update(bytes(data))
    return frame


def write(path: str, width: int, height: int, fps: int, seconds: int) -> None:
    with av.open(path, mode="w", format="ivf") as container:
        stream = container.add_stream("libvpx", rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 300_000
        stream.time_base = fractions.Fraction(1, fps)
        for index in range(fps * seconds):
            frame = make_frame(index, width, height)
            frame.pts = index
            frame.time_base = stream.time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def verify(path: str) -> None:
    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        print(f"{path}: codec={stream.codec_context.name} frames={len(frames)} "
              f"size={frames[0].width}x{frames[0].height}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--verify", action="store_true", help="only decode OUTPUT and print what it holds")
    args = parser.parse_args()
    if not args.verify:
        write(args.output, args.width, args.height, args.fps, args.seconds)
    verify(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
