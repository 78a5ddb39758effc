#!/usr/bin/env python3
"""Offer -> connected between two aiortc peers in one asyncio loop, on 127.0.0.1.

The reference half of `tandem-bench connect` (BENCHMARKS.md): each side has
a video transceiver, ICE uses host candidates on loopback only, no STUN or
TURN server. Peer connections (and so their certificates) are created
before the clock starts; the clock starts at createOffer and stops when both
sides report connectionState "connected". Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import aiortc

import aiortc_common as common


async def connect_once() -> float:
    offerer = common.new_peer_connection()
    answerer = common.new_peer_connection()
    connected: dict[str, float] = {}
    both = asyncio.Event()

    def watch(name: str, pc: aiortc.RTCPeerConnection) -> None:
        @pc.on("connectionstatechange")
        def on_change() -> None:
            if pc.connectionState == "connected" and name not in connected:
                connected[name] = time.perf_counter()
                if len(connected) == 2:
                    both.set()

    watch("offerer", offerer)
    watch("answerer", answerer)
    offerer.addTransceiver("video", direction="sendrecv")

    start = time.perf_counter()
    # aiortc gathers inside setLocalDescription, so localDescription is complete afterwards.
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    for transceiver in answerer.getTransceivers():
        transceiver.direction = "sendrecv"
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)
    await asyncio.wait_for(both.wait(), timeout=10)
    elapsed_ms = (max(connected.values()) - start) * 1000

    await offerer.close()
    await answerer.close()
    return elapsed_ms


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=2, help="connections run first and not counted")
    args = parser.parse_args()

    common.keep_ice_on_loopback()
    samples = []
    for index in range(args.warmup + args.iterations):
        elapsed_ms = await connect_once()
        if index >= args.warmup:
            samples.append(elapsed_ms)
    ordered = sorted(samples)
    print(json.dumps({
        "peer": f"aiortc {aiortc.__version__}",
        "iterations": args.iterations,
        "median_ms": statistics.median(ordered),
        "min_ms": ordered[0],
        "max_ms": ordered[-1],
        "samples_ms": samples,
    }))


if __name__ == "__main__":
    asyncio.run(main())
