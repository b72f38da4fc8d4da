/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_journal_fmt.c: reading and checking the journal's files
 * (include/upkeep_journal.h); APR and POSIX only, for mod_upkeep and
 * upkeepctl.
 */

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "upkeep_journal.h"

/* CRC-32 (IEEE), four bits at a time: a table of 16 constants. */
uint32_t upkeep_crc32(uint32_t crc, const void *data, apr_size_t len)
{
    static const uint32_t t[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190,
        0x6b6b51f4, 0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344,
        0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278,
        0xbdbdf21c
    };
    const unsigned char *b = data;

    crc = ~crc;
    while (len--) {
        crc ^= *b++;
        crc = (crc >> 4) ^ t[crc & 15];
        crc = (crc >> 4) ^ t[crc & 15];
    }
    return ~crc;
}

static int read_at(int fd, void *buf, apr_size_t n, apr_off_t off)
{
    char *p = buf;

    while (n) {
        ssize_t got = pread(fd, p, n, off);

        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return -1;
        }
        p += got;
        off += got;
        n -= (apr_size_t)got;
    }
    return 0;
}

apr_size_t upkeep_journal_parse_head(const char *head, apr_size_t n,
                                     char *token)
{
    apr_size_t m = sizeof(UPKEEP_JOURNAL_MAGIC) - 1, i;

    if (n < m + UPKEEP_JOURNAL_TOKEN_LEN + 1
        || memcmp(head, UPKEEP_JOURNAL_MAGIC, m) != 0
        || head[m + UPKEEP_JOURNAL_TOKEN_LEN] != '\n') {
        return 0;
    }
    /* httpd makes it of hex digits: anything else is not its file */
    for (i = 0; i < UPKEEP_JOURNAL_TOKEN_LEN; i++) {
        if (!apr_isxdigit(head[m + i])) {
            return 0;
        }
    }
    memcpy(token, head + m, UPKEEP_JOURNAL_TOKEN_LEN);
    token[UPKEEP_JOURNAL_TOKEN_LEN] = '\0';
    return m + UPKEEP_JOURNAL_TOKEN_LEN + 1;
}

/* Parses the entry header at off; 0 when whole (and its CRC right, with
 * `check`). */
static int entry_at(int fd, apr_off_t size, const char *token,
                    apr_off_t off, int check, upkeep_jentry_t *e)
{
    char hdr[UPKEEP_JOURNAL_HDR_MAX + 1], *nl, *f[4], *last;
    apr_size_t n = size - off < UPKEEP_JOURNAL_HDR_MAX
                   ? (apr_size_t)(size - off) : UPKEEP_JOURNAL_HDR_MAX;
    apr_size_t tl = strlen(token);
    char *end;
    int i;

    if (n < 8 || read_at(fd, hdr, n, off) != 0) {
        return -1;
    }
    hdr[n] = '\0';
    if (memcmp(hdr, "\nUPKJ ", 6) != 0 || n < 6 + tl + 1
        || memcmp(hdr + 6, token, tl) != 0 || hdr[6 + tl] != ' '
        || !(nl = memchr(hdr + 1, '\n', n - 1))) {
        return -1;
    }
    *nl = '\0';
    f[0] = apr_strtok(hdr + 7 + tl, " ", &last);
    for (i = 1; i < 4; i++) {
        f[i] = f[i - 1] ? apr_strtok(NULL, " ", &last) : NULL;
    }
    if (!f[2] || f[3] || strlen(f[0]) >= sizeof(e->id)) {
        return -1;
    }
    strcpy(e->id, f[0]);
    errno = 0;
    e->len = (apr_size_t)strtoull(f[1], &end, 10);
    if (*end || errno || !*f[1]) {
        return -1;
    }
    e->crc = (uint32_t)strtoul(f[2], &end, 16);
    if (*end || !*f[2]) {
        return -1;
    }
    e->off = off;
    e->payload = off + (nl - hdr) + 1;
    e->end = e->payload + (apr_off_t)e->len;
    if (e->end > size || e->end < e->payload) {
        return -1;
    }
    if (check) {
        uint32_t crc = 0;
        char buf[65536];
        apr_off_t at = e->payload;

        while (at < e->end) {
            apr_size_t k = e->end - at < (apr_off_t)sizeof(buf)
                           ? (apr_size_t)(e->end - at) : sizeof(buf);

            if (read_at(fd, buf, k, at) != 0) {
                return -1;
            }
            crc = upkeep_crc32(crc, buf, k);
            at += k;
        }
        if (crc != e->crc) {
            return -1;
        }
    }
    return 0;
}

