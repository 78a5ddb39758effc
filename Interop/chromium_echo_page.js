// WebRTC Echo Test client run inside headless Chromium by chromium_echo_client.py
// through Selenium's execute_async_script. The last argument is Selenium's
// completion callback; the script hands it one result object.
//
// Flow (WebRTC Echo Test specification, sipsorcery/webrtc-echoes): a fake
// camera track (video "camera"), the fake screen of getDisplayMedia (video
// "screen"), or none (video false), and the channels of the data-channel echo
// protocol (DCP, from datachannel_protocol.js, put in front of this text) ->
// offer with VP8 first -> wait for ICE gathering to complete (non-trickle) ->
// POST the offer as JSON -> apply the answer -> play the echo, check the
// data-channel echoes -> read getStats after the requested time.
const [offerUrl, seconds, connectTimeout, tamper, data, video, done] = arguments;

const started = performance.now();
const since = () => Math.round((performance.now() - started) * 10) / 10;
const result = { states: [] };

// Flip the last hex digit of every a=fingerprint line: still well formed,
// but it names a certificate the peer does not hold (RFC 8122 section 5).
function tamperFingerprint(sdp) {
  let count = 0;
  const out = sdp.replace(/^(a=fingerprint:\S+ )([0-9A-Fa-f:]+)$/gm, (line, head, value) => {
    count += 1;
    const last = value.slice(-1) === "0" ? "1" : "0";
    return head + value.slice(0, -1) + last;
  });
  if (count === 0) throw new Error("SDP has no a=fingerprint line to tamper with");
  return out;
}

function waitFor(predicate, timeoutMs) {
  return new Promise((resolve) => {
    const deadline = performance.now() + timeoutMs;
    const poll = () => {
      if (predicate() || performance.now() >= deadline) resolve(predicate());
      else setTimeout(poll, 20);
    };
    poll();
  });
}

// The client side of the data-channel echo protocol: three channels of its
// own, echo checks, the server's channel, and a close started here.
function startDataChannels(pc, count, bufferedHigh) {
  const state = { sent: [], echoed: [], channels: [], serverMessages: [], serverClosed: false };
  DCP.CLIENT_CHANNELS.forEach((spec, index) => {
    const channel = pc.createDataChannel(spec.label, spec.init);
    channel.binaryType = "arraybuffer";
    state.sent.push([]);
    state.echoed.push([]);
    state.channels.push(channel);
    channel.onopen = async () => {
      try {
        for (let i = 0; i < count; i++) {
          const message = DCP.clientMessage(index, i);
          await DCP.sendPaced(channel, message, bufferedHigh);
          state.sent[index].push(message);
        }
      } catch (error) {
        state.sendError = String(error);
      }
    };
    channel.onmessage = (event) => state.echoed[index].push(event.data);
  });
  pc.ondatachannel = (event) => {
    const channel = event.channel;
    channel.binaryType = "arraybuffer";
    channel.onmessage = (message) => {
      state.serverMessages.push(message.data);
      if (state.serverMessages.length === DCP.PROBE_COUNT && channel.readyState === "open") {
        channel.send(DCP.PROBE_ACK);
      }
    };
    channel.onclose = () => {
      state.serverClosed = true;
    };
  };
  state.allEchoed = () => state.echoed.every((echoed) => echoed.length >= count);
  return state;
}

async function finishDataChannels(state, options) {
  await waitFor(() => state.allEchoed() && state.serverClosed, options.timeout * 1000);
  const closing = state.channels.find((channel) => channel.label === DCP.CLOSED_BY_CLIENT);
  let closeCompleted = false;
  if (closing.readyState === "open") {
    closing.close();
    closeCompleted = await waitFor(() => closing.readyState === "closed", options.closeTimeout * 1000);
  }
  const intact = DCP.CLIENT_CHANNELS.every(
    (spec, index) =>
      state.sent[index].length === options.count &&
      DCP.echoIntact(spec.init.ordered, state.sent[index], state.echoed[index])
  );
  const probe = DCP.probeMessages();
  return {
    datachannel_sent: state.sent.reduce((sum, sent) => sum + sent.length, 0),
    datachannel_echoed: state.echoed.reduce((sum, echoed) => sum + echoed.length, 0),
    datachannel_intact: intact,
    server_channel_messages: state.serverMessages.length,
    server_channel_intact:
      state.serverMessages.length === probe.length &&
      probe.every((message, i) => DCP.sameMessage(message, state.serverMessages[i])),
    server_channel_closed: state.serverClosed,
    client_close_completed: closeCompleted,
    ...(state.sendError ? { datachannel_send_error: state.sendError } : {}),
  };
}

