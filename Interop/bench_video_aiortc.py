#!/usr/bin/env python3
"""Screen video between two aiortc 1.16 peers in one asyncio loop, on 127.0.0.1.

The reference half of `tandem-bench video` (Sources/tandem-bench/VideoCallBenchmark.swift),
with the same three figures and the same call set-up: the offerer has one sendonly VP8 video
transceiver, the answerer receives; host candidates on loopback only, no STUN or TURN server.

- Glass-to-glass latency: a VideoStreamTrack paces frames at --fps on its own clock (when the
  encoder falls behind, missed slots are skipped, as a capturer would). Each frame is a
  luma-only imitation of the Swift SyntheticScreen "typing" desktop (a window of glyph-like
  marks, one more character per frame) with its frame number stamped into the top 16 rows
  (video_pattern.stamp). The capture instant is when recv() hands the frame to aiortc's
  sender; the decode instant is when the answerer's remote track's recv() returns it (the
  stamp is read from the top 16 luma rows only). Swift matches by RTP timestamp instead.
- Connection -> first decoded picture: from both sides reporting connectionState "connected"
  (frames are held back until then, as the Swift sender starts after `connected()`) to the
  first decoded frame; --calls fresh calls, the first one being the latency call (--seconds)
  and the others 1 s long, as on the Swift side.
- Static desktop bitrate: the same picture every frame (aiortc has no change detection, the
  Swift side does) for --static-seconds; bytes the sender sent between connection + 2 s and
  the end: outbound-rtp bytesSent (RTP payloads: VP8 data) and, as "wire", the DTLS
  transport's bytesSent (SRTP packets with headers, RTCP).

Percentiles are nearest-rank, as Summary.swift. Prints human-readable lines, then one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from fractions import Fraction

import aiortc
from aiortc.codecs import vpx
from aiortc.mediastreams import MediaStreamError, VideoStreamTrack

import aiortc_common as common
import video_pattern as pattern

DESKTOP, PAPER, TITLE_BAR, INK = 102, 235, 58, 43  # BT.601 video-range luma of the Swift colours

encode_ms: list[float] = []
encoder_restarts = 0
_original_encode = vpx.Vp8Encoder.encode


def _timed_encode(self, frame, force_keyframe=False):
    """aiortc's VP8 encode, timed; counts re-creations of the libvpx context (bitrate changes)."""
    global encoder_restarts
    before = self.codec
    start = time.perf_counter()
    result = _original_encode(self, frame, force_keyframe)
    encode_ms.append((time.perf_counter() - start) * 1000)
    encoder_restarts += before is not None and self.codec is not before
    return result


vpx.Vp8Encoder.encode = _timed_encode


