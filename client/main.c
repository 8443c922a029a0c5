/*
 * main.c - kts, the KSI command-line tool: dispatch to one command.
 *
 * Flags follow ksi-tool where they mean the same (DESIGN.md); exit codes
 * are ksi-tool's (common.h).  Library log lines go to stderr.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "log.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "verify", cmd_verify, "verify a signature (and a document)" },
	{ "dump", cmd_dump, "print the structure of a signature" },
	{ "pubfile", cmd_pubfile, "verify and list a publications file" },
	{ "sign", cmd_sign, "sign a document (only its hash is sent)" },
	{ "extend", cmd_extend, "extend a signature to a publication" },
	{ "logsig", cmd_logsig, "sign and verify logs line by line" },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *f)
{
	size_t i;

	fputs("usage: kts [--help | --version] COMMAND [OPTIONS]\n"
	    "\n"
	    "commands:\n", f);
	for (i = 0; i < N_CMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n"
	    "Run 'kts COMMAND --help' for the options of a command.\n"
	    "Exit codes: 0 ok, 1 general error, 3 bad arguments, 4 bad format,\n"
	    "6 verification failed or inconclusive, 9 I/O error, 10 crypto "
	    "error.\n", f);
}

static void
log_stderr(int level, const char *msg, void *arg)
{
	fprintf(stderr, "kts: %s: %s\n", level == KTS_LOG_ERR ? "error" :
	    "warning", msg);
}

int
main(int argc, char **argv)
{
	size_t i;

	kts_log_set(log_stderr, KTS_LOG_WARN, NULL);
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_ARGS;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("kts %s\n", PACKAGE_VERSION);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < N_CMDS; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	cli_err("unknown command '%s'; try 'kts --help'", argv[1]);
	return CLI_EXIT_ARGS;
}
