/*
 * net_int.h - internals of lib/net.c that the unit tests reach.
 */
#ifndef KTS_NET_INT_H
#define KTS_NET_INT_H

#include <stddef.h>

#include "net.h"

/*
 * kts_srv_set_max_pdu - lower the request PDU cap of srv (4 <= max <=
 * KTS_MAX_PDU): the input cap of connections accepted from now on, and
 * the Content-Length an HTTP request may announce.  A TLV16 header
 * cannot announce more than KTS_MAX_PDU, so only a lower cap lets a test
 * reach the "header over the cap" refusal.
 * Ownership: nothing changes hands.
 */
void kts_srv_set_max_pdu(struct kts_srv *srv, size_t max);

#endif
