// Module RTP: see ../../README.md (Layout) for what it holds.
