#!/usr/bin/env python3
"""WebRTC Echo Test server peer run in headless Chromium through Selenium.

Serves `POST /offer` (WebRTC Echo Test specification, sipsorcery/webrtc-echoes:
a JSON RTCSessionDescriptionInit in, the answer out, candidates inside the
SDP) with aiohttp, and hands every offer to a page in headless Chromium
(chromium_echo_server_page.js), where a new RTCPeerConnection answers it
once ICE gathering is complete. The page sends every received track back
(the received track goes out again on the same transceiver, so Chromium
re-encodes it), echoes every data-channel message on its channel and runs
the server side of the data-channel echo protocol (Interop/README.md).

CORS as in aiortc_echo_server.py: every response carries
`Access-Control-Allow-Origin: *` and `OPTIONS /offer` answers the preflight.
`GET /` serves the blank page the browser itself loads.

Prints `listening on http://HOST:PORT` once the browser is ready, then the
page's events as JSON lines (`connection` with `state`, `dtls_role`,
`srtp_cipher`; `track`; `datachannel`; `datachannel_closed`;
`probe_closing`). Exits non-zero if the browser goes away.

Chromium on the host also gathers candidates on the machine's external
interface: run it inside a network namespace of the test's own (harness.py
does).
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

HERE = Path(__file__).resolve().parent
PAGE_SCRIPT = HERE / "chromium_echo_server_page.js"
PROTOCOL_SCRIPT = HERE / "datachannel_protocol.js"
BLANK_PAGE = chromium_common.blank_page("echo test server")
ANSWER_SCRIPT = "window.echoServer.answer(arguments[0]).then(arguments[arguments.length - 1]);"
ANSWER_TIMEOUT = 30.0
EVENT_POLL_SECONDS = 0.1

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


class BrowserEchoServer(chromium_common.BrowserWorker):
    """The HTTP side of the Chromium echo server."""

    def __init__(self, stop: asyncio.Event) -> None:
        super().__init__(ANSWER_TIMEOUT, "window.echoServer.closeAll();")
        self.stop = stop

    def _browser_failed(self, error: WebDriverException) -> None:
        self.failure = f"{type(error).__name__}: {error.msg or error}"
        print(json.dumps({"event": "browser_failed", "error": self.failure}), flush=True)
        self.stop.set()

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(body=BLANK_PAGE, content_type="text/html", charset="utf-8")

    async def preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers=CORS_HEADERS)

    async def offer(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if body.get("type") != "offer" or not isinstance(body.get("sdp"), str):
                raise ValueError("body must be {\"type\": \"offer\", \"sdp\": \"...\"}")
        except (ValueError, json.JSONDecodeError) as error:
            return web.json_response({"error": str(error)}, status=400, headers=CORS_HEADERS)
        try:
            answer = await self._in_browser(self.driver.execute_async_script, ANSWER_SCRIPT, body["sdp"])
        except WebDriverException as error:
            self._browser_failed(error)
            return web.json_response({"error": self.failure}, status=500, headers=CORS_HEADERS)
        if not isinstance(answer, dict) or "error" in answer:
            error = answer.get("error") if isinstance(answer, dict) else f"page returned {answer!r}"
            return web.json_response({"error": error}, status=400, headers=CORS_HEADERS)
        return web.json_response(answer, headers=CORS_HEADERS)

    async def pump_events(self) -> None:
        """Print the page's events as they happen (polled)."""
        while not self.stop.is_set():
            try:
                events = await self._in_browser(
                    self.driver.execute_script, "return window.echoServer.drainEvents();"
                )
            except WebDriverException as error:
                self._browser_failed(error)
                return
            for event in events or []:
                print(json.dumps(event, ensure_ascii=False), flush=True)
            await asyncio.sleep(EVENT_POLL_SECONDS)



async def serve(host: str, port: int, log_path: str | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    server = BrowserEchoServer(stop)
    app = web.Application()
    app.router.add_get("/", server.page)
    app.router.add_post("/offer", server.offer)
    app.router.add_route("OPTIONS", "/offer", server.preflight)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()

    shown_host = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown_host}:{port}"
    try:
        await server.start_browser(base_url + "/", log_path, PROTOCOL_SCRIPT.read_text() + PAGE_SCRIPT.read_text())
    except WebDriverException as error:
        print(f"cannot start Chromium: {error.msg or error}", file=sys.stderr)
        await server.close()
        await runner.cleanup()
        return 1
    pump = asyncio.ensure_future(server.pump_events())
    print(f"listening on {base_url}", flush=True)
    await stop.wait()
    await pump
    await server.close()
    await runner.cleanup()
    return 1 if server.failure else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--listen",
        default=f"{common.DEFAULT_HOST}:{common.DEFAULT_PORT}",
        help="HOST:PORT to serve POST /offer on (default %(default)s)",
    )
    parser.add_argument("--chromedriver-log", help="write chromedriver's log to this file")
    args = parser.parse_args()
    try:
        host, port = common.parse_host_port(args.listen)
    except ValueError as error:
        parser.error(str(error))
    try:
        sys.exit(asyncio.run(serve(host, port, args.chromedriver_log)))
    except OSError as error:
        print(f"cannot listen on {args.listen}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