class Screen:
    """Luma-only desktop after SyntheticScreen.swift: page of text, typing below half of it."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.line_height = max(8, height // 45)
        self.glyph_width = max(3, self.line_height // 2)
        wx, wy, ww, wh = width // 16, height // 12, width * 7 // 8, height * 5 // 6
        title = max(6, height // 30)
        self.text_x, self.text_y = wx + self.glyph_width, wy + title + self.line_height // 2
        text_width = ww - 2 * self.glyph_width
        self.lines = max(1, (wh - title - self.line_height) // self.line_height)
        self.per_line = max(1, text_width // self.glyph_width)
        base = bytearray([DESKTOP]) * (width * height)
        for row in range(wy, wy + wh):
            colour = TITLE_BAR if row < wy + title else PAPER
            base[row * width + wx : row * width + wx + ww] = bytes([colour]) * ww
        self.base = bytes(base)
        # A few distinct lines of "words", each as line_height rows of per_line glyphs.
        self.line_rows = [self._text_line(seed, text_width) for seed in range(8)]
        self.chroma = bytes([128]) * ((width // 2) * (height // 2))

    def _text_line(self, seed: int, text_width: int) -> list[bytes]:
        rng, gw, lh = random.Random(seed), self.glyph_width, self.line_height
        rows = [bytearray([PAPER]) * text_width for _ in range(lh)]
        glyph_h, stroke = max(2, lh * 2 // 3), max(1, (gw - 1) // 4)
        column = 0
        while column < self.per_line:
            length = rng.randint(1, 9)
            for character in range(min(length, self.per_line - column)):
                x, shape = (column + character) * gw, rng.getrandbits(7)
                stem = x + (shape % 3) * (gw - 1 - stroke) // 2
                top = (shape >> 2 & 1) * glyph_h // 3
                for row in range(top, min(lh, top + glyph_h * 2 // 3 + 1)):
                    rows[row][stem : stem + stroke] = bytes([INK]) * stroke
                for bit, bar in ((4, 0), (5, glyph_h // 2), (6, glyph_h - stroke)):
                    if shape >> bit & 1:
                        for row in range(bar, bar + stroke):
                            rows[row][x : x + gw - 1] = bytes([INK]) * (gw - 1)
            column += length + 1
        return [bytes(row) for row in rows]

    def picture(self, typed: int | None) -> pattern.YuvPicture:
        """The full page (typed None) or half a page plus `typed` characters and a cursor."""
        y = bytearray(self.base)
        half = self.lines // 2
        last_line = self.lines if typed is None else half + (typed // self.per_line) % (self.lines - half)
        for line in range(last_line + (typed is not None)):
            chars = self.per_line if line < last_line else typed % self.per_line
            top = self.text_y + line * self.line_height
            span = chars * self.glyph_width
            for offset, row in enumerate(self.line_rows[line % len(self.line_rows)]):
                start = (top + offset) * self.width + self.text_x
                y[start : start + span] = row[:span]
            cursor = max(1, self.glyph_width // 3)
            for offset in range(self.line_height - 1 if line == last_line else 0):
                start = (top + offset) * self.width + self.text_x + span
                y[start : start + cursor] = bytes([INK]) * cursor
        return pattern.YuvPicture(self.width, self.height, y, self.chroma, self.chroma)


class PacedScreenTrack(VideoStreamTrack):
    """Frames at `fps` once `go` is set: stamped typing, or one static picture."""

    def __init__(self, screen: Screen, fps: int, typing: bool, seconds: float, go: asyncio.Event) -> None:
        super().__init__()
        self.screen, self.fps, self.typing, self.seconds, self.go = screen, fps, typing, seconds, go
        self.static = None if typing else screen.picture(None)
        self.captured: dict[int, int] = {}  # frame number -> monotonic ns when handed out
        self.sent, self.slot, self.start = 0, 0, 0.0

    async def recv(self):
        await self.go.wait()
        if self.sent == 0:
            self.start = time.monotonic()
        if self.slot / self.fps >= self.seconds:
            await asyncio.Future()  # the call is over: hold the sender until close
        if self.typing:
            picture = self.screen.picture(self.sent)
            pattern.stamp(picture, self.sent)
        else:
            picture = self.static
        frame = pattern.frame_from_picture(picture)
        self.slot = max(self.slot, int((time.monotonic() - self.start) * self.fps))  # skip missed slots
        delay = self.start + self.slot / self.fps - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        frame.pts, frame.time_base = round(self.slot * 90000 / self.fps), Fraction(1, 90000)
        self.captured[self.sent & 0xFFFF] = time.monotonic_ns()
        self.sent += 1
        self.slot += 1
        return frame


def stamp_of(frame, width: int, height: int) -> int | None:
    """The stamped number, from the first 320 columns of the top 16 luma rows."""
    if frame.width != width or frame.height != height or frame.format.name != "yuv420p":
        picture = pattern.picture_from_frame(frame, width, height)
        return pattern.read_stamp(picture.y, width)
    plane, columns = frame.planes[0], pattern.MIN_WIDTH
    data = memoryview(plane)
    rows = b"".join(data[row * plane.line_size : row * plane.line_size + columns] for row in range(pattern.BLOCK))
    return pattern.read_stamp(rows, columns)


async def sender_bytes(pc: aiortc.RTCPeerConnection) -> tuple[int, int]:
    """(outbound-rtp bytesSent, transport bytesSent) of the offerer's one sender."""
    report = await pc.getSenders()[0].getStats()
    video = sum(s.bytesSent for s in report.values() if s.type == "outbound-rtp")
    wire = sum(s.bytesSent for s in report.values() if s.type == "transport")
    return video, wire


