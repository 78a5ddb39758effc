"""Interop tests: echo servers against echo clients, across implementations.

Servers: aiortc (aiortc_echo_server.py), Chromium (chromium_echo_server.py),
tandem (`$TANDEM_BIN echo`).
Clients: aiortc (aiortc_echo_client.py), Chromium (chromium_echo_client.py),
tandem (`$TANDEM_BIN echo-client`).

Run from the repository root with the venv's interpreter:

    TANDEM_BIN=.build/debug/tandem .venv/bin/python -m pytest Interop -v

Tandem cases are skipped only when TANDEM_BIN is unset; if it is set, a
missing binary is a failure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import datachannel_protocol as dcp
import harness
import video_pattern

SECONDS = 1.0  # echo time per aiortc or tandem client run
CHROMIUM_SECONDS = 1.5
DATACHANNEL_MESSAGES = dcp.DEFAULT_MESSAGES  # per channel; binary sizes reach 256 KiB

ROLE_PROFILE_COMBOS = [
    pytest.param("client", "gcm", id="dtls-client-gcm"),
    pytest.param("client", "cm", id="dtls-client-cm"),
    pytest.param("server", "gcm", id="dtls-server-gcm"),
    pytest.param("server", "cm", id="dtls-server-cm"),
]
OPPOSITE_ROLE = {"client": "server", "server": "client"}
# OpenSSL (aiortc) and W3C stats (Chromium) names of the same profiles.
OPENSSL_PROFILE = {"gcm": "SRTP_AEAD_AES_128_GCM", "cm": "SRTP_AES128_CM_SHA1_80"}
STATS_CIPHER = {"gcm": "SRTP_AEAD_AES_128_GCM", "cm": "SRTP_AES128_CM_HMAC_SHA1_80"}


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def tandem_bin() -> str:
    path = os.environ.get("TANDEM_BIN")
    if not path:
        pytest.skip("TANDEM_BIN is not set: tandem legs need the path of the tandem binary")
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"TANDEM_BIN={path} is not an executable file")
    return str(Path(path).resolve())


@pytest.fixture(scope="session")
def ivf_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ivf") / "pattern.ivf"
    video_pattern.write_ivf(str(path), frames=45)
    return str(path)


@pytest.fixture(scope="session")
def server_pool():
    """Echo servers shared by the tests that use the same configuration:
    starting aiortc costs about a second, and a server must anyway keep
    serving call after call."""
    with harness.ServerPool() as pool:
        yield pool


def server_command_factory(
    kind: str, request, dtls_role: str = "auto", srtp_profile: str = "any", decode_video: bool = False
):
    if kind == "tandem":
        binary = request.getfixturevalue("tandem_bin")
        return lambda listen: harness.tandem_server_command(binary, listen, decode_video)
    if kind == "chromium":
        return harness.chromium_server_command
    return lambda listen: harness.aiortc_server_command(listen, dtls_role, srtp_profile)


def client_command_factory(kind: str, request, **options):
    if kind == "tandem":
        binary = request.getfixturevalue("tandem_bin")
        return lambda url: harness.tandem_client_command(
            binary,
            url,
            options.get("seconds", SECONDS),
            options.get("ivf"),
            options.get("datachannel", 0),
            options.get("video", True),
            options.get("audio", False),
        )
    if kind == "chromium":
        return lambda url: harness.chromium_client_command(
            url,
            options.get("seconds", CHROMIUM_SECONDS),
            options.get("tamper"),
            options.get("datachannel", 0),
            options.get("video", True),
            options.get("video_source", "camera"),
        )
    return lambda url: harness.aiortc_client_command(url, SECONDS, **options)


def run(server_kind: str, client_kind: str, request, server_options=None, client_options=None):
    """One call of a client against a pooled server; the server must survive it."""
    server_options = server_options or {}
    server_command = server_command_factory(server_kind, request, **server_options)
    client_command = client_command_factory(client_kind, request, **(client_options or {}))
    pool = request.getfixturevalue("server_pool")
    key = (server_kind, tuple(sorted(server_options.items())))
    place, server = pool.get(key, server_command)
    if "chromium" in (server_kind, client_kind) and place.name is None:
        pytest.fail("Chromium pairings need `ip netns` (root) to keep traffic on loopback")
    result = harness.call(server, place, client_command(server.offer_url))
    print(result.describe())
    assert server.running, f"the {server_kind} server exited during the call\n{result.describe()}"
    return result


def server_connected_event(call: harness.Call) -> dict | None:
    """The aiortc or Chromium server's report of this call connecting (tandem
    prints none)."""
    return next(
        (
            e
            for e in call.server_events()
            if e.get("event") == "connection" and e["state"] == "connected"
        ),
        None,
    )


def assert_echo_worked(call: harness.Call, client_kind: str, numbered: bool = True) -> dict:
    """`numbered`: the tandem client sent its numbered synthetic pictures (not an IVF file)."""
    assert call.client.returncode == 0, call.describe()
    assert call.client.result is not None, f"no JSON line on stdout\n{call.describe()}"
    result = call.client.result
    if client_kind == "aiortc":
        assert result["ok"] and result["connection_state"] == "connected"
        assert result["frames_decoded"] > 0
        assert result["frames_matched"] > 0, "no echoed frame carried a readable frame number"
        assert result["psnr_db"] >= 25.0, f"echoed video too far from what was sent: {result}"
    elif client_kind == "chromium":
        assert result["ok"] and result["connection_state"] == "connected"
        assert result["framesDecoded"] > 0
        assert result["inboundCodec"] == "video/VP8"
        assert result["localCandidate"].startswith("127.0.0.1:")
    elif "frames_decoded" in result:  # tandem: the contract is exit status + one JSON line
        # Every picture the tandem client sends carries its number: an echoed one is compared with its
        # source, so this is the PSNR of what the server decoded, re-encoded or forwarded.
        assert result["frames_decoded"] > 0 and result["frames_refused"] == 0, result
        if numbered:
            assert result["frames_matched"] > 0, "no echoed picture carried a readable frame number"
            assert result["psnr_median_db"] >= 30.0, f"echoed video too far from what was sent: {result}"
    return result


# --------------------------------------------------------------------- tests


@pytest.mark.parametrize("client_kind", ["aiortc", "chromium", "tandem"])
@pytest.mark.parametrize("server_kind", ["aiortc", "chromium", "tandem"])
def test_video_echo(server_kind: str, client_kind: str, request) -> None:
    """Every client gets decodable VP8 back from every server."""
    call = run(server_kind, client_kind, request)
    assert_echo_worked(call, client_kind)
    if server_kind != "tandem":
        assert server_connected_event(call) is not None, f"{server_kind} server never saw the call connect"
        assert any(e.get("event") == "track" and e["kind"] == "video" for e in call.server_events())


def test_chromium_screen_share_is_decoded_by_tandem(request) -> None:
    """Chromium shares its (fake) screen with getDisplayMedia; tandem decodes every frame it echoes."""
    call = run(
        "tandem",
        "chromium",
        request,
        server_options={"decode_video": True},
        client_options={"video_source": "screen", "seconds": 3.0},
    )
    result = assert_echo_worked(call, "chromium")
    sent_size = f"{result['outboundWidth']}x{result['outboundHeight']}"
    output = call.server.output(call.first_line)
    decoded = [line for line in output.splitlines() if line.startswith("decoded ")]
    assert decoded, f"the tandem server reported no decoding\n{output}"
    frames, size, refused = re.fullmatch(r"decoded (\d+) video frames \((\S+)\), (\d+) refused", decoded[-1]).groups()
    assert size == sent_size == "1280x720" and int(refused) == 0, f"{decoded[-1]}; Chromium sent {sent_size}"
    assert int(frames) >= 15, f"{frames} frames of Chromium's screen decoded in 3 s"


def test_chromium_decodes_tandem_vp8(request) -> None:
    """Chromium receives tandem's VP8 (the server's echo of it) and decodes it: getStats'
    framesDecoded rises during the call."""
    call = run("chromium", "tandem", request)
    assert_echo_worked(call, "tandem")
    samples = [
        e["framesDecoded"]
        for e in call.server_events()
        if e.get("event") == "inbound_video" and e.get("codec") == "video/VP8"
    ]
    assert len(samples) >= 2 and samples[-1] > samples[0] > 0, f"framesDecoded samples: {samples}"


def test_aiortc_remb_reaches_tandems_estimate(request) -> None:
    """aiortc estimates the path on its side (abs-send-time, which tandem stamps) and sends REMB;
    tandem's estimator takes it (no transport-wide feedback comes from aiortc)."""
    call = run("aiortc", "tandem", request, client_options={"seconds": 8.0})
    result = assert_echo_worked(call, "tandem")
    assert result["remb_received"] > 0, result
    assert result["transport_feedback_received"] == 0, result
    assert result["estimate_bps"] < 1_500_000, f"the estimate did not follow aiortc's REMB: {result}"


