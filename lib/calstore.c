/* calstore.c: see calstore.h */
