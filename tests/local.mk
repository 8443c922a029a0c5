# tests/: Check unit tests, fuzz corpus replay, integration scripts.
