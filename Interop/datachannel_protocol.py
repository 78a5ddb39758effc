"""The data-channel echo protocol shared by every reference peer here.

Interop/README.md ("Data-channel echo protocol") is the normative text; this
module is its Python form, used by the aiortc peers and the Chromium client
wrapper. chromium_echo_page.js and chromium_echo_server_page.js hold the same
constants in JavaScript.

The client (offerer) opens three channels before it creates the offer, sends
N messages on each once it opens and checks the echoes. The server
(answerer) echoes, creates the negotiated channel on its side, and opens one
channel of its own ("server-probe") that it fills and, once the client
acknowledged the messages, closes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelSpec:
    label: str
    ordered: bool
    negotiated: bool = False
    id: int | None = None


# The client's channels; a channel's position in this list is its index c.
CLIENT_CHANNELS = (
    ChannelSpec("echo-ordered", ordered=True),
    ChannelSpec("echo-unordered", ordered=False),
    # Created by both sides (RFC 8832 section 6 is skipped for it).
    ChannelSpec("echo-negotiated", ordered=True, negotiated=True, id=100),
)
NEGOTIATED = CLIENT_CHANNELS[2]
# The channel the client closes once every echo arrived.
CLOSED_BY_CLIENT = CLIENT_CHANNELS[0].label

TEXTS = ("远程协助：请共享您的屏幕", "مرحبا، هل يمكنني المساعدة؟", "👩‍💻🖱️⌨️✅", "ready")
SIZES = (1, 100, 1200, 16384, 65536, 262144)

PROBE_LABEL = "server-probe"
PROBE_COUNT = 10
# The client's one message on the probe channel once it holds every probe
# message; the server closes the probe channel when it arrives (or after
# PROBE_ACK_TIMEOUT). Chromium drops messages it has not yet delivered to the
# page when the stream reset arrives right behind them, so the close must not
# come before the page has seen them.
PROBE_ACK = "server-probe received"
PROBE_ACK_TIMEOUT = 5.0

DEFAULT_MESSAGES = 12  # per channel: every size of SIZES occurs once
CLOSE_TIMEOUT = 5.0  # seconds a channel close may take
BUFFERED_HIGH = 1 << 20  # senders wait for bufferedamountlow above this

_BYTE_RAMP = bytes(range(256)) * (max(SIZES) // 256 + 2)


def client_message(channel_index: int, index: int) -> str | bytes:
    """Message `index` (0-based) of the client on channel `channel_index`:
    text on even indexes, binary on odd ones (byte k = k + 7i + c mod 256)."""
    if index % 2 == 0:
        return f"{channel_index}:{index} " + TEXTS[(index // 2) % len(TEXTS)]
    size = SIZES[(index // 2) % len(SIZES)]
    offset = (index * 7 + channel_index) % 256
    return _BYTE_RAMP[offset : offset + size]


def client_messages(channel_index: int, count: int) -> list[str | bytes]:
    return [client_message(channel_index, index) for index in range(count)]


def probe_messages() -> list[str]:
    return [f"server-probe {index} 🚀" for index in range(PROBE_COUNT)]


def echo_intact(spec: ChannelSpec, sent: list[str | bytes], echoed: list[str | bytes]) -> bool:
    """Ordered channels: the same list in the same order. Unordered: the same
    multiset (RFC 8831 section 6.6 lets unordered messages overtake)."""
    if spec.ordered:
        return echoed == sent
    return Counter(echoed) == Counter(sent)


def has_application_section(sdp: str) -> bool:
    """True when the SDP carries an m=application (data channel) section."""
    return any(line.startswith("m=application ") for line in sdp.splitlines())
