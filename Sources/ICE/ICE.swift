// Module ICE: see ../../README.md (Layout) for what it holds.