async function collectStats(pc) {
  const stats = await pc.getStats();
  const byId = new Map();
  stats.forEach((report) => byId.set(report.id, report));
  const out = {};
  stats.forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") {
      out.framesDecoded = report.framesDecoded;
      out.framesReceived = report.framesReceived;
      out.bytesReceived = report.bytesReceived;
      out.packetsReceived = report.packetsReceived;
      out.packetsLost = report.packetsLost;
      out.frameWidth = report.frameWidth;
      out.frameHeight = report.frameHeight;
      const codec = byId.get(report.codecId);
      out.inboundCodec = codec ? codec.mimeType : null;
    } else if (report.type === "outbound-rtp" && report.kind === "video") {
      out.framesEncoded = report.framesEncoded;
      out.bytesSent = report.bytesSent;
      out.outboundWidth = report.frameWidth;
      out.outboundHeight = report.frameHeight;
      const codec = byId.get(report.codecId);
      out.outboundCodec = codec ? codec.mimeType : null;
    } else if (report.type === "transport") {
      out.dtlsState = report.dtlsState;
      out.dtlsRole = report.dtlsRole;
      out.srtpCipher = report.srtpCipher;
      out.dtlsCipher = report.dtlsCipher;
      out.tlsVersion = report.tlsVersion;
      const pair = byId.get(report.selectedCandidatePairId);
      if (pair) {
        const local = byId.get(pair.localCandidateId);
        const remote = byId.get(pair.remoteCandidateId);
        out.localCandidate = local ? `${local.address}:${local.port}` : null;
        out.remoteCandidate = remote ? `${remote.address}:${remote.port}` : null;
      }
    }
  });
  return out;
}

(async () => {
  let pc;
  try {
    pc = new RTCPeerConnection({ iceServers: [] });
    pc.onconnectionstatechange = () => {
      result.states.push(pc.connectionState);
      if (pc.connectionState === "connected" && result.setup_ms === undefined) {
        result.setup_ms = since();
      }
    };

    const videoElement = document.createElement("video");
    if (video) {
      const stream =
        video === "screen"
          ? await navigator.mediaDevices.getDisplayMedia({ video: { width: 1280, height: 720 }, audio: false })
          : await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
      // Screen content: keep the resolution and drop frames under pressure (W3C mst-content-hint).
      if (video === "screen") stream.getVideoTracks()[0].contentHint = "detail";
      const transceiver = pc.addTransceiver(stream.getVideoTracks()[0], {
        direction: "sendrecv",
        streams: [stream],
      });
      if (video === "screen") {
        const parameters = transceiver.sender.getParameters();
        parameters.degradationPreference = "maintain-resolution";
        await transceiver.sender.setParameters(parameters);
      }
      // VP8 first, every other codec Chromium has after it: the answerer must
      // pick VP8 out of a full browser offer.
      const codecs = RTCRtpReceiver.getCapabilities("video").codecs;
      transceiver.setCodecPreferences([
        ...codecs.filter((c) => c.mimeType === "video/VP8"),
        ...codecs.filter((c) => c.mimeType !== "video/VP8"),
      ]);

      videoElement.autoplay = true;
      videoElement.muted = true;
      videoElement.playsInline = true;
      document.body.appendChild(videoElement);
      pc.ontrack = (event) => {
        videoElement.srcObject = event.streams[0] || new MediaStream([event.track]);
        videoElement.play().catch(() => {});
      };
    }

    const channels = data.count > 0 ? startDataChannels(pc, data.count, data.bufferedHigh) : null;

    await pc.setLocalDescription(await pc.createOffer());
    await waitFor(() => pc.iceGatheringState === "complete", 5000);
    result.ice_gathering = pc.iceGatheringState;
    result.offer_candidates = pc.localDescription.sdp
      .split(/\r?\n/)
      .filter((line) => line.startsWith("a=candidate:"))
      .map((line) => line.split(" ").slice(4, 6).join(":"));

    let offerSdp = pc.localDescription.sdp;
    if (tamper === "offer") offerSdp = tamperFingerprint(offerSdp);
    const response = await fetch(offerUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ type: "offer", sdp: offerSdp }),
    });
    if (!response.ok) throw new Error(`POST ${offerUrl} -> HTTP ${response.status}`);
    const answer = await response.json();
    if (answer.type !== "answer") throw new Error(`server returned type ${answer.type}`);
    if (tamper === "answer") answer.sdp = tamperFingerprint(answer.sdp);
    result.answer_setup = (answer.sdp.match(/^a=setup:(\S+)/m) || [])[1] || null;
    await pc.setRemoteDescription(answer);

    const settled = () => ["connected", "failed", "closed"].includes(pc.connectionState);
    await waitFor(settled, connectTimeout * 1000);
    if (pc.connectionState === "connected") {
      // Echo for the requested time; with a tampered offer the connection
      // may come up while the server refuses to talk, so wait as well.
      if (video) await waitFor(() => pc.connectionState === "failed", seconds * 1000);
      if (channels) Object.assign(result, await finishDataChannels(channels, data));
    }
    result.connection_state = pc.connectionState;
    Object.assign(result, await collectStats(pc));
    result.video_width = videoElement.videoWidth;
    result.video_height = videoElement.videoHeight;
  } catch (error) {
    result.error = String(error && error.stack ? error.stack : error);
    result.connection_state = pc ? pc.connectionState : "new";
  } finally {
    if (pc) pc.close();
    done(result);
  }
})();
