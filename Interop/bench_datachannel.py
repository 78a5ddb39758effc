#!/usr/bin/env python3
"""Data-channel benchmark peers on aiortc 1.16: `sink` (answerer) and `source` (offerer).

The reference half of `tandem-bench datachannel`; the protocol is defined in
Sources/tandem-bench/DataChannelBenchProtocol.swift (summary in
Interop/README.md, "Data-channel benchmark"):

- the source offers with three in-band, ordered, reliable channels "bulk",
  "latency" and "control";
- on "bulk" it sends 64 KiB binary messages for --seconds, keeping at most
  4 MiB buffered (it waits for `bufferedamountlow` at 1 MiB);
- on "latency" it sends a 100-byte binary probe every 10 ms, the first 8
  bytes being its sequence number (big-endian), the rest zero; the sink
  echoes every probe on the same channel; one-way latency = RTT / 2;
- when "bulk" has nothing buffered any more and the last echoes had 0.5 s to
  come back, the source sends the text "done" on "control" and the sink
  answers with the JSON text {"bulk_bytes", "bulk_messages", "bulk_seconds"},
  the seconds being the time between the first and the last bulk message it
  received (its own monotonic clock).

`sink --listen HOST:PORT` serves `POST /offer` (a JSON RTCSessionDescriptionInit
in, the complete answer out, as aiortc_echo_server.py); port 0 picks a free
port. Once it accepts requests it prints exactly one stdout line,
`{"event": "listening", "url": "http://HOST:PORT/offer"}`, and serves calls
until SIGTERM or SIGINT (diagnostics go to stderr).

`source --url URL --seconds S` runs one call and prints, as its last stdout
line, {"peer": "aiortc", "bulk_bytes", "bulk_seconds", "mb_per_s",
"latencies_ms", "bulk_messages", "probes_sent", "udp_rcvbuf_errors"} (bytes,
messages and seconds as the sink reported them; one one-way latency in ms per
echoed probe; the namespace's UDP receive-buffer drops during the run).

Both roles give aioice's UDP sockets 4 MiB buffers, as Tandem's runtime does.

Back-pressure in aiortc: `send` appends to one queue per SCTP association and
`bufferedAmount` drops when a message moves from it into SCTP's outbound
queue, which happens only once that queue is empty (so at most one message
beyond the congestion window is inside SCTP). Every queue and the transmit
code run on this process's event loop, so the sender yields to it after each
message. The probes share that one queue with the bulk messages: with aiortc
as the source a probe waits behind everything "bulk" has buffered, which the
latency figures show.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import sys
import time

import aiohttp
import aioice.ice
import aioice.turn
from aiohttp import web
from aiortc import RTCSessionDescription

import aiortc_common as common

BULK_MESSAGE_SIZE = 64 * 1024
PROBE_SIZE = 100
PROBE_INTERVAL = 0.010
# W3C back-pressure as the Swift source uses it: stop above 4 MiB, resume at 1 MiB.
HIGH_WATER = 4 << 20
LOW_WATER = 1 << 20
ECHO_GRACE = 0.5
OPEN_TIMEOUT = 15.0
REPORT_TIMEOUT = 15.0
LABELS = ("bulk", "latency", "control")
# The same socket buffers as Tandem's UDP sockets (TandemRuntime.UDPSocket.socketBufferBytes).
SOCKET_BUFFER_BYTES = 4 * 1024 * 1024


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def unblock_signals() -> None:
    """Take every signal out of the blocked mask inherited from the parent.

    A Swift parent (Foundation's Process, as tandem-bench uses it) starts its
    children with the signals its own threads block, SIGTERM and SIGINT among
    them; SIGTERM would then stay pending and never stop this process.
    """
    signal.pthread_sigmask(signal.SIG_UNBLOCK, signal.valid_signals())


def enlarge_socket_buffers() -> None:
    """Give aioice's UDP sockets 4 MiB receive and send buffers, as Tandem's.

    aioice 0.10 sets SO_RCVBUF to turn.UDP_SOCKET_BUFFER_SIZE (256 KiB) right
    after creating a host candidate's socket and leaves SO_SNDBUF alone. With
    small buffers a bulk transfer overflows the receiver's, and aiortc's SCTP
    then waits for a retransmission timeout after drops.
    """
    aioice.turn.UDP_SOCKET_BUFFER_SIZE = SOCKET_BUFFER_BYTES
    original = aioice.ice.StunProtocol.connection_made

    def connection_made(self, transport) -> None:
        original(self, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER_BYTES)

    aioice.ice.StunProtocol.connection_made = connection_made


def udp_receive_buffer_errors() -> int | None:
    """RcvbufErrors of this network namespace (/proc/net/snmp), None if unreadable."""
    try:
        with open("/proc/net/snmp") as snmp:
            rows = [line.split() for line in snmp if line.startswith("Udp:")]
        return int(rows[1][rows[0].index("RcvbufErrors")])
    except (OSError, IndexError, ValueError):
        return None


# ---------------------------------------------------------------- sink


class BulkCounter:
    def __init__(self) -> None:
        self.bytes = 0
        self.messages = 0
        self.first: float | None = None
        self.last: float | None = None

    def record(self, size: int) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first = now
        self.last = now
        self.bytes += size
        self.messages += 1

    def report(self) -> dict[str, float | int]:
        seconds = self.last - self.first if self.first is not None and self.last is not None else 0.0
        return {"bulk_bytes": self.bytes, "bulk_messages": self.messages, "bulk_seconds": seconds}


def serve_channel(channel, counter: BulkCounter) -> None:
    """The sink's part of the protocol on one channel the source opened."""
    if channel.label == "bulk":

        @channel.on("message")
        def on_bulk(message) -> None:
            if isinstance(message, bytes):
                counter.record(len(message))

    elif channel.label == "latency":

        @channel.on("message")
        def on_probe(message) -> None:
            if channel.readyState == "open":
                channel.send(message)

    else:

        @channel.on("message")
        def on_control(message) -> None:
            if message == "done" and channel.readyState == "open":
                channel.send(json.dumps(counter.report()))


class Sink:
    def __init__(self) -> None:
        self.connections: set = set()

    async def offer(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if body.get("type") != "offer" or not isinstance(body.get("sdp"), str):
                raise ValueError('body must be {"type": "offer", "sdp": "..."}')
        except (ValueError, json.JSONDecodeError) as error:
            return web.json_response({"error": str(error)}, status=400)

        pc = common.new_peer_connection()
        self.connections.add(pc)
        counter = BulkCounter()

        @pc.on("datachannel")
        def on_datachannel(channel) -> None:
            serve_channel(channel, counter)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                self.connections.discard(pc)
                await pc.close()

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="offer"))
            # aiortc gathers inside setLocalDescription: the answer is complete.
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as error:  # a bad offer must not bring the sink down
            self.connections.discard(pc)
            await pc.close()
            log(f"rejected offer: {error}")
            return web.json_response({"error": str(error)}, status=400)
        local = pc.localDescription
        return web.json_response({"type": local.type, "sdp": local.sdp})

    async def close_all(self) -> None:
        await asyncio.gather(*(pc.close() for pc in list(self.connections)))
        self.connections.clear()


