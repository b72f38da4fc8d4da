/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_journal_fmt.c: reading and checking the journal's files
 * (include/upkeep_journal.h); APR and POSIX only, for mod_upkeep and
 * upkeepctl.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    apr_size_t m = sizeof(UPKEEP_JOURNAL_MAGIC) - 1;

    if (n < m + UPKEEP_JOURNAL_TOKEN_LEN + 1
        || memcmp(head, UPKEEP_JOURNAL_MAGIC, m) != 0
        || head[m + UPKEEP_JOURNAL_TOKEN_LEN] != '\n') {
        return 0;
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
    return out->method && out->uri ? 0 : -1;
}

void upkeep_jstate_parse(apr_pool_t *p, const char *text,
                         upkeep_jstate_t *st)
{
    char *copy = apr_pstrdup(p, text ? text : ""), *last, *line;

    memset(st, 0, sizeof(*st));
    st->dead = apr_array_make(p, 4, sizeof(upkeep_jdead_t));
    for (line = apr_strtok(copy, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        char key[16], val[64];
        long long a = 0, b = 0, c = 0;

        if (sscanf(line, "dead %lld %lld %lld", &a, &b, &c) == 3) {
            upkeep_jdead_t *d = apr_array_push(st->dead);

            d->off = a;
            d->attempts = (int)b;
            d->last = (int)c;
            continue;
        }
        if (sscanf(line, "%15s %63s", key, val) != 2) {
            continue;
        }
        if (strcmp(key, "token") == 0
            && strlen(val) == UPKEEP_JOURNAL_TOKEN_LEN) {
            strcpy(st->token, val);
        }
        else if (strcmp(key, "cursor") == 0) {
            st->cursor = strtoll(val, NULL, 10);
        }
        else if (strcmp(key, "first") == 0) {
            st->first = strtoll(val, NULL, 10);
        }
        else if (strcmp(key, "next") == 0) {
            st->next = strtoll(val, NULL, 10);
        }
        else if (strcmp(key, "attempts") == 0) {
            st->attempts = atoi(val);
        }
        else if (strcmp(key, "last") == 0) {
            st->last = atoi(val);
        }
        else if (strcmp(key, "ok") == 0) {
            st->ok = strtoull(val, NULL, 10);
        }
        else if (strcmp(key, "client_error") == 0) {
            st->client_error = strtoull(val, NULL, 10);
        }
        else if (strcmp(key, "retry") == 0) {
            st->retry = strtoull(val, NULL, 10);
        }
    }
}

const char *upkeep_jstate_encode(apr_pool_t *p, const upkeep_jstate_t *st)
{
    const char *s = apr_psprintf(p, "token %s\ncursor %" APR_INT64_T_FMT
        "\nattempts %d\nlast %d\nfirst %" APR_INT64_T_FMT "\nnext %"
        APR_INT64_T_FMT "\nok %" APR_UINT64_T_FMT "\nclient_error %"
        APR_UINT64_T_FMT "\nretry %" APR_UINT64_T_FMT "\n",
        st->token[0] ? st->token : "-", st->cursor, st->attempts, st->last,
        st->first, st->next, st->ok, st->client_error, st->retry);
    int i;

    for (i = 0; st->dead && i < st->dead->nelts; i++) {
        const upkeep_jdead_t *d = &APR_ARRAY_IDX(st->dead, i, upkeep_jdead_t);

        s = apr_psprintf(p, "%sdead %" APR_INT64_T_FMT " %d %d\n", s, d->off,
                         d->attempts, d->last);
    }
    return s;
}
