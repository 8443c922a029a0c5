# client/kts: the command-line tool.
