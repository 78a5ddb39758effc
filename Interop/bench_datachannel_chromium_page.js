// The sink of the data-channel benchmark (Sources/tandem-bench/DataChannelBenchProtocol.swift),
// run inside headless Chromium by bench_datachannel_chromium.py with execute_script. It installs
// window.benchSink:
//   answer(offerSdp) -> Promise of {type: "answer", sdp} once ICE gathering is complete (non-trickle),
//     or {error}, for one new RTCPeerConnection per offer;
//   closeAll() -> closes every call.
// Per call: "bulk" counts the bytes and messages it receives and the first and last arrival
// (performance.now(), monotonic); "latency" sends every message back on the same channel;
// "control" answers the text "done" with the JSON text {"bulk_bytes", "bulk_messages", "bulk_seconds"}.
window.benchSink = (() => {
  const connections = new Set();
  const GATHERING_TIMEOUT_MS = 5000;

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

  function newCounter() {
    return { bytes: 0, messages: 0, first: null, last: null };
  }

  function report(counter) {
    const seconds = counter.first === null ? 0 : (counter.last - counter.first) / 1000;
    return JSON.stringify({ bulk_bytes: counter.bytes, bulk_messages: counter.messages, bulk_seconds: seconds });
  }

  function serve(channel, counter) {
    channel.binaryType = "arraybuffer";
    if (channel.label === "bulk") {
      channel.onmessage = (event) => {
        if (!(event.data instanceof ArrayBuffer)) return;
        const now = performance.now();
        if (counter.first === null) counter.first = now;
        counter.last = now;
        counter.bytes += event.data.byteLength;
        counter.messages += 1;
      };
    } else if (channel.label === "latency") {
      channel.onmessage = (event) => {
        if (channel.readyState === "open") channel.send(event.data);
      };
    } else {
      channel.onmessage = (event) => {
        if (event.data === "done" && channel.readyState === "open") channel.send(report(counter));
      };
    }
  }

  function forget(pc) {
    if (!connections.delete(pc)) return;
    pc.close();
  }

  async function answer(offerSdp) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    connections.add(pc);
    const counter = newCounter();
    pc.ondatachannel = (event) => serve(event.channel, counter);
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed" || pc.connectionState === "closed") forget(pc);
    };
    try {
      await pc.setRemoteDescription({ type: "offer", sdp: offerSdp });
      await pc.setLocalDescription();
      // The source's pc.close() sends a DTLS close_notify; Chromium's connectionState does not show it.
      if (pc.sctp) {
        const dtls = pc.sctp.transport;
        dtls.onstatechange = () => {
          if (dtls.state === "closed") forget(pc);
        };
      }
      await waitFor(() => pc.iceGatheringState === "complete", GATHERING_TIMEOUT_MS);
      return { type: "answer", sdp: pc.localDescription.sdp };
    } catch (error) {
      forget(pc);
      return { error: String(error) };
    }
  }

  function closeAll() {
    for (const pc of [...connections]) forget(pc);
  }

  return { answer, closeAll };
})();
