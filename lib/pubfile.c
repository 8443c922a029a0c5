/* pubfile.c: see pubfile.h */
