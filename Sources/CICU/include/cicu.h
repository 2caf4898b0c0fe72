/*
 * cicu.h: the whole of ufsearch's contact with ICU, in plain C types.
 *
 * Swift cannot import ICU's headers (renaming macros such as ubrk_open -> ubrk_open_72,
 * and a clash with Foundation's own _FoundationICU), so every ICU call lives in cicu.c
 * and this header exposes only integers, pointers to UTF-16 code units and opaque handles.
 * Text is UTF-16 (uint16_t) throughout, as ICU's C API wants it.
 */
#ifndef CICU_H
#define CICU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ICU's version string, such as "72.1", written into buf (NUL-terminated). */
void cicu_version(char *buf, int32_t cap);

/** Word-break rule status ranges, as ICU's UWordBreak defines them. */
enum {
    CICU_WORD_NONE = 0,      /* spaces, punctuation, symbols: [0, 100) */
    CICU_WORD_NUMBER = 100,  /* [100, 200) */
    CICU_WORD_LETTER = 200,  /* [200, 300) */
    CICU_WORD_KANA = 300,    /* [300, 400) */
    CICU_WORD_IDEO = 400     /* [400, 500) */
};

/* ---------------------------------------------------------------- decoding */

/**
 * Decodes GB18030 bytes to UTF-16 with ICU's converter, strictly (no substitution).
 * `offsets`, when not NULL, receives for each UTF-16 unit the byte offset in `src`
 * of the character it came from. Returns the number of UTF-16 units written, or -1 when
 * the bytes are not valid GB18030, or -2 when `dst_cap` is too small (give it src_len + 1).
 */
int64_t cicu_gb18030_to_utf16(const char *src, int64_t src_len,
                              uint16_t *dst, int32_t *offsets, int64_t dst_cap);

/* ----------------------------------------------------------- normalisation */

/** Opaque: NFKC_Casefold plus the Traditional-Simplified transliterator (opened only when
    `cicu_normalize` is called: opening it costs 10-15 ms). One per thread. */
typedef struct cicu_normalizer cicu_normalizer;

/** Opens a normaliser; returns NULL (and an ICU error code in *err) on failure. */
cicu_normalizer *cicu_normalizer_open(int32_t *err);
void cicu_normalizer_close(cicu_normalizer *n);

/**
 * True when code point `c` starts a new normalisation chunk under NFKC_Casefold,
 * that is, text can be split before it and normalised piecewise with the same result.
 */
int cicu_nfkc_boundary_before(const cicu_normalizer *n, int32_t c);

/**
 * Normalises src (UTF-16) with NFKC_Casefold, then ICU's Traditional-Simplified transliterator,
 * then NFKC_Casefold again (so the result is stable). Returns the number of units written
 * to dst, -2 when dst_cap is too small, or -1 on an ICU error. The reference definition; the
 * analyser uses `cicu_nfkc_casefold` and `cicu_t2s` (the same transliteration, tabulated).
 */
int32_t cicu_normalize(cicu_normalizer *n, const uint16_t *src, int32_t src_len,
                       uint16_t *dst, int32_t dst_cap);

/** NFKC_Casefold alone; same returns as `cicu_normalize`. */
int32_t cicu_nfkc_casefold(cicu_normalizer *n, const uint16_t *src, int32_t src_len,
                           uint16_t *dst, int32_t dst_cap);

/**
 * ICU's Traditional-Simplified transliteration of code point `c` on its own, from a table
 * generated from the transliterator (scripts/gen-t2s; tests compare it with the live one).
 */
uint32_t cicu_t2s(uint32_t c);

/** Number of code points the table changes. */
int32_t cicu_t2s_count(void);

/** Entry `i` (0 <= i < cicu_t2s_count(), in code point order) of the table: the Traditional
 *  code point, and its Simplified form in `*to`. */
uint32_t cicu_t2s_pair(int32_t i, uint32_t *to);

/**
 * The analyser's normalisation of one BMP code unit `u` (not a surrogate) on its own:
 * NFKC_Casefold, then `cicu_t2s` code point by code point, then NFKC_Casefold again when the
 * table changed something (an ICU failure keeps the text of that step as it is). Writes the
 * result to dst and returns its length, or -2 when dst_cap is too small. `*boundary` receives
 * `cicu_nfkc_boundary_before(u)`. One call instead of the several a cache miss used to make.
 */
int32_t cicu_map_unit(const cicu_normalizer *n, uint16_t u, uint16_t *dst, int32_t dst_cap, int *boundary);

/* ------------------------------------------------------------ segmentation */

/** Opaque: an ICU word BreakIterator for one locale. Not thread-safe; one per thread. */
typedef struct cicu_breaker cicu_breaker;

/** Opens a word break iterator for `locale` (such as "zh"); NULL and *err on failure. */
cicu_breaker *cicu_breaker_open(const char *locale, int32_t *err);
void cicu_breaker_close(cicu_breaker *b);

/**
 * Segments `text` into words. For every segment whose rule status is >= CICU_WORD_NUMBER
 * (number, letter, kana, ideographic word), writes its UTF-16 start, end and status.
 * Arrays must hold `text_len` entries (a text never has more words than units).
 * Returns the number of words, or -1 on an ICU error. `text` must stay alive only for
 * the duration of the call.
 */
int32_t cicu_breaker_words(cicu_breaker *b, const uint16_t *text, int32_t text_len,
                           int32_t *starts, int32_t *ends, int32_t *statuses);

/**
 * Raw segmentation, for benchmarks: walks every boundary of `text` and returns the
 * number of word segments (status >= CICU_WORD_NUMBER), or -1 on an ICU error.
 */
int32_t cicu_breaker_count(cicu_breaker *b, const uint16_t *text, int32_t text_len);

#ifdef __cplusplus
}
#endif
#endif
