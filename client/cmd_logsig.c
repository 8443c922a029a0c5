/*
 * cmd_logsig.c - `kts logsig`: dispatch to the log-signature subcommands
 * (spec/logsig.md; docs/logsig.md is the user's guide).
 */
#include <stdio.h>
#include <string.h>

#include "logsig_cli.h"

struct sub {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct sub subs[] = {
	{ "sign", ls_cmd_sign, "sign log files block by block" },
	{ "verify", ls_cmd_verify, "verify a log (or an excerpt) and its "
	    "signature file" },
	{ "extract", ls_cmd_extract, "cut chosen lines and their proofs "
	    "out of a signed log" },
	{ "proofs", ls_cmd_proofs, "a JSON line with its proof for every "
	    "log line (SIEM)" },
	{ "resign", ls_cmd_resign, "sign the blocks left unsigned" },
	{ "extend", ls_cmd_extend, "extend every block signature to a "
	    "publication" },
};

#define N_SUBS (sizeof(subs) / sizeof(subs[0]))

static void
usage(FILE *f)
{
	size_t i;

	fputs("usage: kts logsig SUBCOMMAND [OPTIONS]\n"
	    "\n"
	    "Record-level signatures for logs, in the LOGSIG12 format of\n"
	    "logksi and rsyslog.  Subcommands:\n", f);
	for (i = 0; i < N_SUBS; i++)
		fprintf(f, "  %-10s %s\n", subs[i].name, subs[i].summary);
	fputs("\n"
	    "Run 'kts logsig SUBCOMMAND --help' for its options.\n"
	    "Exit codes: 0 ok, 1 inconclusive or general error, 3 bad\n"
	    "arguments, 4 bad format, 6 verification failed, 9 I/O error.\n",
	    f);
}

int
cmd_logsig(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_ARGS;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < N_SUBS; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(argc - 1, argv + 1);
	cli_err("logsig: unknown subcommand '%s'; try 'kts logsig --help'",
	    argv[1]);
	return CLI_EXIT_ARGS;
}
