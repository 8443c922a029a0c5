# tools/: developer and operator programs.
