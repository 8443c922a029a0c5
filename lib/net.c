/* net.c: see net.h */
