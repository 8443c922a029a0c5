/* sig.c: see sig.h */
