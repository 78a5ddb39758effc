#!/usr/bin/env python3
"""WebRTC Echo Test server peer built on aiortc 1.16.

Follows the WebRTC Echo Test specification (sipsorcery/webrtc-echoes,
doc/EchoTestSpecification.md): `POST /offer` takes a JSON
RTCSessionDescriptionInit offer and returns the answer (non-trickle: the
candidates are inside the SDP). Every received audio or video track is sent
back to the peer, every data-channel message is sent back on its channel,
and the server side of the data-channel echo protocol (Interop/README.md:
negotiated channel id 100, the "server-probe" channel it opens and closes)
runs on every call that has an m=application section.

CORS: every response carries `Access-Control-Allow-Origin: *` and
`OPTIONS /offer` answers the preflight, so a page on another origin can POST.

Prints `listening on http://HOST:PORT` once it accepts requests, and one JSON
line per connection event (`{"event": "connected", ...}`) on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from aiohttp import web
from aiortc import RTCSessionDescription
from aiortc.contrib.media import MediaRelay

import aiortc_common as common
import datachannel_protocol as dcp

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


def emit(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def echo_channel(channel, connection_id: int) -> None:
    """Send every message back on the channel it came on."""

    @channel.on("message")
    def on_message(message) -> None:
        if channel.readyState == "open":
            channel.send(message)

    @channel.on("close")
    def on_close() -> None:
        emit("datachannel_closed", id=connection_id, label=channel.label)


def open_probe_channel(pc, connection_id: int) -> None:
    """The server's own in-band channel: PROBE_COUNT messages, then a close
    started by this side once the client acknowledged them (or
    PROBE_ACK_TIMEOUT passed) and everything is handed to SCTP."""
    channel = pc.createDataChannel(dcp.PROBE_LABEL)
    acknowledged = asyncio.Event()

    @channel.on("open")
    def on_open() -> None:
        for message in dcp.probe_messages():
            channel.send(message)
        asyncio.ensure_future(close_probe(channel, acknowledged, connection_id))

    @channel.on("message")
    def on_message(message) -> None:
        if message == dcp.PROBE_ACK:
            acknowledged.set()

    @channel.on("close")
    def on_close() -> None:
        emit("datachannel_closed", id=connection_id, label=channel.label)


async def close_probe(channel, acknowledged: asyncio.Event, connection_id: int) -> None:
    try:
        await asyncio.wait_for(acknowledged.wait(), dcp.PROBE_ACK_TIMEOUT)
    except asyncio.TimeoutError:
        pass
    loop = asyncio.get_running_loop()
    deadline = loop.time() + dcp.CLOSE_TIMEOUT
    while channel.bufferedAmount > 0 and loop.time() < deadline:
        await asyncio.sleep(0.01)
    emit(
        "probe_closing",
        id=connection_id,
        acknowledged=acknowledged.is_set(),
        buffered=channel.bufferedAmount,
    )
    channel.close()


class EchoServer:
    def __init__(self, dtls_role: str) -> None:
        self.dtls_role = dtls_role
        self.relay = MediaRelay()
        self.connections: set = set()
        self.next_id = 1

    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=CORS_HEADERS)

    async def offer(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if body.get("type") != "offer" or not isinstance(body.get("sdp"), str):
                raise ValueError("body must be {\"type\": \"offer\", \"sdp\": \"...\"}")
        except (ValueError, json.JSONDecodeError) as error:
            return web.json_response({"error": str(error)}, status=400, headers=CORS_HEADERS)

        connection_id = self.next_id
        self.next_id += 1
        pc = common.new_peer_connection()
        self.connections.add(pc)

        @pc.on("track")
        def on_track(track) -> None:
            # Sending back through a relay subscription: aiortc decodes what
            # it receives and encodes it again for the return leg.
            pc.addTrack(self.relay.subscribe(track))
            emit("track", id=connection_id, kind=track.kind)

        probe_opened = False

        @pc.on("datachannel")
        def on_datachannel(channel) -> None:
            nonlocal probe_opened
            emit("datachannel", id=connection_id, label=channel.label)
            echo_channel(channel, connection_id)
            # aiortc announces an in-band channel once it is open.
            if not probe_opened:
                probe_opened = True
                open_probe_channel(pc, connection_id)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            state = pc.connectionState
            emit("connection", id=connection_id, state=state, **common.negotiated_security(pc))
            if state in ("failed", "closed"):
                self.connections.discard(pc)
                await pc.close()

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="offer"))
            if dcp.has_application_section(body["sdp"]):
                spec = dcp.NEGOTIATED
                negotiated = pc.createDataChannel(
                    spec.label, ordered=spec.ordered, negotiated=True, id=spec.id
                )
                echo_channel(negotiated, connection_id)
            answer = await pc.createAnswer()
            answer = RTCSessionDescription(
                sdp=common.force_setup(answer.sdp, self.dtls_role), type=answer.type
            )
            # aiortc gathers all candidates inside setLocalDescription, so the
            # description read back below is complete (non-trickle).
            await pc.setLocalDescription(answer)
        except Exception as error:  # a bad offer must not bring the server down
            self.connections.discard(pc)
            await pc.close()
            emit("rejected", id=connection_id, error=str(error))
            return web.json_response({"error": str(error)}, status=400, headers=CORS_HEADERS)

        local = pc.localDescription
        return web.json_response({"type": local.type, "sdp": local.sdp}, headers=CORS_HEADERS)

    async def close_all(self) -> None:
        await asyncio.gather(*(pc.close() for pc in list(self.connections)))
        self.connections.clear()


async def serve(host: str, port: int, dtls_role: str) -> None:
    server = EchoServer(dtls_role)
    app = web.Application()
    app.router.add_post("/offer", server.offer)
    app.router.add_route("OPTIONS", "/offer", server.preflight)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    shown_host = f"[{host}]" if ":" in host else host
    print(f"listening on http://{shown_host}:{port}", flush=True)
    await stop.wait()
    await server.close_all()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--listen",
        default=f"{common.DEFAULT_HOST}:{common.DEFAULT_PORT}",
        help="HOST:PORT to serve POST /offer on (default %(default)s)",
    )
    parser.add_argument(
        "--dtls-role",
        choices=common.DTLS_ROLE_CHOICES,
        default="auto",
        help="DTLS role this answerer takes: auto leaves aiortc's choice "
        "(a=setup:active, i.e. DTLS client, unless the offer says otherwise)",
    )
    parser.add_argument(
        "--srtp-profile",
        choices=sorted(common.SRTP_CHOICES),
        default="any",
        help="SRTP protection profiles aiortc may negotiate",
    )
    args = parser.parse_args()
    try:
        host, port = common.parse_host_port(args.listen)
    except ValueError as error:
        parser.error(str(error))

    common.keep_ice_on_loopback()
    common.restrict_srtp_profiles(args.srtp_profile)
    try:
        asyncio.run(serve(host, port, args.dtls_role))
    except OSError as error:
        print(f"cannot listen on {args.listen}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