int upkeep_journal_next(int fd, apr_off_t size, const char *token,
                        apr_off_t off, int check, upkeep_jentry_t *e,
                        int *skipped)
{
    char buf[65536];
    char pat[8 + UPKEEP_JOURNAL_TOKEN_LEN];
    apr_size_t pl;
    apr_off_t at;

    *skipped = 0;
    if (entry_at(fd, size, token, off, check, e) == 0) {
        return 1;
    }
    pl = (apr_size_t)apr_snprintf(pat, sizeof(pat), "\nUPKJ %s ", token);
    at = off + 1;
    while (at + (apr_off_t)pl <= size) {
        apr_size_t n = size - at < (apr_off_t)sizeof(buf)
                       ? (apr_size_t)(size - at) : sizeof(buf);
        const char *hit;

        if (read_at(fd, buf, n, at) != 0) {
            return 0;
        }
        hit = memmem(buf, n, pat, pl);
        if (hit) {
            apr_off_t cand = at + (hit - buf);

            if (entry_at(fd, size, token, cand, check, e) == 0) {
                *skipped = 1;
                return 1;
            }
            at = cand + 1;
            continue;
        }
        if (n < pl) {
            break;
        }
        at += (apr_off_t)(n - pl + 1);
    }
    return 0;
}

/* Whether s has no control characters (a TAB only where tab), and no
 * space where space is not allowed: a payload that passes its CRC was
 * written by httpd, but the replay must not send a request line or
 * header that an edited file made up. */
static int clean_text(const char *s, int space, int tab)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c < 0x20 && !(tab && c == '\t')) || c == 0x7f
            || (!space && c == ' ')) {
            return 0;
        }
    }
    return 1;
}

/* Everything the replay needs to send the entry is there and clean. */
static int payload_sendable(const upkeep_jpayload_t *pl)
{
    int i;

    if (!pl->method || !*pl->method || !clean_text(pl->method, 0, 0)
        || !pl->uri || !*pl->uri || !clean_text(pl->uri, 0, 0)
        || !pl->local_ip || !*pl->local_ip
        || !clean_text(pl->local_ip, 0, 0)
        || pl->port < 1 || pl->port > 65535) {
        return 0;
    }
    for (i = 0; i < pl->headers->nelts; i++) {
        const char *h = APR_ARRAY_IDX(pl->headers, i, const char *);

        if (!strchr(h, ':') || !clean_text(h, 1, 1)) {
            return 0;
        }
    }
    return 1;
}

int upkeep_journal_read(apr_pool_t *p, int fd, const upkeep_jentry_t *e,
                        upkeep_jpayload_t *out)
{
    char *buf = apr_palloc(p, e->len + 1), *line, *nl, *end;

    if (read_at(fd, buf, e->len, e->payload) != 0) {
        return -1;
    }
    buf[e->len] = '\0';
    memset(out, 0, sizeof(*out));
    out->headers = apr_array_make(p, 16, sizeof(const char *));
    for (line = buf; ; line = nl + 1) {
        if (!(nl = memchr(line, '\n', e->len - (line - buf)))) {
            return -1;
        }
        *nl = '\0';
        if (line == nl) {
            break;
        }
        if (line[0] == '\0' || line[1] != ' ') {
            return -1;
        }
        switch (line[0]) {
        case 'R':
            out->received = strtoll(line + 2, &end, 10);
            break;
        case 'M':
            out->method = line + 2;
            break;
        case 'U':
            out->uri = line + 2;
            break;
        case 'A': {
            char *last, *port, *tls;

            out->local_ip = apr_strtok(line + 2, " ", &last);
            port = apr_strtok(NULL, " ", &last);
            tls = apr_strtok(NULL, " ", &last);
            out->port = port ? atoi(port) : 0;
            out->tls = tls && tls[0] == '1';
            break;
        }
        case 'H':
            APR_ARRAY_PUSH(out->headers, const char *) = line + 2;
            break;
        default:
            break;
        }
    }
    out->body = nl + 1;
    out->body_len = e->len - (apr_size_t)(out->body - buf);
    return payload_sendable(out) ? 0 : -1;
}

/* The numbers of SCOPE.jstate, one "name value" line each, in the order
 * they are written. */
static const struct {
    const char *name;
    size_t off;
    char kind;          /* 'o' int64 offset or time, 'i' int, 'u' uint64 */
} jstate_fields[] = {
    { "cursor", offsetof(upkeep_jstate_t, cursor), 'o' },
    { "attempts", offsetof(upkeep_jstate_t, attempts), 'i' },
    { "last", offsetof(upkeep_jstate_t, last), 'i' },
    { "first", offsetof(upkeep_jstate_t, first), 'o' },
    { "next", offsetof(upkeep_jstate_t, next), 'o' },
    { "ok", offsetof(upkeep_jstate_t, ok), 'u' },
    { "client_error", offsetof(upkeep_jstate_t, client_error), 'u' },
    { "retry", offsetof(upkeep_jstate_t, retry), 'u' },
};

/* A whole decimal number from 0 to max, or -1. */
static apr_int64_t jstate_number(const char *s, apr_int64_t max)
{
    char *end;
    apr_int64_t v;

    if (!apr_isdigit(*s)) {
        return -1;
    }
    errno = 0;
    v = apr_strtoi64(s, &end, 10);
    return errno || *end || v > max ? -1 : v;
}

