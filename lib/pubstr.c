/* pubstr.c: see pubstr.h */
