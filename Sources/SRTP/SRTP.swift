// Module SRTP: see ../../README.md (Layout) for what it holds.
