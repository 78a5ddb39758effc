#!/usr/bin/env python3
"""WebRTC Echo Test client peer built on aiortc 1.16.

Offers a VP8 video track (frames from --ivf, else a synthetic moving
pattern), optionally the data channels of the data-channel echo protocol
(Interop/README.md), POSTs the offer as JSON to the echo
server (WebRTC Echo Test specification, sipsorcery/webrtc-echoes), applies
the answer, decodes the echoed video and matches each echoed frame to the
frame that was sent (frame numbers are painted into the picture, see
video_pattern.py) to compute PSNR.

Prints one JSON line and exits 0 when the expected outcome happened: the
echo worked, or, with --tamper-fingerprint, the call failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from fractions import Fraction

import aiohttp
import av
from aiortc import MediaStreamTrack, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

import aiortc_common as common
import datachannel_protocol as dcp
import video_pattern

FPS = 30
SENT_HISTORY = 1024  # sent pictures kept for matching echoes
PSNR_SAMPLES = 60  # matched frames compared pixel by pixel (pure Python)


class NumberedVideoTrack(MediaStreamTrack):
    """Sends numbered pictures at FPS; remembers them for PSNR."""

    kind = "video"

    def __init__(self, width: int, height: int, ivf: str | None) -> None:
        super().__init__()
        self.width = width
        self.height = height
        self.ivf = ivf
        self.container: av.container.InputContainer | None = None
        self.decoded = None
        self.sent: dict[int, bytes] = {}
        self.frames_sent = 0
        self.started: float | None = None

    def _next_ivf_picture(self) -> video_pattern.YuvPicture:
        for _ in range(2):  # second pass after rewinding at end of file
            if self.container is None:
                self.container = av.open(self.ivf)
                self.decoded = self.container.decode(video=0)
            try:
                frame = next(self.decoded)
                return video_pattern.picture_from_frame(frame, self.width, self.height)
            except StopIteration:
                self.container.close()
                self.container = None
        raise RuntimeError(f"{self.ivf} holds no video frame")

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        index = self.frames_sent
        if self.started is None:
            self.started = time.monotonic()
        else:
            await asyncio.sleep(max(0.0, self.started + index / FPS - time.monotonic()))
        if self.ivf:
            picture = self._next_ivf_picture()
        else:
            picture = video_pattern.synthetic_picture(index, self.width, self.height)
        video_pattern.stamp(picture, index)
        self.sent[index & 0xFFFF] = bytes(picture.y)
        self.sent.pop((index - SENT_HISTORY) & 0xFFFF, None)
        frame = video_pattern.frame_from_picture(picture)
        frame.pts = index * 3000  # 90 kHz clock
        frame.time_base = Fraction(1, 90000)
        self.frames_sent += 1
        return frame


class EchoReceiver:
    """Decoded echoed frames: counts them and scores those it can match."""

    def __init__(self, sent_track: NumberedVideoTrack, start: float) -> None:
        self.sent_track = sent_track
        self.start = start
        self.frames_decoded = 0
        self.frames_matched = 0
        self.first_frame_ms: float | None = None
        self.psnr_values: list[float] = []
        self.size: tuple[int, int] | None = None

    async def consume(self, track: MediaStreamTrack) -> None:
        width, height = self.sent_track.width, self.sent_track.height
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.frames_decoded += 1
            self.size = (frame.width, frame.height)
            if self.first_frame_ms is None:
                self.first_frame_ms = (time.monotonic() - self.start) * 1000
            picture = video_pattern.picture_from_frame(frame, width, height)
            number = video_pattern.read_stamp(picture.y, width)
            original = self.sent_track.sent.get(number) if number is not None else None
            if original is None:
                continue
            self.frames_matched += 1
            if len(self.psnr_values) < PSNR_SAMPLES:
                self.psnr_values.append(video_pattern.psnr(picture.y, original))


class DataChannelClient:
    """The client side of the data-channel echo protocol (README, "Data-channel
    echo protocol"): three channels of its own, echo checks, the server's
    probe channel, and a close started here."""

    def __init__(self, pc, count: int) -> None:
        self.count = count
        self.sent: list[list[str | bytes]] = [[] for _ in dcp.CLIENT_CHANNELS]
        self.echoed: list[list[str | bytes]] = [[] for _ in dcp.CLIENT_CHANNELS]
        self.channels = []
        self.server_messages: list[str | bytes] = []
        self.server_channel_closed = False
        self.progress = asyncio.Event()  # set on every event that may end the wait
        for index, spec in enumerate(dcp.CLIENT_CHANNELS):
            channel = pc.createDataChannel(
                spec.label, ordered=spec.ordered, negotiated=spec.negotiated, id=spec.id
            )
            self._attach(channel, index)
            self.channels.append(channel)

        @pc.on("datachannel")
        def on_server_channel(channel) -> None:
            @channel.on("message")
            def on_message(message) -> None:
                self.server_messages.append(message)
                if len(self.server_messages) == dcp.PROBE_COUNT and channel.readyState == "open":
                    channel.send(dcp.PROBE_ACK)
                self.progress.set()

            @channel.on("close")
            def on_close() -> None:
                self.server_channel_closed = True
                self.progress.set()

    def _attach(self, channel, index: int) -> None:
        @channel.on("open")
        def on_open() -> None:
            # aiortc queues whatever is sent (bufferedAmount only grows), so
            # there is no back-pressure to wait for here.
            for message in dcp.client_messages(index, self.count):
                channel.send(message)
                self.sent[index].append(message)

        @channel.on("message")
        def on_message(message) -> None:
            self.echoed[index].append(message)
            self.progress.set()

        @channel.on("close")
        def on_close() -> None:
            self.progress.set()

    @property
    def all_echoed(self) -> bool:
        return all(len(echoed) >= self.count for echoed in self.echoed)

    async def wait(self, condition, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self.progress.clear()
            try:
                await asyncio.wait_for(self.progress.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return True

    async def finish(self, timeout: float) -> bool:
        """Waits for every echo and the server's close of its probe channel,
        then closes echo-ordered; True when that close completed."""
        await self.wait(lambda: self.all_echoed and self.server_channel_closed, timeout)
        closing = next(c for c in self.channels if c.label == dcp.CLOSED_BY_CLIENT)
        if closing.readyState != "open":
            return False
        closing.close()
        return await self.wait(lambda: closing.readyState == "closed", dcp.CLOSE_TIMEOUT)

    def report(self) -> dict:
        intact = all(
            dcp.echo_intact(spec, sent, echoed) and len(sent) == self.count
            for spec, sent, echoed in zip(dcp.CLIENT_CHANNELS, self.sent, self.echoed)
        )
        return {
            "datachannel_sent": sum(len(sent) for sent in self.sent),
            "datachannel_echoed": sum(len(echoed) for echoed in self.echoed),
            "datachannel_intact": intact,
            "server_channel_messages": len(self.server_messages),
            "server_channel_intact": self.server_messages == dcp.probe_messages(),
            "server_channel_closed": self.server_channel_closed,
        }


async def post_offer(url: str, offer: dict, timeout: float) -> dict:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.post(url, json=offer) as response:
            body = await response.text()
            if response.status != 200:
                raise RuntimeError(f"POST {url} -> HTTP {response.status}: {body[:200]}")
            answer = json.loads(body)
            if answer.get("type") != "answer" or not isinstance(answer.get("sdp"), str):
                raise RuntimeError(f"POST {url} returned no answer: {body[:200]}")
            return answer


async def run(args: argparse.Namespace) -> dict:
    start = time.monotonic()
    result: dict = {"client": "aiortc", "expected": "failure" if args.tamper_fingerprint else "success"}
    pc = common.new_peer_connection()
    sent_track = NumberedVideoTrack(args.width, args.height, args.ivf)
    receiver = EchoReceiver(sent_track, start)
    receive_tasks: list[asyncio.Task] = []
    connected_at: float | None = None
    settled = asyncio.Event()

    @pc.on("connectionstatechange")
    def on_state() -> None:
        nonlocal connected_at
        if pc.connectionState == "connected" and connected_at is None:
            connected_at = time.monotonic()
        if pc.connectionState in ("connected", "failed", "closed"):
            settled.set()

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        if track.kind == "video":
            receive_tasks.append(asyncio.ensure_future(receiver.consume(track)))

    if not args.no_video:
        transceiver = pc.addTransceiver(sent_track, direction="sendrecv")
        codecs = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences(
            [c for c in codecs if c.mimeType in ("video/VP8", "video/rtx")]
        )
    data = DataChannelClient(pc, args.datachannel) if args.datachannel else None
    client_close_completed = False

    try:
        await pc.setLocalDescription(await pc.createOffer())
        offer_sdp = common.force_setup(pc.localDescription.sdp, args.dtls_role)
        if args.tamper_fingerprint == "offer":
            offer_sdp = common.tamper_fingerprint(offer_sdp)
        answer = await post_offer(args.url, {"type": "offer", "sdp": offer_sdp}, args.connect_timeout)
        answer_sdp = answer["sdp"]
        if args.tamper_fingerprint == "answer":
            answer_sdp = common.tamper_fingerprint(answer_sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

        try:
            await asyncio.wait_for(settled.wait(), args.connect_timeout)
        except asyncio.TimeoutError:
            pass
        if pc.connectionState == "connected":
            # Run the echo for the requested time, then give in-flight
            # frames and messages a moment to come back.
            if not args.no_video:
                await asyncio.sleep(args.seconds)
            if data:
                client_close_completed = await data.finish(args.datachannel_timeout)
            if not args.no_video:
                await asyncio.sleep(0.3)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
    finally:
        result["connection_state"] = pc.connectionState
        result.update(common.negotiated_security(pc))
        await pc.close()
        for task in receive_tasks:
            task.cancel()
        await asyncio.gather(*receive_tasks, return_exceptions=True)

    result["setup_ms"] = round((connected_at - start) * 1000, 1) if connected_at else None
    if not args.no_video:
        result["frames_sent"] = sent_track.frames_sent
        result["frames_decoded"] = receiver.frames_decoded
        result["frames_matched"] = receiver.frames_matched
        result["first_frame_ms"] = (
            round(receiver.first_frame_ms, 1) if receiver.first_frame_ms is not None else None
        )
        result["echo_size"] = list(receiver.size) if receiver.size else None
        if receiver.psnr_values:
            result["psnr_db"] = round(sum(receiver.psnr_values) / len(receiver.psnr_values), 2)
            result["psnr_min_db"] = round(min(receiver.psnr_values), 2)
    if data:
        result.update(data.report())
        result["client_close_completed"] = client_close_completed

    echo_worked = connected_at is not None
    if not args.no_video:
        echo_worked = echo_worked and receiver.frames_decoded > 0
    if data:
        echo_worked = echo_worked and all(
            result[key]
            for key in (
                "datachannel_intact",
                "server_channel_intact",
                "server_channel_closed",
                "client_close_completed",
            )
        )
    result["echo_worked"] = echo_worked
    result["ok"] = (not echo_worked) if args.tamper_fingerprint else echo_worked
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=f"http://{common.DEFAULT_HOST}:{common.DEFAULT_PORT}/offer",
        help="echo server offer URL (default %(default)s)",
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to send video")
    parser.add_argument("--ivf", help="VP8 IVF file to send (default: synthetic pattern)")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--no-video", action="store_true", help="send no video track")
    parser.add_argument(
        "--datachannel",
        type=int,
        nargs="?",
        const=dcp.DEFAULT_MESSAGES,
        default=0,
        metavar="N",
        help="run the data-channel echo protocol (README) with N messages per channel "
        "(default %(const)s when given)",
    )
    parser.add_argument(
        "--datachannel-timeout",
        type=float,
        default=15.0,
        help="seconds to wait for every echo and the server's probe channel",
    )
    parser.add_argument(
        "--dtls-role",
        choices=common.DTLS_ROLE_CHOICES,
        default="auto",
        help="DTLS role to ask for in the offer (auto: a=setup:actpass, as RFC 8842 wants)",
    )
    parser.add_argument(
        "--srtp-profile",
        choices=sorted(common.SRTP_CHOICES),
        default="any",
        help="SRTP protection profiles aiortc may negotiate",
    )
    parser.add_argument(
        "--tamper-fingerprint",
        choices=("answer", "offer"),
        nargs="?",
        const="answer",
        help="alter the server's answer fingerprint before applying it (answer: this "
        "client must refuse the handshake) or the fingerprint sent in the offer "
        "(offer: the server must refuse); success then means the call failed",
    )
    parser.add_argument("--connect-timeout", type=float, default=10.0)
    args = parser.parse_args()
    if args.width < video_pattern.MIN_WIDTH or args.width % 2 or args.height % 2:
        parser.error(f"--width must be even and >= {video_pattern.MIN_WIDTH}, --height even")

    common.keep_ice_on_loopback()
    common.restrict_srtp_profiles(args.srtp_profile)
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
