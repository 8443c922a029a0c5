/* pdu.c: see pdu.h */
