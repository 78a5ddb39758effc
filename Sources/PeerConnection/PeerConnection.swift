// Module PeerConnection: see ../../README.md (Layout) for what it holds.
