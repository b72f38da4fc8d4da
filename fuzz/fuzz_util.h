/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_util.h: what the fuzz targets share (not project code).
 *
 * A target checks properties beyond "no crash"; when one fails it prints
 * why and aborts, which libFuzzer reports as a crash with the input saved.
 */

#ifndef UPKEEP_FUZZ_UTIL_H
#define UPKEEP_FUZZ_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn, format(printf, 1, 2)))
static inline void fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("\n*** property violated: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* One root pool for the process; every input gets a sub-pool that is
 * destroyed after it, so LeakSanitizer sees no growth. */
static apr_pool_t *fuzz_root __attribute__((unused));

static inline void fuzz_apr_init(void)
{
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&fuzz_root, NULL) != APR_SUCCESS) {
        fuzz_fail("cannot initialise APR");
    }
}

/* The LLVMFuzzerInitialize of a target that needs APR and nothing more. */
#define FUZZ_INIT_APR_ONLY                                                \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                    \
    {                                                                     \
        (void)argc;                                                       \
        (void)argv;                                                       \
        fuzz_apr_init();                                                  \
        return 0;                                                         \
    }

/* The input as a C string in a buffer of exactly size + 1 bytes (ASan
 * then catches a read past the terminator). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s) {
        abort();
    }
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif /* UPKEEP_FUZZ_UTIL_H */
