// Module DTLS: see ../../README.md (Layout) for what it holds.
