#!/usr/bin/env python3
"""WebRTC Echo Test client peer run in headless Chromium through Selenium.

Serves a blank page from its own http://127.0.0.1:PORT (a secure context,
on another origin than the echo server, so the POST goes through CORS) and
injects chromium_echo_page.js, which offers the fake camera with VP8 first
(unless --no-video) and, with --datachannel N, the channels of the
data-channel echo protocol (Interop/README.md), POSTs the complete offer to
the echo server, plays the echo, checks the data-channel echoes and reads
getStats after --seconds.

Prints one JSON line and exits 0 when the expected outcome happened: video
frames decoded on a connected call and every data-channel check true, or, with --tamper-fingerprint, no echo
(for `answer`: the connection state must reach "failed").

Chromium on the host also gathers candidates on the machine's external
interface; run this script and the server inside a network namespace of
the test's own (harness.netns) to keep every packet on loopback.
"""

from __future__ import annotations

import argparse
import http.server
import json
import sys
import threading
import time
from pathlib import Path

from selenium.common.exceptions import WebDriverException

import chromium_common
import datachannel_protocol as dcp

PAGE_SCRIPT = Path(__file__).with_name("chromium_echo_page.js")
PROTOCOL_SCRIPT = Path(__file__).with_name("datachannel_protocol.js")
BLANK_PAGE = chromium_common.blank_page("echo test client")

# Fields of the data-channel echo protocol that must all be true.
DATACHANNEL_CHECKS = (
    "datachannel_intact",
    "server_channel_intact",
    "server_channel_closed",
    "client_close_completed",
)


class _BlankPageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BLANK_PAGE)))
        self.end_headers()
        self.wfile.write(BLANK_PAGE)

    def log_message(self, format: str, *args: object) -> None:
        pass


def start_page_server() -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BlankPageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def judge(result: dict, tamper: str | None, datachannel: int, video: bool) -> bool:
    frames = result.get("framesDecoded") or 0
    echoed = result.get("connection_state") == "connected"
    if video:
        echoed = echoed and frames > 0
    if datachannel:
        echoed = echoed and all(result.get(key) is True for key in DATACHANNEL_CHECKS)
    result["echo_worked"] = echoed
    if tamper == "answer":
        return "failed" in result.get("states", []) and frames == 0
    if tamper == "offer":
        return frames == 0 and not result.get("datachannel_intact")
    return echoed and "error" not in result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080/offer", help="echo server offer URL")
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to echo before getStats")
    parser.add_argument("--connect-timeout", type=float, default=10.0)
    parser.add_argument(
        "--tamper-fingerprint",
        choices=("answer", "offer"),
        nargs="?",
        const="answer",
        help="alter the answer's fingerprint before setRemoteDescription (answer: Chromium "
        "must fail the connection) or the offer's before POSTing it (offer: the server must "
        "refuse); success then means the call failed",
    )
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
    parser.add_argument("--no-video", action="store_true", help="send no video track")
    parser.add_argument(
        "--video-source",
        choices=("camera", "screen"),
        default="camera",
        help="the fake camera (getUserMedia) or the fake screen (getDisplayMedia)",
    )
    parser.add_argument("--chromedriver-log", help="write chromedriver's log to this file")
    args = parser.parse_args()

    started = time.monotonic()
    page_server, page_url = start_page_server()
    result: dict = {
        "client": "chromium",
        "expected": "failure" if args.tamper_fingerprint else "success",
    }
    driver = None
    try:
        driver = chromium_common.new_driver(args.chromedriver_log)
        result["browser_version"] = driver.capabilities.get("browserVersion")
        driver.set_script_timeout(
            args.connect_timeout + args.seconds + args.datachannel_timeout + dcp.CLOSE_TIMEOUT + 30
        )
        driver.get(page_url)
        page_result = driver.execute_async_script(
            PROTOCOL_SCRIPT.read_text() + PAGE_SCRIPT.read_text(),
            args.url,
            args.seconds,
            args.connect_timeout,
            args.tamper_fingerprint,
            {
                "count": args.datachannel,
                "timeout": args.datachannel_timeout,
                "closeTimeout": dcp.CLOSE_TIMEOUT,
                "bufferedHigh": dcp.BUFFERED_HIGH,
            },
            False if args.no_video else args.video_source,
        )
        result.update(page_result or {})
    except WebDriverException as error:
        result["error"] = f"{type(error).__name__}: {error.msg or error}"
    finally:
        if driver is not None:
            driver.quit()
        page_server.shutdown()
    result["ok"] = judge(result, args.tamper_fingerprint, args.datachannel, not args.no_video)
    result["run_ms"] = round((time.monotonic() - started) * 1000)
    print(json.dumps(result), flush=True)
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
