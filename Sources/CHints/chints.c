/* chints.c: everything is inline in include/chints.h; a C target needs one source file. */
#include "chints.h"
