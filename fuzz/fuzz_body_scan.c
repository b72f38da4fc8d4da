/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_body_scan: the banner filter's search for <body> in a page that
 * arrives in pieces, upkeep_body_scan() (upkeep_html.c).
 *
 * Input: K, K cut lengths, PAGE
 *   K        one byte: how many cut lengths follow (K % 8);
 *   lengths  one byte each, 0 read as 1: the page is fed in pieces of
 *            these lengths, in turn, as buckets and brigades would cut it;
 *   PAGE     the rest: any bytes, as any backend could send them.
 * Properties: the page cut in pieces gives the offset it gives whole (or
 * none either way); an offset lies inside the piece it was found in, just
 * past a '>', with "<body" (any case) before it.  Each piece is a buffer
 * of its own size, so ASan sees any read past a piece.
 * Also the banner's text made ASCII, upkeep_html_ascii(), on PAGE up to
 * its first NUL: ASCII comes back as it is, anything else at most four
 * times as long.
 */

#include <ctype.h>

#include "upkeep_private.h"

#include "fuzz_util.h"

FUZZ_INIT_APR_ONLY

/* The offset just past the body tag in page[0..n), fed in pieces of the
 * given lengths (all of it at once without any), or -1. */
static long find(const char *page, size_t n, const uint8_t *lens,
                 size_t nlens)
{
    upkeep_body_scan_t st;
    size_t off = 0, k = 0;

    memset(&st, 0, sizeof(st));
    while (off < n) {
        size_t len = nlens ? (lens[k++ % nlens] ? lens[(k - 1) % nlens] : 1)
                           : n;
        apr_ssize_t at;
        char *piece;

        if (len > n - off) {
            len = n - off;
        }
        piece = malloc(len);
        if (!piece) {
            abort();
        }
        memcpy(piece, page + off, len);
        at = upkeep_body_scan(&st, piece, len);
        free(piece);
        if (at >= 0) {
            if (at == 0 || (size_t)at > len) {
                fuzz_fail("offset %ld outside its piece of %zu bytes",
                          (long)at, len);
            }
            return (long)(off + (size_t)at);
        }
        off += len;
    }
    return -1;
}

static int has_body_before(const char *page, long end)
{
    long i;

    for (i = 0; i + 5 <= end; i++) {
        if (page[i] == '<' && tolower((unsigned char)page[i + 1]) == 'b'
            && tolower((unsigned char)page[i + 2]) == 'o'
            && tolower((unsigned char)page[i + 3]) == 'd'
            && tolower((unsigned char)page[i + 4]) == 'y') {
            return 1;
        }
    }
    return 0;
}

static void check_ascii(const char *page, size_t n)
{
    apr_pool_t *p;
    char *s = fuzz_cstr((const uint8_t *)page, n);
    const char *out, *c;
    int ascii = 1;

    apr_pool_create(&p, fuzz_root);
    out = upkeep_html_ascii(p, s);
    for (c = s; *c; c++) {
        ascii &= (unsigned char)*c < 0x80;
    }
    if (ascii && out != s) {
        fuzz_fail("ASCII text was copied");
    }
    if (strlen(out) > 4 * strlen(s)) {
        fuzz_fail("%zu bytes out of %zu", strlen(out), strlen(s));
    }
    apr_pool_destroy(p);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *page;
    size_t nlens, n;
    long whole, cut;

    if (size < 1 || size < 1 + (size_t)(data[0] % 8)) {
        return 0;
    }
    nlens = data[0] % 8;
    page = (const char *)data + 1 + nlens;
    n = size - 1 - nlens;

    whole = find(page, n, NULL, 0);
    cut = find(page, n, data + 1, nlens);
    if (whole != cut) {
        fuzz_fail("whole page: %ld, in pieces: %ld (%zu bytes, %zu cut "
                  "lengths)", whole, cut, n, nlens);
    }
    if (whole > 0 && (page[whole - 1] != '>'
                      || !has_body_before(page, whole))) {
        fuzz_fail("offset %ld is not just past a body tag", whole);
    }
    check_ascii(page, n);
    return 0;
}
