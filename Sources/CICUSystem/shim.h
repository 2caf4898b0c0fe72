/* Intentionally empty: this module only carries ICU's pkg-config flags and link
   libraries. ICU's own headers are included by Sources/CICU/cicu.c alone. */
