/*
 * signer.h - many signing requests in flight at once, for kts logsig.
 *
 * A log is signed block by block; each block root waits about one
 * calendar second for its signature.  Asking one root at a time would
 * make a million-line log wait for hours, so the signer keeps up to a
 * window of roots in flight on one connection (raw TCP pipelines them,
 * HTTP uses a keep-alive pool: lib/upstream.h) and calls back once for
 * every root it accepted, from the event loop, with the signature
 * checked by the internal policy against the root and its level.
 */
#ifndef KTS_CLIENT_SIGNER_H
#define KTS_CLIENT_SIGNER_H

#include <stdint.h>

#include <event2/event.h>

#include "common.h"
#include "hash.h"
#include "sig.h"

struct cli_signer;

/*
 * The outcome for the root submitted with tag: rc 0 and sig, or an exit
 * code (common.h: NETWORK, AGGR, AUTH, HMAC, FORMAT, VERIFY) and why
 * (borrowed for the call) saying what went wrong.
 * Ownership: the callee owns sig (kts_sig_free).
 */
typedef void (*cli_signer_fn)(void *arg, uint64_t tag, struct kts_sig *sig,
    int rc, const char *why);

/*
 * cli_signer_new - a signer for the aggregator svc (url and credentials
 * ready: cli_service_ready) on base, with at most window (1..1024) roots
 * in flight.  Returns an exit code; on failure one line says why.
 * Ownership: free *out with cli_signer_free(); svc is borrowed for the
 * signer's lifetime.
 */
int cli_signer_new(struct event_base *base, const struct cli_service *svc,
    unsigned window, cli_signer_fn cb, void *arg, struct cli_signer **out);

/*
 * cli_signer_submit - ask for a signature on root at local tree height
 * level.  Returns 0 (exactly one callback follows, never from inside
 * this call), KTS_ETOOBIG (the window is full: run the event loop until
 * a callback frees a place), KTS_EIO (the aggregator was down less than
 * a retry delay ago: try later) or KTS_ENOMEM.
 */
int cli_signer_submit(struct cli_signer *s, uint64_t tag,
    const struct kts_imprint *root, unsigned level);

/* cli_signer_inflight - roots submitted and not yet called back. */
unsigned cli_signer_inflight(const struct cli_signer *s);

/* cli_signer_free - stop; no callback is made after it. */
void cli_signer_free(struct cli_signer *s);

#endif
