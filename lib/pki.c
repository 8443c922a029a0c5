/* pki.c: see pki.h */