async def call(screen: Screen, fps: int, typing: bool, seconds: float, measure_from: float = 0.0) -> dict:
    offerer, answerer = common.new_peer_connection(), common.new_peer_connection()
    go = asyncio.Event()
    connected: set[str] = set()
    timeline: dict = {"decoded": []}
    for name, pc in (("offerer", offerer), ("answerer", answerer)):
        def on_change(name=name, pc=pc) -> None:
            if pc.connectionState == "connected":
                connected.add(name)
                if len(connected) == 2 and not go.is_set():
                    timeline["connected"] = time.monotonic_ns()
                    go.set()
        pc.on("connectionstatechange", on_change)
    track = PacedScreenTrack(screen, fps, typing, seconds, go)
    offerer.addTransceiver(track, direction="sendonly")

    async def consume(remote) -> None:
        try:
            while True:
                frame = await remote.recv()
                at = time.monotonic_ns()
                timeline.setdefault("first", at)
                timeline["decoded"].append((stamp_of(frame, screen.width, screen.height) if typing else None, at))
        except MediaStreamError:
            pass

    consumers: list[asyncio.Task] = []
    answerer.on("track", lambda remote: consumers.append(asyncio.ensure_future(consume(remote))))
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)
    await asyncio.wait_for(go.wait(), timeout=10)
    connected_s = time.monotonic()
    await asyncio.sleep(measure_from)
    before, window_start = await sender_bytes(offerer), time.monotonic()
    await asyncio.sleep(max(0.0, connected_s + seconds - time.monotonic()))
    after, window = await sender_bytes(offerer), time.monotonic() - window_start
    await asyncio.sleep(0.3)
    await offerer.close()
    await answerer.close()
    [task.cancel() for task in consumers]
    matched = [(at - track.captured[n]) / 1e6 for n, at in timeline["decoded"] if n in track.captured]
    if "first" not in timeline:
        raise SystemExit("bench_video_aiortc: no picture was decoded")
    return {
        "latencies": matched, "sent": track.sent, "decoded": len(timeline["decoded"]),
        "fps": track.sent / seconds,
        "first_picture_ms": (timeline["first"] - timeline["connected"]) / 1e6,
        "video_kbps": (after[0] - before[0]) * 8 / window / 1000,
        "wire_kbps": (after[1] - before[1]) * 8 / window / 1000,
    }


def percentile(ordered: list[float], percent: float) -> float:
    rank = -(-percent * len(ordered) // 100)
    return ordered[max(0, min(len(ordered) - 1, int(rank) - 1))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=10, help="seconds of typing for the latency figures")
    parser.add_argument("--static-seconds", type=int, default=12, help="seconds of a static desktop (first 2 s left out)")
    parser.add_argument("--calls", "--first-frame-calls", dest="calls", type=int, default=5,
                        help="calls for the time-to-first-picture figure")
    args = parser.parse_args()
    if args.width < pattern.MIN_WIDTH or args.width % 2 or args.height % 2 or args.height < 32:
        parser.error(f"width must be even and at least {pattern.MIN_WIDTH}, height even and at least 32")
    common.keep_ice_on_loopback()
    screen = Screen(args.width, args.height)

    print(f"bench_video_aiortc (aiortc {aiortc.__version__}): {args.width}x{args.height} at {args.fps} fps, "
          "two peer connections on 127.0.0.1")
    first_pictures, latency_call = [], None
    for index in range(args.calls):
        result = await call(screen, args.fps, True, args.seconds if index == 0 else 1)
        first_pictures.append(result["first_picture_ms"])
        if index == 0:
            latency_call, encode_median = result, statistics.median(encode_ms)
            restarts = encoder_restarts
    lat = sorted(latency_call["latencies"])
    if not lat:
        raise SystemExit("bench_video_aiortc: frames decoded but none matched a stamped frame number")
    g2g = {"median": statistics.median(lat), "p90": percentile(lat, 90), "p99": percentile(lat, 99),
           "max": lat[-1], "count": len(lat)}
    print(f"glass-to-glass (capture → decoded), {len(lat)} pictures: median {g2g['median']:.2f} ms, "
          f"p90 {g2g['p90']:.2f}, p99 {g2g['p99']:.2f}, max {g2g['max']:.2f}")
    print(f"  frames sent {latency_call['sent']} ({latency_call['fps']:.1f} fps), decoded {latency_call['decoded']}, "
          f"matched {len(lat)}, encode median {encode_median:.2f} ms, encoder re-created {restarts} times")
    first = {"median": statistics.median(first_pictures), "min": min(first_pictures),
             "max": max(first_pictures), "calls": args.calls}
    print(f"connection up → first decoded picture ({args.calls} calls): median {first['median']:.2f} ms, "
          f"min {first['min']:.2f}, max {first['max']:.2f}")
    still = await call(screen, args.fps, False, args.static_seconds, measure_from=2)
    print(f"static desktop, {args.static_seconds - 2} s after the first 2: video {still['video_kbps']:.2f} kbit/s, "
          f"on the wire {still['wire_kbps']:.2f} kbit/s ({still['sent']} frames sent, no change detection)")
    print(json.dumps({
        "peer": f"aiortc {aiortc.__version__}", "width": args.width, "height": args.height,
        "glass_to_glass_ms": g2g, "fps": latency_call["fps"], "frames_sent": latency_call["sent"],
        "frames_decoded": latency_call["decoded"], "frames_matched": len(lat),
        "encode_median_ms": encode_median, "encoder_restarts": restarts,
        "first_picture_ms": first, "static_kbps": still["video_kbps"], "static_wire_kbps": still["wire_kbps"],
    }))


if __name__ == "__main__":
    asyncio.run(main())
