/* chain.c: see chain.h */