static const char *jstate_lines(apr_pool_t *p, char *copy,
                               upkeep_jstate_t *st)
{
    char *line, *next;
    int n;

    for (line = copy, n = 1; *line; line = next, n++) {
        char *val, *f[3], *last;
        apr_int64_t v[3];
        apr_size_t i;

        if (!(next = strchr(line, '\n'))) {
            return apr_psprintf(p, "line %d is cut short", n);
        }
        *next++ = '\0';
        if (!(val = strchr(line, ' '))) {
            return apr_psprintf(p, "line %d has no value", n);
        }
        *val++ = '\0';
        if (strcmp(line, "token") == 0) {
            if (strcmp(val, "-") != 0
                && strlen(val) != UPKEEP_JOURNAL_TOKEN_LEN) {
                return apr_psprintf(p, "line %d: not a journal token", n);
            }
            apr_cpystrn(st->token, strcmp(val, "-") ? val : "",
                        sizeof(st->token));
            continue;
        }
        if (strcmp(line, "again") == 0) {
            if ((v[0] = jstate_number(val, APR_INT64_MAX)) < 0) {
                return apr_psprintf(p, "line %d: not \"again OFFSET\"", n);
            }
            APR_ARRAY_PUSH(st->again, int64_t) = v[0];
            continue;
        }
        if (strcmp(line, "dead") == 0) {
            upkeep_jdead_t *d;

            f[0] = apr_strtok(val, " ", &last);
            f[1] = f[0] ? apr_strtok(NULL, " ", &last) : NULL;
            f[2] = f[1] ? apr_strtok(NULL, " ", &last) : NULL;
            if (!f[2] || apr_strtok(NULL, " ", &last)
                || (v[0] = jstate_number(f[0], APR_INT64_MAX)) < 0
                || (v[1] = jstate_number(f[1], INT_MAX)) < 0
                || (v[2] = jstate_number(f[2], 999)) < 0) {
                return apr_psprintf(p, "line %d: not \"dead OFFSET ATTEMPTS "
                                    "STATUS\"", n);
            }
            d = apr_array_push(st->dead);
            d->off = v[0];
            d->attempts = (int)v[1];
            d->last = (int)v[2];
            continue;
        }
        for (i = 0; i < sizeof(jstate_fields) / sizeof(jstate_fields[0]);
             i++) {
            if (strcmp(line, jstate_fields[i].name) == 0) {
                break;
            }
        }
        if (i == sizeof(jstate_fields) / sizeof(jstate_fields[0])) {
            return apr_psprintf(p, "line %d: unknown field '%s'", n, line);
        }
        if ((v[0] = jstate_number(val, jstate_fields[i].kind == 'i'
                                       ? INT_MAX : APR_INT64_MAX)) < 0) {
            return apr_psprintf(p, "line %d: %s is not a number of 0 or "
                                "more", n, line);
        }
        switch (jstate_fields[i].kind) {
        case 'o':
            *(int64_t *)((char *)st + jstate_fields[i].off) = v[0];
            break;
        case 'i':
            *(int *)((char *)st + jstate_fields[i].off) = (int)v[0];
            break;
        default:
            *(uint64_t *)((char *)st + jstate_fields[i].off) =
                (uint64_t)v[0];
            break;
        }
    }
    return NULL;
}

const char *upkeep_jstate_parse(apr_pool_t *p, const char *text,
                                upkeep_jstate_t *st)
{
    const char *why;

    memset(st, 0, sizeof(*st));
    st->dead = apr_array_make(p, 4, sizeof(upkeep_jdead_t));
    st->again = apr_array_make(p, 4, sizeof(int64_t));
    if ((why = jstate_lines(p, apr_pstrdup(p, text ? text : ""), st))) {
        memset(st, 0, sizeof(*st));
        st->dead = apr_array_make(p, 4, sizeof(upkeep_jdead_t));
        st->again = apr_array_make(p, 4, sizeof(int64_t));
    }
    return why;
}

const char *upkeep_jstate_encode(apr_pool_t *p, const upkeep_jstate_t *st)
{
    const char *s = apr_pstrcat(p, "token ", st->token[0] ? st->token : "-",
                                "\n", NULL);
    apr_size_t i;
    int k;

    for (i = 0; i < sizeof(jstate_fields) / sizeof(jstate_fields[0]); i++) {
        const char *at = (const char *)st + jstate_fields[i].off;
        apr_int64_t v = jstate_fields[i].kind == 'o' ? *(const int64_t *)at
                        : jstate_fields[i].kind == 'i' ? *(const int *)at
                        : (apr_int64_t)*(const uint64_t *)at;

        s = apr_psprintf(p, "%s%s %" APR_INT64_T_FMT "\n", s,
                         jstate_fields[i].name, v < 0 ? 0 : v);
    }
    for (k = 0; st->dead && k < st->dead->nelts; k++) {
        const upkeep_jdead_t *d = &APR_ARRAY_IDX(st->dead, k, upkeep_jdead_t);

        s = apr_psprintf(p, "%sdead %" APR_INT64_T_FMT " %d %d\n", s, d->off,
                         d->attempts, d->last);
    }
    for (k = 0; st->again && k < st->again->nelts; k++) {
        s = apr_psprintf(p, "%sagain %" APR_INT64_T_FMT "\n", s,
                         APR_ARRAY_IDX(st->again, k, int64_t));
    }
    return s;
}
