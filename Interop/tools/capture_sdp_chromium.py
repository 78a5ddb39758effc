#!/usr/bin/env python3
"""Captures real SDP offers and answers from headless Chromium for the SDP module's fixtures.

Writes three files into the output directory (default Tests/EngineTests/Fixtures/SDP):
  chromium-offer-video-data.sdp   offer: fake-camera video transceiver + data channel, ICE gathering complete
  chromium-answer-video-data.sdp  answer to that offer from a second RTCPeerConnection in the same page
  chromium-offer-audio-video.sdp  offer: fake microphone + fake camera, ICE gathering complete

Nothing leaves the machine: no ICE servers are configured, and loopback candidates are allowed. Run as root, the
script re-runs itself inside a private network namespace that holds only `lo`, so every candidate is 127.0.0.1
(without root it runs in place and Chromium also lists the machine's other addresses; nothing is sent to them).
Run: /tmp/venvtest/bin/python Interop/tools/capture_sdp_chromium.py [outdir]
"""
import http.server
import os
import shutil
import sys
import threading

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]

# Runs in the page; the last argument is Selenium's completion callback.
CAPTURE_SCRIPT = """
const done = arguments[arguments.length - 1];
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise(resolve => pc.addEventListener('icegatheringstatechange', () => {
    if (pc.iceGatheringState === 'complete') resolve();
  }));
}
(async () => {
  const config = { iceServers: [] };

  const offerer = new RTCPeerConnection(config);
  const camera = await navigator.mediaDevices.getUserMedia({ video: true });
  const video = camera.getVideoTracks()[0];
  offerer.addTransceiver(video, { direction: 'sendrecv', streams: [camera] });
  offerer.createDataChannel('chat');
  await offerer.setLocalDescription(await offerer.createOffer());
  await gathered(offerer);
  const videoDataOffer = offerer.localDescription.sdp;

  const answerer = new RTCPeerConnection(config);
  const answerCamera = await navigator.mediaDevices.getUserMedia({ video: true });
  answerer.addEventListener('track', () => {});
  await answerer.setRemoteDescription({ type: 'offer', sdp: videoDataOffer });
  const transceiver = answerer.getTransceivers()[0];
  await transceiver.sender.replaceTrack(answerCamera.getVideoTracks()[0]);
  transceiver.sender.setStreams(answerCamera);
  transceiver.direction = 'sendrecv';
  await answerer.setLocalDescription(await answerer.createAnswer());
  await gathered(answerer);
  const videoDataAnswer = answerer.localDescription.sdp;

  const avOfferer = new RTCPeerConnection(config);
  const av = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  for (const track of av.getTracks()) avOfferer.addTrack(track, av);
  await avOfferer.setLocalDescription(await avOfferer.createOffer());
  await gathered(avOfferer);
  const audioVideoOffer = avOfferer.localDescription.sdp;

  for (const pc of [offerer, answerer, avOfferer]) pc.close();
  for (const stream of [camera, answerCamera, av]) stream.getTracks().forEach(t => t.stop());
  done({ videoDataOffer, videoDataAnswer, audioVideoOffer, userAgent: navigator.userAgent });
})().catch(error => done({ error: String(error) }));
"""


class BlankPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>sdp capture</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_blank_page() -> http.server.HTTPServer:
    """Serves an empty page on a free loopback port from a background thread."""
    server = http.server.HTTPServer(("127.0.0.1", 0), BlankPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def reexec_in_private_network_namespace() -> None:
    """Replaces this process with itself under `unshare -n` (a new network namespace with only loopback, brought up)."""
    if os.environ.get("SDP_CAPTURE_IN_NETNS") or os.geteuid() != 0 or not shutil.which("unshare"):
        return
    env = dict(os.environ, SDP_CAPTURE_IN_NETNS="1")
    command = 'ip link set lo up && exec "$0" "$@"'
    os.execvpe("unshare", ["unshare", "-n", "sh", "-c", command, sys.executable, *sys.argv], env)


def main() -> int:
    reexec_in_private_network_namespace()
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "Tests/EngineTests/Fixtures/SDP"
    os.environ.setdefault("SE_OFFLINE", "true")
    server = serve_blank_page()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.set_script_timeout(30)
        # getUserMedia needs a secure context; about:blank is not one, http://127.0.0.1 is.
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
        result = driver.execute_async_script(CAPTURE_SCRIPT)
    finally:
        driver.quit()
        server.shutdown()
    if "error" in result:
        print("capture failed:", result["error"], file=sys.stderr)
        return 1
    print("captured from", result["userAgent"])
    files = {
        "chromium-offer-video-data.sdp": result["videoDataOffer"],
        "chromium-answer-video-data.sdp": result["videoDataAnswer"],
        "chromium-offer-audio-video.sdp": result["audioVideoOffer"],
    }
    os.makedirs(out_dir, exist_ok=True)
    for name, sdp in files.items():
        # Keep the browser's bytes exactly (CRLF line ends).
        with open(os.path.join(out_dir, name), "w", newline="") as f:
            f.write(sdp)
        print("wrote", name, len(sdp), "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