def test_opus_both_ways_with_aiortc(request) -> None:
    """An Opus tone from tandem is decoded by aiortc, which re-encodes it (its relay sends the decoded
    audio back); tandem decodes aiortc's Opus and hears the tone's frequency."""
    call = run("aiortc", "tandem", request, client_options={"audio": True})
    result = assert_echo_worked(call, "tandem")
    assert any(e.get("event") == "track" and e["kind"] == "audio" for e in call.server_events())
    assert result["audio_packets_received"] >= result["audio_packets_sent"] // 2, result
    assert abs(result["audio_frequency_hz"] - 440) <= 10, result


@pytest.mark.parametrize("dtls_role,srtp_profile", ROLE_PROFILE_COMBOS)
@pytest.mark.parametrize("client_kind", ["aiortc", "chromium", "tandem"])
def test_aiortc_server_forces_role_and_profile(
    client_kind: str, dtls_role: str, srtp_profile: str, request
) -> None:
    """The aiortc answerer takes the given DTLS role (a=setup in its answer) and
    allows one SRTP profile: the client must follow in both, and echo works."""
    call = run(
        "aiortc",
        client_kind,
        request,
        server_options={"dtls_role": dtls_role, "srtp_profile": srtp_profile},
    )
    result = assert_echo_worked(call, client_kind)
    event = server_connected_event(call)
    assert event is not None
    assert event["dtls_role"] == dtls_role
    assert event["srtp_profile"] == OPENSSL_PROFILE[srtp_profile]
    if client_kind == "aiortc":
        assert result["dtls_role"] == OPPOSITE_ROLE[dtls_role]
        assert result["srtp_profile"] == OPENSSL_PROFILE[srtp_profile]
    elif client_kind == "chromium":
        assert result["dtlsRole"] == OPPOSITE_ROLE[dtls_role]
        assert result["srtpCipher"] == STATS_CIPHER[srtp_profile]
    elif client_kind == "tandem":
        assert result["dtls_role"] == OPPOSITE_ROLE[dtls_role]
        assert result["srtp_profile"] == OPENSSL_PROFILE[srtp_profile]


