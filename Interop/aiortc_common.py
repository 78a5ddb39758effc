"""Settings shared by the aiortc echo server and client.

Everything here configures aiortc 1.16 for the interop tests:
loopback-only ICE, a forced DTLS role (through the SDP `a=setup`
attribute, RFC 8842 section 5), a restricted list of DTLS-SRTP protection
profiles (RFC 5764 section 4.1.2) and deliberate fingerprint tampering
(RFC 8122 section 5).
"""

from __future__ import annotations

import re
from typing import Iterable

import aioice.ice
import aiortc.rtcdtlstransport as dtls_module
from aiortc import RTCConfiguration, RTCPeerConnection

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080

# Name on the command line -> OpenSSL names of the profiles aiortc may use.
# "any" keeps aiortc's own list (AES-256-GCM, AES-128-GCM, AES128-CM-SHA1-80).
SRTP_CHOICES = {
    "any": None,
    "gcm": [b"SRTP_AEAD_AES_128_GCM"],
    "gcm256": [b"SRTP_AEAD_AES_256_GCM"],
    "cm": [b"SRTP_AES128_CM_SHA1_80"],
}

DTLS_ROLE_CHOICES = ("auto", "client", "server")

# RFC 4145 section 4 / RFC 8842 section 5: "active" opens the DTLS
# association (DTLS client), "passive" waits for it (DTLS server).
SETUP_FOR_ROLE = {"client": "active", "server": "passive"}


def parse_host_port(text: str) -> tuple[str, int]:
    """Split "HOST:PORT" (IPv6 hosts in brackets) into its two parts."""
    match = re.fullmatch(r"\[?([^\]]*?)\]?:(\d+)", text)
    if not match:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return match.group(1), int(match.group(2))


def keep_ice_on_loopback() -> None:
    """Make aioice gather only 127.0.0.1 (it leaves loopback out by default)."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


def restrict_srtp_profiles(choice: str) -> None:
    """Limit the profiles every later RTCDtlsTransport offers and accepts.

    aiortc 1.16 copies the module-level list SRTP_PROFILES into each
    RTCDtlsTransport when it is constructed and hands it to OpenSSL's
    use_srtp extension, so replacing the list before the peer connection
    is created is enough.
    """
    wanted = SRTP_CHOICES[choice]
    if wanted is None:
        return
    available = {p.openssl_profile: p for p in dtls_module.SRTP_PROFILES}
    missing = [name for name in wanted if name not in available]
    if missing:
        raise SystemExit(f"libsrtp here lacks SRTP profile(s) {missing}")
    dtls_module.SRTP_PROFILES = [available[name] for name in wanted]


def new_peer_connection() -> RTCPeerConnection:
    """A peer connection with no STUN/TURN server: host candidates only."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def force_setup(sdp: str, role: str) -> str:
    """Rewrite every a=setup line so this side takes the given DTLS role."""
    if role == "auto":
        return sdp
    return re.sub(r"(?m)^a=setup:\S+", f"a=setup:{SETUP_FOR_ROLE[role]}", sdp)


def tamper_fingerprint(sdp: str) -> str:
    """Flip the last hex digit of every a=fingerprint line.

    The result is still a well-formed fingerprint, it just names a
    certificate the peer does not hold, so a correct DTLS stack must refuse
    the handshake (RFC 8122 section 5, RFC 5763 section 5).
    """

    def flip(match: re.Match[str]) -> str:
        value = match.group(2)
        last = value[-1]
        replacement = "0" if last != "0" else "1"
        return match.group(1) + value[:-1] + replacement

    tampered, count = re.subn(r"(?m)^(a=fingerprint:\S+ )([0-9A-Fa-f:]+)", flip, sdp)
    if count == 0:
        raise ValueError("SDP has no a=fingerprint line to tamper with")
    return tampered


def dtls_transports(pc: RTCPeerConnection) -> Iterable[dtls_module.RTCDtlsTransport]:
    """The distinct DTLS transports of a peer connection (one when bundled)."""
    seen: list[dtls_module.RTCDtlsTransport] = []
    for transceiver in pc.getTransceivers():
        transport = transceiver.receiver.transport
        if transport is not None and transport not in seen:
            seen.append(transport)
    if pc.sctp is not None and pc.sctp.transport not in seen:
        seen.append(pc.sctp.transport)
    return seen


def negotiated_security(pc: RTCPeerConnection) -> dict[str, str | None]:
    """DTLS role and SRTP profile this side actually used.

    Read from the transport's OpenSSL connection: aiortc exposes no public
    accessor for either value.
    """
    for transport in dtls_transports(pc):
        ssl = getattr(transport, "_ssl", None)
        if ssl is None:
            continue
        profile = ssl.get_selected_srtp_profile()
        return {
            "dtls_role": transport._role,
            "srtp_profile": profile.decode() if profile else None,
            "dtls_state": transport.state,
        }
    return {"dtls_role": None, "srtp_profile": None, "dtls_state": None}
