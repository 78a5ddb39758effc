#!/usr/bin/env python3
"""Data-channel benchmark sink run in headless Chromium through Selenium.

The Chromium half of `tandem-bench datachannel` (protocol in
Sources/tandem-bench/DataChannelBenchProtocol.swift, summary in
Interop/README.md, "Data-channel benchmark"). aiohttp serves `POST /offer`
(a JSON RTCSessionDescriptionInit in, the complete answer out) and `GET /`
(the blank page the browser loads) on --listen HOST:PORT, port 0 picking a
free one. Each offer goes into the page (bench_datachannel_chromium_page.js)
with execute_async_script; there a new RTCPeerConnection answers once ICE
gathering is complete and runs the sink: it counts the "bulk" bytes with the
first and last arrival (performance.now()), echoes every "latency" message
and answers "done" on "control" with the JSON report.

Once Chromium is ready it prints exactly one stdout line,
`{"event": "listening", "url": "http://HOST:PORT/offer"}`, and serves calls
until SIGTERM or SIGINT; errors go to stderr. Exits non-zero if the browser
failed.

Chromium gathers candidates on every interface it sees: run this inside a
network namespace with only `lo` (tandem-bench does; it must not make one
itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from aiohttp import web
from selenium.common.exceptions import WebDriverException

import aiortc_common as common
import chromium_common
from bench_datachannel import unblock_signals

HERE = Path(__file__).resolve().parent
PAGE_SCRIPT = HERE / "bench_datachannel_chromium_page.js"
BLANK_PAGE = chromium_common.blank_page("data-channel benchmark sink")
ANSWER_SCRIPT = "window.benchSink.answer(arguments[0]).then(arguments[arguments.length - 1]);"
ANSWER_TIMEOUT = 30.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BrowserSink(chromium_common.BrowserWorker):
    """The HTTP side of the Chromium sink."""

    def __init__(self) -> None:
        super().__init__(ANSWER_TIMEOUT, "window.benchSink.closeAll();")

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(body=BLANK_PAGE, content_type="text/html", charset="utf-8")

    async def offer(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if body.get("type") != "offer" or not isinstance(body.get("sdp"), str):
                raise ValueError('body must be {"type": "offer", "sdp": "..."}')
        except (ValueError, json.JSONDecodeError) as error:
            return web.json_response({"error": str(error)}, status=400)
        try:
            answer = await self._in_browser(self.driver.execute_async_script, ANSWER_SCRIPT, body["sdp"])
        except WebDriverException as error:
            self.failure = f"{type(error).__name__}: {error.msg or error}"
            log(f"browser failed: {self.failure}")
            return web.json_response({"error": self.failure}, status=500)
        if not isinstance(answer, dict) or "error" in answer:
            error = answer.get("error") if isinstance(answer, dict) else f"page returned {answer!r}"
            log(f"rejected offer: {error}")
            return web.json_response({"error": error}, status=400)
        return web.json_response(answer)



async def serve(host: str, port: int, log_path: str | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    sink = BrowserSink()
    app = web.Application()
    app.router.add_get("/", sink.page)
    app.router.add_post("/offer", sink.offer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()

    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{runner.addresses[0][1]}"
    try:
        await sink.start_browser(base_url + "/", log_path, PAGE_SCRIPT.read_text())
    except WebDriverException as error:
        log(f"cannot start Chromium: {error.msg or error}")
        await sink.close()
        await runner.cleanup()
        return 1
    print(json.dumps({"event": "listening", "url": base_url + "/offer"}), flush=True)
    await stop.wait()
    await sink.close()
    await runner.cleanup()
    return 1 if sink.failure else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: a free one; default %(default)s)")
    parser.add_argument("--chromedriver-log", help="write chromedriver's log to this file")
    args = parser.parse_args()
    unblock_signals()
    try:
        host, port = common.parse_host_port(args.listen)
    except ValueError as error:
        parser.error(str(error))
    try:
        sys.exit(asyncio.run(serve(host, port, args.chromedriver_log)))
    except OSError as error:
        log(f"cannot listen on {args.listen}: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