@pytest.mark.parametrize("dtls_role,srtp_profile", ROLE_PROFILE_COMBOS)
@pytest.mark.parametrize("server_kind", ["aiortc", "tandem"])
def test_aiortc_client_asks_role_and_profile(
    server_kind: str, dtls_role: str, srtp_profile: str, request
) -> None:
    """The aiortc offerer allows one SRTP profile and asks for a DTLS role with
    a=setup:active/passive in its offer instead of actpass (RFC 8842 section
    5.2 answerer rules): the server must accept both and answer the opposite."""
    call = run(
        server_kind,
        "aiortc",
        request,
        client_options={"dtls_role": dtls_role, "srtp_profile": srtp_profile},
    )
    result = assert_echo_worked(call, "aiortc")
    assert result["dtls_role"] == dtls_role
    assert result["srtp_profile"] == OPENSSL_PROFILE[srtp_profile]
    if server_kind == "aiortc":
        event = server_connected_event(call)
        assert event is not None and event["dtls_role"] == OPPOSITE_ROLE[dtls_role]


@pytest.mark.parametrize("tamper", ["answer", "offer"])
@pytest.mark.parametrize("client_kind", ["aiortc", "chromium"])
@pytest.mark.parametrize("server_kind", ["aiortc", "tandem"])
def test_fingerprint_mismatch_breaks_the_call(
    server_kind: str, client_kind: str, tamper: str, request
) -> None:
    """A wrong a=fingerprint must stop media (RFC 8122 section 5).

    answer: the client alters the server's fingerprint before applying the
    answer, so the client must refuse the server's certificate.
    offer: the client sends the server a wrong fingerprint of its own, so the
    server must refuse the client's certificate.
    """
    call = run(server_kind, client_kind, request, client_options={"tamper": tamper})
    assert call.client.returncode == 0, call.describe()
    result = call.client.result
    assert result is not None and result["ok"] and not result["echo_worked"]
    if client_kind == "aiortc":
        assert result["frames_decoded"] == 0
        if tamper == "answer":
            assert result["connection_state"] == "failed"
    else:
        assert not result.get("framesDecoded")
        if tamper == "answer":
            assert "failed" in result["states"]
    if server_kind == "aiortc" and tamper == "offer":
        assert server_connected_event(call) is None, "aiortc server accepted a wrong fingerprint"
        assert any(
            e.get("event") == "connection" and e["state"] == "failed" for e in call.server_events()
        ), "aiortc server did not fail the connection"


