// Module STUN: see ../../README.md (Layout) for what it holds.
