/* cicu.c: the only file in ufsearch that includes ICU headers. See include/cicu.h. */
#include "cicu.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/utf16.h>
#include <unicode/ucnv.h>
#include <unicode/unorm2.h>
#include <unicode/utrans.h>
#include <unicode/uversion.h>

#include "t2s_table.h"

void cicu_version(char *buf, int32_t cap) {
    UVersionInfo v;
    char s[U_MAX_VERSION_STRING_LENGTH];
    u_getVersion(v);
    u_versionToString(v, s);
    if (cap <= 0) return;
    strncpy(buf, s, (size_t)cap - 1);
    buf[cap - 1] = 0;
}

int64_t cicu_gb18030_to_utf16(const char *src, int64_t src_len,
                              uint16_t *dst, int32_t *offsets, int64_t dst_cap) {
    UErrorCode err = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open("gb18030", &err);
    if (U_FAILURE(err)) return -1;
    ucnv_setToUCallBack(cnv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &err);
    if (U_FAILURE(err)) { ucnv_close(cnv); return -1; }
    UChar *target = (UChar *)dst;
    const char *source = src;
    ucnv_toUnicode(cnv, &target, (UChar *)dst + dst_cap, &source, src + src_len,
                   offsets, 1 /* flush */, &err);
    ucnv_close(cnv);
    if (err == U_BUFFER_OVERFLOW_ERROR) return -2;
    if (U_FAILURE(err)) return -1;
    return (int64_t)(target - (UChar *)dst);
}

struct cicu_normalizer {
    const UNormalizer2 *nfkc_cf;
    UTransliterator *t2s;
    UChar *scratch;
    int32_t scratch_cap;
};

cicu_normalizer *cicu_normalizer_open(int32_t *err_out) {
    UErrorCode err = U_ZERO_ERROR;
    cicu_normalizer *n = calloc(1, sizeof *n);
    if (!n) { *err_out = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    n->nfkc_cf = unorm2_getNFKCCasefoldInstance(&err);
    if (U_FAILURE(err)) { free(n); *err_out = err; return NULL; }
    *err_out = 0;
    return n;
}

void cicu_normalizer_close(cicu_normalizer *n) {
    if (!n) return;
    if (n->t2s) utrans_close(n->t2s);
    free(n->scratch);
    free(n);
}

int cicu_nfkc_boundary_before(const cicu_normalizer *n, int32_t c) {
    return unorm2_hasBoundaryBefore(n->nfkc_cf, (UChar32)c) ? 1 : 0;
}

static int ensure_scratch(cicu_normalizer *n, int32_t cap) {
    if (n->scratch_cap >= cap) return 1;
    UChar *p = realloc(n->scratch, (size_t)cap * sizeof(UChar));
    if (!p) return 0;
    n->scratch = p;
    n->scratch_cap = cap;
    return 1;
}

int32_t cicu_nfkc_casefold(cicu_normalizer *n, const uint16_t *src, int32_t src_len,
                           uint16_t *dst, int32_t dst_cap) {
    UErrorCode err = U_ZERO_ERROR;
    int32_t out = unorm2_normalize(n->nfkc_cf, (const UChar *)src, src_len, (UChar *)dst, dst_cap, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) return -2;
    if (U_FAILURE(err)) return -1;
    return out;
}

uint32_t cicu_t2s(uint32_t c) {
    size_t lo = 0, hi = sizeof cicu_t2s_pairs / sizeof cicu_t2s_pairs[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cicu_t2s_pairs[mid][0] < c) lo = mid + 1; else hi = mid;
    }
    return lo < sizeof cicu_t2s_pairs / sizeof cicu_t2s_pairs[0] && cicu_t2s_pairs[lo][0] == c
        ? cicu_t2s_pairs[lo][1] : c;
}

int32_t cicu_t2s_count(void) { return (int32_t)(sizeof cicu_t2s_pairs / sizeof cicu_t2s_pairs[0]); }

uint32_t cicu_t2s_pair(int32_t i, uint32_t *to) {
    *to = cicu_t2s_pairs[i][1];
    return cicu_t2s_pairs[i][0];
}

