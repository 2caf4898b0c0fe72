/* chints.c: the hints of include/chints.h that are not inline. */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include "chints.h"

void chints_name_thread(const char *name) {
#if defined(__linux__)
    char buf[16];
    strncpy(buf, name, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    pthread_setname_np(pthread_self(), buf);
#elif defined(__APPLE__)
    pthread_setname_np(name);
#endif
}
