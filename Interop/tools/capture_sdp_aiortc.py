#!/usr/bin/env python3
"""Captures a real SDP offer and answer from aiortc 1.16.0 for the SDP module's fixtures.

Writes into the output directory (default Tests/EngineTests/Fixtures/SDP):
  aiortc-offer-video-data.sdp   offer: video track + data channel (aiortc gathers before returning it)
  aiortc-answer-video-data.sdp  answer to that offer from a second aiortc peer (with its own video track)

Nothing leaves loopback: host addresses are limited to 127.0.0.1 and no STUN/TURN server is configured.
Run: /tmp/venvtest/bin/python Interop/tools/capture_sdp_aiortc.py [outdir]
"""
import asyncio
import os
import sys

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, VideoStreamTrack

# aiortc leaves 127.0.0.1 out of its host candidates by default; keep every candidate on loopback.
aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: ["127.0.0.1"]


async def capture() -> dict[str, str]:
    config = RTCConfiguration(iceServers=[])
    offerer = RTCPeerConnection(config)
    answerer = RTCPeerConnection(config)
    try:
        offerer.addTrack(VideoStreamTrack())
        offerer.createDataChannel("chat")
        await offerer.setLocalDescription(await offerer.createOffer())
        offer = offerer.localDescription

        await answerer.setRemoteDescription(offer)
        answerer.addTrack(VideoStreamTrack())
        await answerer.setLocalDescription(await answerer.createAnswer())
        answer = answerer.localDescription
        return {
            "aiortc-offer-video-data.sdp": offer.sdp,
            "aiortc-answer-video-data.sdp": answer.sdp,
        }
    finally:
        await offerer.close()
        await answerer.close()


def main() -> int:
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "Tests/EngineTests/Fixtures/SDP"
    files = asyncio.run(capture())
    os.makedirs(out_dir, exist_ok=True)
    for name, sdp in files.items():
        # Keep aiortc's bytes exactly (CRLF line ends).
        with open(os.path.join(out_dir, name), "w", newline="") as f:
            f.write(sdp)
        print("wrote", name, len(sdp), "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
