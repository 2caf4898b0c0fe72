/* chints.h: processor hints Swift has no spelling for. Plain C types only. */
#ifndef CHINTS_H
#define CHINTS_H

/* Starts loading the cache line at `p` for reading (no fault if `p` is not mapped). */
static inline void chints_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
