/*
 * kts_bench.h - the parts of kts-bench that live in their own files.
 */
#ifndef KTS_BENCH_H
#define KTS_BENCH_H

/*
 * kts_bench_extend - "kts-bench extend": load an extender with extension
 * requests (kts_bench_extend.c, on the generator of kts_bench_net.c).
 * argv holds the arguments after "extend".
 * Returns the exit status: 0 when the run finished (errors are counted
 * and reported, not fatal), 1 when it could not run, 3 for bad arguments.
 * Ownership: nothing changes hands.
 */
int kts_bench_extend(int argc, char **argv);

#endif
