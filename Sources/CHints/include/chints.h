/* chints.h: processor and thread hints Swift has no spelling for. Plain C types only. */
#ifndef CHINTS_H
#define CHINTS_H

/* Starts loading the cache line at `p` for reading (no fault if `p` is not mapped). */
static inline void chints_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/* Names the calling thread for debuggers and profilers (Linux keeps the first 15 bytes; glibc's
   pthread_setname_np needs _GNU_SOURCE, which Swift's Glibc module does not define). */
void chints_name_thread(const char *name);

#endif
