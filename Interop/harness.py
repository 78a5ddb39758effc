#!/usr/bin/env python3
"""Helpers that run one echo server and one echo client against each other.

Used by test_interop.py, and runnable by hand:

    python Interop/harness.py --server aiortc --client chromium --seconds 2

Every server runs inside a network namespace of its own (`ip netns`, needs
root) with only `lo` up, and its clients run in the same namespace, so every
candidate and every packet stays on loopback and the spec's port 8080 cannot
collide with anything else. Without root the aiortc-only pairings fall back
to the host's loopback; Chromium needs the namespace, because on the host it
also gathers candidates on the machine's external interface.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

HERE = Path(__file__).resolve().parent
PYTHON = os.environ.get("INTEROP_PYTHON", sys.executable)
READY_LINE = re.compile(r"listening on (http://\S+)")
SERVER_KINDS = ("aiortc", "chromium", "tandem")
CLIENT_KINDS = ("aiortc", "chromium", "tandem")
# Data-channel echo protocol (README): the tandem client's options for it.
TANDEM_DATA_CHANNELS = 3
NAMESPACE_PREFIX = "tdm-interop"
_namespace_counter = itertools.count(1)


# ---------------------------------------------------------------- namespaces


class Namespace:
    """Where processes run: the host (prefix []) or an `ip netns` namespace."""

    def __init__(self, name: str | None) -> None:
        self.name = name

    @property
    def prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name] if self.name else []

    def __repr__(self) -> str:
        return f"Namespace({self.name or 'host'})"


HOST = Namespace(None)


def namespaces_available() -> bool:
    """True when this process may create network namespaces (root, iproute2)."""
    if os.geteuid() != 0:
        return False
    try:
        subprocess.run(["ip", "netns", "list"], check=True, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


@contextlib.contextmanager
def netns() -> Iterator[Namespace]:
    """A fresh namespace with only loopback up; deleted (with anything still
    running inside) on exit."""
    _delete_stale_namespaces()
    name = f"{NAMESPACE_PREFIX}-{os.getpid()}-{next(_namespace_counter)}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        subprocess.run(
            ["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"],
            check=True,
            capture_output=True,
        )
        yield Namespace(name)
    finally:
        _kill_namespace_processes(name)
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def _delete_stale_namespaces() -> None:
    """Remove namespaces an earlier, killed harness run left behind (their
    name carries the pid of a process that no longer exists)."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    for line in listing.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = re.fullmatch(rf"{NAMESPACE_PREFIX}-(\d+)-\d+", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            _kill_namespace_processes(name)
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def _kill_namespace_processes(name: str) -> None:
    """Every process left in a namespace this harness created was started by
    the harness (a client or server and their children): end each by pid."""
    listing = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
    for pid in listing.stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


@contextlib.contextmanager
def loopback_place(require_namespace: bool) -> Iterator[Namespace]:
    """A namespace when possible; the host's loopback otherwise, unless the
    caller needs isolation (then RuntimeError)."""
    if namespaces_available():
        with netns() as namespace:
            yield namespace
    elif require_namespace:
        raise RuntimeError("this pairing needs `ip netns` (run as root) to keep traffic on loopback")
    else:
        yield HOST


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ------------------------------------------------------------------- servers


@dataclass
class ServerProcess:
    """A running echo server whose stdout is collected line by line."""

    process: subprocess.Popen
    command: list[str]
    lines: list[str] = field(default_factory=list)
    base_url: str | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    @property
    def offer_url(self) -> str:
        assert self.base_url is not None
        return self.base_url.rstrip("/") + "/offer"

    def events(self, since: int = 0) -> list[dict]:
        """The JSON lines the server printed from output line `since` on (the
        aiortc server reports connection states, DTLS role, SRTP profile)."""
        out = []
        for line in list(self.lines)[since:]:
            if line.startswith("{"):
                with contextlib.suppress(json.JSONDecodeError):
                    out.append(json.loads(line))
        return out

    def wait_for_event(self, predicate, timeout: float = 5.0, since: int = 0) -> dict | None:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events(since):
                if predicate(event):
                    return event
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def output(self, since: int = 0) -> str:
        return "\n".join(list(self.lines)[since:])

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


def _read_lines(server: ServerProcess) -> None:
    assert server.process.stdout is not None
    for raw in server.process.stdout:
        line = raw.rstrip("\n")
        server.lines.append(line)
        match = READY_LINE.search(line)
        if match and server.base_url is None:
            server.base_url = match.group(1)
            server._ready.set()
    server._ready.set()  # the process ended: stop waiting


