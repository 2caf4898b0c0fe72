/* chints.c: the processor count from the affinity mask (CPU_COUNT is a macro, and glibc declares
   sched_getaffinity only under _GNU_SOURCE, so Swift cannot spell either); the rest of chints.h is inline. */
#define _GNU_SOURCE
#include <sched.h>
#include "chints.h"

int chints_affinity_count(void) {
#ifdef __linux__
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    return 0;
}
