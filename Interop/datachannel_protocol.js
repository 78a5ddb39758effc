// The data-channel echo protocol (Interop/README.md, "Data-channel echo
// protocol") in JavaScript, the same as datachannel_protocol.py. The Chromium
// wrappers put this text in front of chromium_echo_page.js and
// chromium_echo_server_page.js.
const DCP = (() => {
  // The client's channels; a channel's position here is its index c.
  const CLIENT_CHANNELS = [
    { label: "echo-ordered", init: { ordered: true } },
    { label: "echo-unordered", init: { ordered: false } },
    // Created by both sides, no DCEP open (RFC 8832 section 6 is skipped).
    { label: "echo-negotiated", init: { ordered: true, negotiated: true, id: 100 } },
  ];
  const TEXTS = ["远程协助：请共享您的屏幕", "مرحبا، هل يمكنني المساعدة؟", "👩‍💻🖱️⌨️✅", "ready"];
  const SIZES = [1, 100, 1200, 16384, 65536, 262144];
  // The channel the client closes once every echo arrived.
  const CLOSED_BY_CLIENT = "echo-ordered";
  const PROBE_LABEL = "server-probe";
  const PROBE_COUNT = 10;
  // The client's acknowledgement on the probe channel (see the README).
  const PROBE_ACK = "server-probe received";
  const PROBE_ACK_TIMEOUT_MS = 5000;

  // Message `index` of the client on channel `channelIndex`: text on even
  // indexes, binary on odd ones (byte k = k + 7i + c mod 256).
  function clientMessage(channelIndex, index) {
    if (index % 2 === 0) {
      return `${channelIndex}:${index} ` + TEXTS[Math.floor(index / 2) % TEXTS.length];
    }
    const size = SIZES[Math.floor(index / 2) % SIZES.length];
    const bytes = new Uint8Array(size);
    for (let k = 0; k < size; k++) bytes[k] = (k + index * 7 + channelIndex) % 256;
    return bytes.buffer;
  }

  function probeMessages() {
    return Array.from({ length: PROBE_COUNT }, (_, i) => `server-probe ${i} 🚀`);
  }

  function sameMessage(a, b) {
    if (typeof a === "string" || typeof b === "string") return a === b;
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
    return true;
  }

  // Ordered: the same list in the same order. Unordered: the same multiset
  // (RFC 8831 section 6.6 lets unordered messages overtake each other).
  function echoIntact(ordered, sent, echoed) {
    if (sent.length !== echoed.length) return false;
    if (ordered) return sent.every((message, i) => sameMessage(message, echoed[i]));
    const unused = [...sent];
    return echoed.every((message) => {
      const at = unused.findIndex((candidate) => sameMessage(candidate, message));
      if (at < 0) return false;
      unused.splice(at, 1);
      return true;
    });
  }

  // Sends after waiting for bufferedamountlow while more than `high` bytes
  // are queued (the browser's send buffer is finite).
  async function sendPaced(channel, message, high) {
    if (channel.bufferedAmount > high) {
      channel.bufferedAmountLowThreshold = high / 2;
      await new Promise((resolve) => {
        channel.addEventListener("bufferedamountlow", resolve, { once: true });
        channel.addEventListener("close", resolve, { once: true });
      });
    }
    channel.send(message);
  }

  return {
    CLIENT_CHANNELS,
    CLOSED_BY_CLIENT,
    PROBE_LABEL,
    PROBE_COUNT,
    PROBE_ACK,
    PROBE_ACK_TIMEOUT_MS,
    clientMessage,
    probeMessages,
    echoIntact,
    sameMessage,
    sendPaced,
  };
})();