def start_server(command: list[str], place: Namespace = HOST, ready_timeout: float = 20.0) -> ServerProcess:
    """Start a server and wait for its `listening on http://…` line."""
    full = place.prefix + command
    process = subprocess.Popen(
        full,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    server = ServerProcess(process, full)
    threading.Thread(target=_read_lines, args=(server,), daemon=True).start()
    if not server._ready.wait(ready_timeout) or server.base_url is None:
        server.stop()
        raise RuntimeError(
            f"server did not print its ready line within {ready_timeout}s: {' '.join(full)}\n"
            f"{server.output()}"
        )
    return server


@contextlib.contextmanager
def running_server(command: list[str], place: Namespace = HOST) -> Iterator[ServerProcess]:
    server = start_server(command, place)
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------- clients


@dataclass
class ClientResult:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    result: dict | None  # the last JSON object line on stdout

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.command)}\nexit {self.returncode} after {self.seconds:.1f}s\n"
            f"stdout:\n{self.stdout}\nstderr:\n{self.stderr[-4000:]}"
        )


def run_client(command: list[str], place: Namespace = HOST, timeout: float = 90.0) -> ClientResult:
    full = place.prefix + command
    started = time.monotonic()
    try:
        completed = subprocess.run(
            full, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
        )
        returncode, stdout, stderr = completed.returncode, completed.stdout, completed.stderr
    except subprocess.TimeoutExpired as expired:
        returncode = -1
        stdout = expired.stdout.decode() if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        stderr = f"timed out after {timeout}s"
    result = None
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                result = json.loads(line)
                break
    return ClientResult(full, returncode, stdout, stderr, time.monotonic() - started, result)


# ---------------------------------------------------------- command builders


def aiortc_server_command(listen: str, dtls_role: str = "auto", srtp_profile: str = "any") -> list[str]:
    return [
        PYTHON,
        str(HERE / "aiortc_echo_server.py"),
        "--listen",
        listen,
        "--dtls-role",
        dtls_role,
        "--srtp-profile",
        srtp_profile,
    ]


def chromium_server_command(listen: str) -> list[str]:
    return [PYTHON, str(HERE / "chromium_echo_server.py"), "--listen", listen]


def tandem_server_command(tandem_bin: str, listen: str, decode_video: bool = False) -> list[str]:
    """`decode_video`: the server also decodes what it echoes and says so at the end of each call."""
    return [tandem_bin, "echo", "--listen", listen] + (["--decode-video"] if decode_video else [])


def aiortc_client_command(
    url: str,
    seconds: float,
    dtls_role: str = "auto",
    srtp_profile: str = "any",
    tamper: str | None = None,
    datachannel: int = 0,
    ivf: str | None = None,
    video: bool = True,
) -> list[str]:
    command = [
        PYTHON,
        str(HERE / "aiortc_echo_client.py"),
        "--url",
        url,
        "--seconds",
        str(seconds),
        "--dtls-role",
        dtls_role,
        "--srtp-profile",
        srtp_profile,
    ]
    if tamper:
        command += ["--tamper-fingerprint", tamper]
    if datachannel:
        command += ["--datachannel", str(datachannel)]
    if ivf:
        command += ["--ivf", ivf]
    if not video:
        command.append("--no-video")
    return command


def chromium_client_command(
    url: str,
    seconds: float,
    tamper: str | None = None,
    datachannel: int = 0,
    video: bool = True,
    video_source: str = "camera",
) -> list[str]:
    command = [PYTHON, str(HERE / "chromium_echo_client.py"), "--url", url, "--seconds", str(seconds)]
    command += ["--video-source", video_source]
    if tamper:
        command += ["--tamper-fingerprint", tamper]
    if datachannel:
        command += ["--datachannel", str(datachannel)]
    if not video:
        command.append("--no-video")
    return command