def listening_url(host: str, runner: web.AppRunner) -> str:
    """The URL of `POST /offer`, with the port the system chose for port 0."""
    port = runner.addresses[0][1]
    shown_host = f"[{host}]" if ":" in host else host
    return f"http://{shown_host}:{port}/offer"


async def run_sink(host: str, port: int) -> None:
    sink = Sink()
    app = web.Application()
    app.router.add_post("/offer", sink.offer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    print(json.dumps({"event": "listening", "url": listening_url(host, runner)}), flush=True)
    await stop.wait()
    await sink.close_all()
    await runner.cleanup()


# ---------------------------------------------------------------- source


def probe(sequence: int) -> bytes:
    return sequence.to_bytes(8, "big") + bytes(PROBE_SIZE - 8)


async def wait_open(channels) -> None:
    opened = asyncio.get_running_loop().create_future()
    remaining = set(channel.label for channel in channels if channel.readyState != "open")
    if not remaining:
        return

    for channel in channels:

        def on_open(label=channel.label) -> None:
            remaining.discard(label)
            if not remaining and not opened.done():
                opened.set_result(None)

        channel.on("open", on_open)
    await asyncio.wait_for(opened, OPEN_TIMEOUT)


class Prober:
    """Sends a probe every PROBE_INTERVAL on "latency" and times the echoes."""

    def __init__(self, channel) -> None:
        self.channel = channel
        self.sent_at: dict[int, float] = {}
        self.latencies_ms: list[float] = []
        self.all_echoed = asyncio.Event()
        self.sending_done = False

        @channel.on("message")
        def on_echo(message) -> None:
            arrival = time.perf_counter()
            if not isinstance(message, bytes) or len(message) < 8:
                return
            sent = self.sent_at.pop(int.from_bytes(message[:8], "big"), None)
            if sent is not None:
                self.latencies_ms.append((arrival - sent) * 1000 / 2)
            if self.sending_done and not self.sent_at:
                self.all_echoed.set()

    async def run(self, end: float) -> int:
        """Sends probes until `end` (perf_counter); returns how many it sent."""
        sequence = 0
        next_send = time.perf_counter()
        while time.perf_counter() < end:
            self.sent_at[sequence] = time.perf_counter()
            self.channel.send(probe(sequence))
            sequence += 1
            next_send += PROBE_INTERVAL
            await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
        self.sending_done = True
        if not self.sent_at:
            self.all_echoed.set()
        return sequence


async def send_bulk(channel, end: float) -> int:
    """64 KiB messages until `end`, within the back-pressure window; returns the count."""
    payload = bytes([0x5A]) * BULK_MESSAGE_SIZE
    below_low = asyncio.Event()
    channel.bufferedAmountLowThreshold = LOW_WATER
    channel.on("bufferedamountlow", below_low.set)
    sent = 0
    while (now := time.perf_counter()) < end:
        if channel.bufferedAmount + BULK_MESSAGE_SIZE > HIGH_WATER:
            below_low.clear()
            try:
                await asyncio.wait_for(below_low.wait(), end - now)
            except asyncio.TimeoutError:
                break
            continue
        channel.send(payload)
        sent += 1
        # aiortc's SCTP sender and receiver run on this loop: let them.
        await asyncio.sleep(0)
    return sent


async def run_source(url: str, seconds: float) -> dict:
    pc = common.new_peer_connection()
    try:
        bulk, latency, control = (pc.createDataChannel(label, ordered=True) for label in LABELS)
        reply: asyncio.Future = asyncio.get_running_loop().create_future()

        @control.on("message")
        def on_reply(message) -> None:
            if isinstance(message, str) and not reply.done():
                reply.set_result(message)

        await pc.setLocalDescription(await pc.createOffer())
        offer = {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=offer) as response:
                if response.status != 200:
                    raise RuntimeError(f"POST {url} answered {response.status}: {await response.text()}")
                answer = await response.json()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        await wait_open([bulk, latency, control])

        drops_before = udp_receive_buffer_errors()
        end = time.perf_counter() + seconds
        prober = Prober(latency)
        probing = asyncio.ensure_future(prober.run(end))
        await send_bulk(bulk, end)
        probes_sent = await probing
        while bulk.bufferedAmount > 0:
            await asyncio.sleep(0.002)
        try:
            await asyncio.wait_for(prober.all_echoed.wait(), ECHO_GRACE)
        except asyncio.TimeoutError:
            pass

        control.send("done")
        report = json.loads(await asyncio.wait_for(reply, REPORT_TIMEOUT))
        drops_after = udp_receive_buffer_errors()
        bulk_bytes, bulk_seconds = int(report["bulk_bytes"]), float(report["bulk_seconds"])
        return {
            "peer": "aiortc",
            "bulk_bytes": bulk_bytes,
            "bulk_seconds": bulk_seconds,
            "mb_per_s": bulk_bytes / bulk_seconds / 1e6 if bulk_seconds > 0 else 0.0,
            "latencies_ms": [round(value, 4) for value in prober.latencies_ms],
            "bulk_messages": int(report["bulk_messages"]),
            "probes_sent": probes_sent,
            # Datagrams the kernel dropped for a full socket buffer, whole namespace, during the run.
            "udp_rcvbuf_errors": drops_after - drops_before if drops_before is not None and drops_after is not None else None,
        }
    finally:
        await pc.close()


# ---------------------------------------------------------------- command line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    roles = parser.add_subparsers(dest="role", required=True)
    sink = roles.add_parser("sink", help="answerer behind POST /offer")
    sink.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: a free one; default %(default)s)")
    source = roles.add_parser("source", help="offerer: one measured call")
    source.add_argument("--url", required=True, help="the sink's POST /offer URL")
    source.add_argument("--seconds", type=float, default=5.0, help="seconds of bulk transfer (default %(default)s)")
    args = parser.parse_args()

    unblock_signals()
    common.keep_ice_on_loopback()
    enlarge_socket_buffers()
    if args.role == "sink":
        try:
            host, port = common.parse_host_port(args.listen)
        except ValueError as error:
            parser.error(str(error))
        try:
            asyncio.run(run_sink(host, port))
        except OSError as error:
            log(f"cannot listen on {args.listen}: {error}")
            sys.exit(1)
    else:
        if args.seconds <= 0:
            parser.error("--seconds must be positive")
        try:
            result = asyncio.run(run_source(args.url, args.seconds))
        except (OSError, RuntimeError, asyncio.TimeoutError, aiohttp.ClientError, KeyError, ValueError) as error:
            log(f"source failed: {type(error).__name__}: {error}")
            sys.exit(1)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
