// Module SDP: see ../../README.md (Layout) for what it holds.
