/* tree.c: see tree.h */