int32_t cicu_map_unit(const cicu_normalizer *n, uint16_t u, uint16_t *dst, int32_t dst_cap, int *boundary) {
    *boundary = unorm2_hasBoundaryBefore(n->nfkc_cf, u) ? 1 : 0;
    UChar src = u, folded[64], mapped[128];
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = unorm2_normalize(n->nfkc_cf, &src, 1, folded, 64, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) return -2;
    if (U_FAILURE(err)) { folded[0] = u; len = 1; }
    /* Traditional -> Simplified, code point by code point. */
    int32_t m = 0, changed = 0;
    for (int32_t i = 0; i < len;) {
        UChar32 c;
        U16_NEXT(folded, i, len, c);
        UChar32 t = (UChar32)cicu_t2s((uint32_t)c);
        if (t != c) changed = 1;
        if (t > 0x10FFFF || U_IS_SURROGATE(t)) t = c;
        if (m + 2 > (int32_t)(sizeof mapped / sizeof mapped[0])) return -2;
        U16_APPEND_UNSAFE(mapped, m, t);
    }
    if (!changed) {
        if (len > dst_cap) return -2;
        memcpy(dst, folded, (size_t)len * sizeof(UChar));
        return len;
    }
    err = U_ZERO_ERROR;
    int32_t out = unorm2_normalize(n->nfkc_cf, mapped, m, (UChar *)dst, dst_cap, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) return -2;
    if (U_FAILURE(err)) {
        if (m > dst_cap) return -2;
        memcpy(dst, mapped, (size_t)m * sizeof(UChar));
        return m;
    }
    return out;
}

int32_t cicu_normalize(cicu_normalizer *n, const uint16_t *src, int32_t src_len,
                       uint16_t *dst, int32_t dst_cap) {
    UErrorCode err = U_ZERO_ERROR;
    if (!n->t2s) {
        static const UChar id[] = u"Traditional-Simplified";
        n->t2s = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &err);
        if (U_FAILURE(err)) { n->t2s = NULL; return -1; }
    }
    int32_t cap = src_len * 18 + 64;
    if (!ensure_scratch(n, cap)) return -1;
    /* 1. NFKC_Casefold into scratch. */
    int32_t len = unorm2_normalize(n->nfkc_cf, (const UChar *)src, src_len, n->scratch, cap, &err);
    if (U_FAILURE(err)) return -1;
    /* 2. Traditional -> Simplified, in place in scratch. */
    int32_t limit = len;
    utrans_transUChars(n->t2s, n->scratch, &len, cap, 0, &limit, &err);
    if (U_FAILURE(err)) return -1;
    /* 3. NFKC_Casefold again, into dst, so the result is a fixed point. */
    int32_t out = unorm2_normalize(n->nfkc_cf, n->scratch, len, (UChar *)dst, dst_cap, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) return -2;
    if (U_FAILURE(err)) return -1;
    return out;
}

struct cicu_breaker {
    UBreakIterator *bi;
};

cicu_breaker *cicu_breaker_open(const char *locale, int32_t *err_out) {
    UErrorCode err = U_ZERO_ERROR;
    cicu_breaker *b = calloc(1, sizeof *b);
    if (!b) { *err_out = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    b->bi = ubrk_open(UBRK_WORD, locale, NULL, 0, &err);
    if (U_FAILURE(err)) { free(b); *err_out = err; return NULL; }
    *err_out = 0;
    return b;
}

void cicu_breaker_close(cicu_breaker *b) {
    if (!b) return;
    if (b->bi) ubrk_close(b->bi);
    free(b);
}

int32_t cicu_breaker_words(cicu_breaker *b, const uint16_t *text, int32_t text_len,
                           int32_t *starts, int32_t *ends, int32_t *statuses) {
    UErrorCode err = U_ZERO_ERROR;
    ubrk_setText(b->bi, (const UChar *)text, text_len, &err);
    if (U_FAILURE(err)) return -1;
    int32_t n = 0;
    int32_t start = ubrk_first(b->bi);
    for (int32_t end = ubrk_next(b->bi); end != UBRK_DONE; end = ubrk_next(b->bi)) {
        int32_t status = ubrk_getRuleStatus(b->bi);
        if (status >= UBRK_WORD_NUMBER) {
            starts[n] = start;
            ends[n] = end;
            statuses[n] = status;
            n++;
        }
        start = end;
    }
    /* Detach from the caller's buffer. */
    ubrk_setText(b->bi, NULL, 0, &err);
    return n;
}

int32_t cicu_breaker_count(cicu_breaker *b, const uint16_t *text, int32_t text_len) {
    UErrorCode err = U_ZERO_ERROR;
    ubrk_setText(b->bi, (const UChar *)text, text_len, &err);
    if (U_FAILURE(err)) return -1;
    int32_t n = 0;
    ubrk_first(b->bi);
    for (int32_t end = ubrk_next(b->bi); end != UBRK_DONE; end = ubrk_next(b->bi)) {
        if (ubrk_getRuleStatus(b->bi) >= UBRK_WORD_NUMBER) n++;
    }
    ubrk_setText(b->bi, NULL, 0, &err);
    return n;
}
