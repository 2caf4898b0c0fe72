// The experimental API (dictionaries by reference, fastCover training) is exported by the
// shared libzstd as well; it is stable within a libzstd release series.
#define ZSTD_STATIC_LINKING_ONLY
#define ZDICT_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zdict.h>
