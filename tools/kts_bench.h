/*
 * kts_bench.h - the parts of kts-bench that live in their own files.
 */
#ifndef KTS_BENCH_H
#define KTS_BENCH_H

/*
 * The network subcommands, on the load generator of kts_bench_net.c.
 * argv holds the arguments after the subcommand's name.  Each returns the
 * exit status: 0 when the run finished (errors are counted and reported,
 * not fatal) or help was asked for, 1 when it could not run, 3 for bad
 * arguments.
 * Ownership: nothing changes hands.
 *
 * kts_bench_extend - "kts-bench extend": load an extender with extension
 * requests (kts_bench_extend.c).
 * kts_bench_sign - "kts-bench sign": load a signing service with
 * aggregation requests (kts_bench_sign.c).
 * kts_bench_baseline - "kts-bench http-baseline": load a bare evhttp
 * server in a child process (kts_bench_baseline.c).
 */
int kts_bench_extend(int argc, char **argv);
int kts_bench_sign(int argc, char **argv);
int kts_bench_baseline(int argc, char **argv);

/*
 * kts_bench_logsig - "kts-bench logsig": log lines signed a second on
 * one core, the network wait excluded (kts_bench_logsig.c).
 */
int kts_bench_logsig(int argc, char **argv);

#endif
