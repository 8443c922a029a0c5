/* verify.c: see verify.h */