@pytest.mark.parametrize("client_kind", harness.CLIENT_KINDS)
@pytest.mark.parametrize("server_kind", harness.SERVER_KINDS)
def test_datachannel_matrix(server_kind: str, client_kind: str, request) -> None:
    """The data-channel echo protocol (README): channels opened by either side,
    in-band and negotiated (id 100), ordered and unordered, text and binary
    messages up to 256 KiB, a close started by either side."""
    options = {"datachannel": DATACHANNEL_MESSAGES, "video": False}
    call = run(server_kind, client_kind, request, client_options=options)
    assert call.client.returncode == 0, call.describe()
    result = call.client.result
    assert result is not None, f"no JSON line on stdout\n{call.describe()}"
    total = len(dcp.CLIENT_CHANNELS) * DATACHANNEL_MESSAGES
    assert result["datachannel_sent"] == total, call.describe()
    assert result["datachannel_echoed"] == total, call.describe()
    assert result["datachannel_intact"] is True, "an echo differs from what was sent"
    assert result["server_channel_messages"] == dcp.PROBE_COUNT, call.describe()
    assert result["server_channel_intact"] is True, "server-probe messages arrived damaged"
    assert result["server_channel_closed"] is True, "the server's close of server-probe never completed"
    assert result["client_close_completed"] is True, "the client's close of echo-ordered never completed"
    if server_kind == "tandem":
        output = call.server.output(call.first_line)
        for label in ("echo-ordered", "echo-unordered"):
            assert f'data channel "{label}" opened by the client' in output, output
        assert "closing server-probe (acknowledged: true)" in output, (
            f"the client did not acknowledge the probe messages\n{call.describe()}"
        )
    else:
        events = call.server_events()
        opened = {e["label"] for e in events if e.get("event") == "datachannel"}
        assert opened == {"echo-ordered", "echo-unordered"}, f"in-band channels seen: {opened}"
        closing = [e for e in events if e.get("event") == "probe_closing"]
        assert closing and closing[0]["acknowledged"], (
            f"the client did not acknowledge the probe messages\n{call.describe()}"
        )


@pytest.mark.parametrize(
    "server_kind,client_kind",
    [("aiortc", "aiortc"), ("tandem", "aiortc"), ("aiortc", "tandem")],
)
def test_ivf_video_echo(server_kind: str, client_kind: str, ivf_file: str, request) -> None:
    """Frames read from a VP8 IVF file travel and come back (--ivf)."""
    call = run(server_kind, client_kind, request, client_options={"ivf": ivf_file})
    assert_echo_worked(call, client_kind, numbered=False)


@pytest.mark.parametrize("server_kind", harness.SERVER_KINDS)
def test_cors_preflight(server_kind: str, request, server_pool: harness.ServerPool) -> None:
    """A browser page on another origin may POST JSON to /offer."""
    key = (server_kind, ())
    place, server = server_pool.get(key, server_command_factory(server_kind, request))
    probe = harness.run_client(
        [harness.PYTHON, "-c", PREFLIGHT_PROBE, server.offer_url], place, timeout=20
    )
    assert probe.returncode == 0, probe.describe()
    status, headers = probe.result["status"], probe.result["headers"]
    assert 200 <= status < 300
    assert headers.get("access-control-allow-origin") in ("*", "http://127.0.0.1:9")
    assert "POST" in headers.get("access-control-allow-methods", "").upper()
    assert "content-type" in headers.get("access-control-allow-headers", "").lower()


# Runs inside the server's namespace, so it is passed as a script.
PREFLIGHT_PROBE = """
import json, sys, urllib.request
request = urllib.request.Request(sys.argv[1], method="OPTIONS", headers={
    "Origin": "http://127.0.0.1:9",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
})
with urllib.request.urlopen(request, timeout=10) as response:
    print(json.dumps({"status": response.status,
                      "headers": {k.lower(): v for k, v in response.headers.items()}}))
"""
