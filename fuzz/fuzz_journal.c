/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_journal: the journal's files as mod_upkeep and upkeepctl read them
 * (include/upkeep_journal.h, upkeep_journal_fmt.c).
 *
 * Input: its first byte picks the file; the rest is its content.
 *  - even: SCOPE.jstate, upkeep_jstate_parse().  A refused text gets a
 *    reason and the empty state; an accepted one, encoded and parsed
 *    again, gives the same state (the writer and the reader agree).
 *  - odd: SCOPE.journal, read as the replay does: its header, then every
 *    entry with upkeep_journal_next() (CRC checked) and
 *    upkeep_journal_read().  Each entry lies inside the file, after the
 *    one before; a payload that is accepted has what a replay sends.
 */

#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "apr_strings.h"

#include "upkeep_journal.h"

#include "fuzz_util.h"

FUZZ_INIT_APR_ONLY

static void check_same(const upkeep_jstate_t *a, const upkeep_jstate_t *b)
{
    int i;

    if (strcmp(a->token, b->token) != 0 || a->cursor != b->cursor
        || a->first != b->first || a->next != b->next
        || a->attempts != b->attempts || a->last != b->last
        || a->ok != b->ok || a->client_error != b->client_error
        || a->retry != b->retry || a->dead->nelts != b->dead->nelts
        || a->again->nelts != b->again->nelts) {
        fuzz_fail("jstate does not survive encode and parse");
    }
    for (i = 0; i < a->dead->nelts; i++) {
        const upkeep_jdead_t *x = &APR_ARRAY_IDX(a->dead, i, upkeep_jdead_t);
        const upkeep_jdead_t *y = &APR_ARRAY_IDX(b->dead, i, upkeep_jdead_t);

        if (x->off != y->off || x->attempts != y->attempts
            || x->last != y->last) {
            fuzz_fail("dead entry %d does not survive encode and parse", i);
        }
    }
    for (i = 0; i < a->again->nelts; i++) {
        if (APR_ARRAY_IDX(a->again, i, int64_t)
            != APR_ARRAY_IDX(b->again, i, int64_t)) {
            fuzz_fail("again entry %d does not survive encode and parse", i);
        }
    }
}

static void fuzz_jstate(apr_pool_t *p, const uint8_t *data, size_t size)
{
    upkeep_jstate_t st, again;
    const char *why;

    why = upkeep_jstate_parse(p, apr_pstrmemdup(p, (const char *)data, size),
                              &st);
    if (why) {
        if (!*why || st.cursor || st.dead->nelts || st.again->nelts
            || st.token[0]) {
            fuzz_fail("a refused jstate gives no reason or a non-empty "
                      "state");
        }
        return;
    }
    if ((why = upkeep_jstate_parse(p, upkeep_jstate_encode(p, &st), &again))) {
        fuzz_fail("an encoded jstate is refused: %s", why);
    }
    check_same(&st, &again);
}

static void fuzz_file(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char token[UPKEEP_JOURNAL_TOKEN_LEN + 1] =
        "0123456789abcdef0123456789abcdef";
    upkeep_jentry_t e;
    apr_size_t head;
    apr_off_t at;
    int fd = memfd_create("journal", 0), skipped, i;

    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) {
        fuzz_fail("cannot make the in-memory file");
    }
    /* a file without a header is still walked, with a made-up token */
    head = upkeep_journal_parse_head((const char *)data, size, token);
    if (head && (head > size || strlen(token) != UPKEEP_JOURNAL_TOKEN_LEN)) {
        fuzz_fail("a header longer than the file, or a short token");
    }
    for (at = (apr_off_t)head, i = 0; at < (apr_off_t)size
         && upkeep_journal_next(fd, (apr_off_t)size, token, at, 1, &e,
                                &skipped); at = e.end, i++) {
        upkeep_jpayload_t pl;

        if (e.off < at || e.payload <= e.off || e.end > (apr_off_t)size
            || e.end != e.payload + (apr_off_t)e.len) {
            fuzz_fail("entry %d lies outside the file or before the last", i);
        }
        if (!skipped && e.off != at) {
            fuzz_fail("entry %d found further on but not said to be", i);
        }
        if (upkeep_journal_read(p, fd, &e, &pl) == 0
            && (!pl.method || !pl.uri || !pl.local_ip || pl.port < 1
                || pl.port > 65535 || pl.body_len > e.len
                || strpbrk(pl.uri, " \r\n") || strpbrk(pl.method, " \r\n"))) {
            fuzz_fail("entry %d is accepted without what a replay sends", i);
        }
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;

    if (size < 1) {
        return 0;
    }
    apr_pool_create(&p, fuzz_root);
    if (data[0] % 2 == 0) {
        fuzz_jstate(p, data + 1, size - 1);
    }
    else {
        fuzz_file(p, data + 1, size - 1);
    }
    apr_pool_destroy(p);
    return 0;
}
