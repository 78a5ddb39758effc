// WebRTC Echo Test server run inside headless Chromium by
// chromium_echo_server.py, which puts datachannel_protocol.js (DCP) in front
// of this text and runs it once with execute_script. It installs
// window.echoServer:
//   answer(offerSdp) -> Promise of the complete answer SDP (non-trickle: ICE
//     gathering has finished), for one new RTCPeerConnection per offer;
//   drainEvents() -> the events since the last call (the Python side prints
//     them as JSON lines, like aiortc_echo_server.py).
// Every received track is sent back on its own transceiver, every message
// on a channel the client opened is sent back on it, and the server side of
// the data-channel echo protocol (Interop/README.md) runs.
window.echoServer = (() => {
  const events = [];
  const connections = new Map();
  let nextId = 1;

  const emit = (event, fields) => events.push({ event, ...fields });

  function waitFor(predicate, timeoutMs) {
    return new Promise((resolve) => {
      const deadline = performance.now() + timeoutMs;
      const poll = () => {
        if (predicate() || performance.now() >= deadline) resolve(predicate());
        else setTimeout(poll, 10);
      };
      poll();
    });
  }

  function echoChannel(id, channel) {
    channel.binaryType = "arraybuffer";
    channel.onmessage = (event) => {
      if (channel.readyState !== "open") return;
      try {
        channel.send(event.data);
      } catch (error) {
        emit("echo_failed", { id, label: channel.label, error: String(error) });
      }
    };
    channel.onclose = () => emit("datachannel_closed", { id, label: channel.label });
  }

  // The server's own in-band channel: the probe messages, then a close
  // started here once the client acknowledged them (or the acknowledgement
  // timeout passed) and the browser has handed everything to SCTP.
  function openProbeChannel(id, pc) {
    const channel = pc.createDataChannel(DCP.PROBE_LABEL, { ordered: true });
    let acknowledged = false;
    channel.onmessage = (event) => {
      if (event.data === DCP.PROBE_ACK) acknowledged = true;
    };
    channel.onopen = async () => {
      try {
        for (const message of DCP.probeMessages()) channel.send(message);
        await waitFor(() => acknowledged, DCP.PROBE_ACK_TIMEOUT_MS);
        await waitFor(() => channel.bufferedAmount === 0, 5000);
        emit("probe_closing", { id, acknowledged, buffered: channel.bufferedAmount });
        channel.close();
      } catch (error) {
        emit("probe_failed", { id, error: String(error) });
      }
    };
    channel.onclose = () => emit("datachannel_closed", { id, label: channel.label });
  }

  async function securityOf(pc) {
    const out = {};
    (await pc.getStats()).forEach((report) => {
      if (report.type === "transport") {
        out.dtls_role = report.dtlsRole;
        out.srtp_cipher = report.srtpCipher;
      }
    });
    return out;
  }

  // What this browser decodes of the client's video, twice a second while
  // the call lasts (getStats inbound-rtp: framesDecoded, size, codec).
  function reportInboundVideo(id, pc) {
    const timer = setInterval(async () => {
      if (!connections.has(id)) return clearInterval(timer);
      const reports = await pc.getStats();
      reports.forEach((report) => {
        if (report.type !== "inbound-rtp" || report.kind !== "video") return;
        const codec = reports.get(report.codecId);
        emit("inbound_video", {
          id,
          framesDecoded: report.framesDecoded || 0,
          frameWidth: report.frameWidth,
          frameHeight: report.frameHeight,
          codec: codec ? codec.mimeType : null,
        });
      });
    }, 500);
  }

  function forget(id, pc) {
    if (!connections.has(id)) return;
    connections.delete(id);
    pc.close();
  }

  async function answer(offerSdp) {
    const id = nextId++;
    const pc = new RTCPeerConnection({ iceServers: [] });
    connections.set(id, pc);

    pc.onconnectionstatechange = async () => {
      const state = pc.connectionState;
      const fields = { id, state };
      if (state === "connected") Object.assign(fields, await securityOf(pc));
      emit("connection", fields);
      if (state === "connected") reportInboundVideo(id, pc);
      if (state === "failed" || state === "closed") forget(id, pc);
      // The peer went away without a DTLS close: give it a moment to come back.
      if (state === "disconnected") {
        setTimeout(() => {
          if (pc.connectionState === "disconnected") {
            forget(id, pc);
            emit("connection", { id, state: "closed", after: "disconnected" });
          }
        }, 3000);
      }
    };

    pc.ontrack = (event) => emit("track", { id, kind: event.track.kind });

    let probeOpened = false;
    pc.ondatachannel = (event) => {
      const channel = event.channel;
      emit("datachannel", { id, label: channel.label });
      echoChannel(id, channel);
      if (probeOpened) return;
      probeOpened = true;
      if (channel.readyState === "open") openProbeChannel(id, pc);
      else channel.addEventListener("open", () => openProbeChannel(id, pc), { once: true });
    };

    try {
      await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
      if (/^m=application /m.test(offerSdp)) {
        const spec = DCP.CLIENT_CHANNELS.find((channel) => channel.init.negotiated);
        echoChannel(id, pc.createDataChannel(spec.label, spec.init));
      }
      // Echo: each received track goes back on the transceiver it came on.
      for (const transceiver of pc.getTransceivers()) {
        const track = transceiver.receiver.track;
        if (!track) continue;
        transceiver.direction = "sendrecv";
        await transceiver.sender.replaceTrack(track);
      }
      await pc.setLocalDescription();
      // A peer that closes its side sends a DTLS close_notify (RFC 5246
      // section 7.2.1); the connection state does not show that.
      const transceiver = pc.getTransceivers()[0];
      const dtls = pc.sctp ? pc.sctp.transport : transceiver && transceiver.sender.transport;
      if (dtls) {
        dtls.onstatechange = () => {
          if (dtls.state !== "closed" || !connections.has(id)) return;
          forget(id, pc);
          emit("connection", { id, state: "closed", after: "dtls_closed" });
        };
      }
      await waitFor(() => pc.iceGatheringState === "complete", 5000);
      return { type: "answer", sdp: pc.localDescription.sdp };
    } catch (error) {
      forget(id, pc);
      emit("rejected", { id, error: String(error) });
      return { error: String(error) };
    }
  }

  function drainEvents() {
    return events.splice(0, events.length);
  }

  function closeAll() {
    for (const [id, pc] of connections) forget(id, pc);
  }

  return { answer, drainEvents, closeAll };
})();