def tandem_client_command(
    tandem_bin: str,
    url: str,
    seconds: float,
    ivf: str | None = None,
    datachannel: int = 0,
    video: bool = True,
    audio: bool = False,
) -> list[str]:
    """`datachannel` N runs the data-channel echo protocol with N messages on
    each of the three client channels; `audio` adds an Opus tone."""
    # 320x240, as the aiortc client sends: a re-encoding echo (aiortc in Python) keeps up within a
    # one-second call.
    command = [tandem_bin, "echo-client", "--url", url, "--seconds", str(seconds), "--size", "320x240"]
    if ivf:
        command += ["--ivf", ivf]
    if not video:
        command.append("--no-video")
    if audio:
        command.append("--audio")
    if datachannel:
        command += [
            "--data-channels",
            str(TANDEM_DATA_CHANNELS),
            "--data-channel-messages",
            str(datachannel),
        ]
    return command


# ------------------------------------------------------------------- calls


@dataclass
class Call:
    """One client run against a server, with the server output it caused."""

    client: ClientResult
    server: ServerProcess
    first_line: int  # the server's first output line during this call

    def server_events(self) -> list[dict]:
        return self.server.events(self.first_line)

    def describe(self) -> str:
        return f"{self.client.describe()}\nserver output:\n{self.server.output(self.first_line)}"


def call(
    server: ServerProcess, place: Namespace, client_command: list[str], timeout: float = 90.0
) -> Call:
    """Run one client against a running server in the server's namespace."""
    first_line = len(server.lines)
    client = run_client(client_command, place, timeout)
    # Let the server report the end of the call before anyone looks.
    server.wait_for_event(lambda e: e.get("state") in ("closed", "failed"), 1.0, first_line)
    return Call(client, server, first_line)


def _listen_address(place: Namespace) -> str:
    # Inside a namespace of our own the spec's default port is free.
    return f"127.0.0.1:{8080 if place.name else free_port()}"


class ServerPool:
    """Servers kept running across calls, each in its own namespace, keyed by
    their configuration; a server that exited is started again. Closing the
    pool stops every server and deletes the namespaces."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._servers: dict[object, tuple[Namespace, ServerProcess]] = {}

    def __enter__(self) -> "ServerPool":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def get(self, key: object, command_for: Callable[[str], list[str]]) -> tuple[Namespace, ServerProcess]:
        entry = self._servers.get(key)
        if entry is not None and entry[1].running:
            return entry
        if entry is not None:
            place = entry[0]
        else:
            place = self._stack.enter_context(loopback_place(require_namespace=False))
        server = start_server(command_for(_listen_address(place)), place)
        self._stack.callback(server.stop)
        self._servers[key] = (place, server)
        return place, server


def run_pair(
    server_command_for: Callable[[str], list[str]],
    client_command_for: Callable[[str], list[str]],
    require_namespace: bool,
    client_timeout: float = 90.0,
) -> Call:
    """Start a server in a fresh place, run one client against it, stop it.

    The callables receive the listen address (HOST:PORT) and the offer URL.
    """
    with loopback_place(require_namespace) as place:
        with running_server(server_command_for(_listen_address(place)), place) as server:
            return call(server, place, client_command_for(server.offer_url), client_timeout)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one echo server against one echo client.")
    parser.add_argument("--server", choices=SERVER_KINDS, default="aiortc")
    parser.add_argument("--client", choices=CLIENT_KINDS, default="aiortc")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument(
        "--datachannel",
        type=int,
        default=0,
        metavar="N",
        help="run the data-channel echo protocol with N messages per channel, no video",
    )
    parser.add_argument("--tandem-bin", default=os.environ.get("TANDEM_BIN"))
    args = parser.parse_args()
    if "tandem" in (args.server, args.client) and not args.tandem_bin:
        parser.error("tandem needs --tandem-bin or TANDEM_BIN")

    def server_command(listen: str) -> list[str]:
        if args.server == "tandem":
            return tandem_server_command(args.tandem_bin, listen)
        if args.server == "chromium":
            return chromium_server_command(listen)
        return aiortc_server_command(listen)

    video = not args.datachannel

    def client_command(url: str) -> list[str]:
        if args.client == "tandem":
            return tandem_client_command(
                args.tandem_bin, url, args.seconds, datachannel=args.datachannel, video=video
            )
        if args.client == "chromium":
            return chromium_client_command(url, args.seconds, datachannel=args.datachannel, video=video)
        return aiortc_client_command(url, args.seconds, datachannel=args.datachannel, video=video)

    result = run_pair(
        server_command,
        client_command,
        require_namespace="chromium" in (args.server, args.client),
    )
    print(result.server.output(), file=sys.stderr)
    print(result.client.stdout, end="")
    sys.exit(result.client.returncode)


if __name__ == "__main__":
    main()
