/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_journal.h: the journal's file format, shared by mod_upkeep and
 * upkeepctl (README, "Journal").
 *
 * STATE_DIR/journal/SCOPE.journal (mode 0600, httpd's user) starts with
 * "upkeep-journal 1 TOKEN\n"; each entry follows as
 *   "\nUPKJ TOKEN ID LEN CRC\n" then LEN bytes of payload,
 * CRC being the CRC-32 of the payload (hex).  TOKEN is random, made when
 * the file is (re)started, and never seen by clients, so a body cannot
 * forge an entry.  A torn entry (a crash mid-append) fails its length or
 * CRC and is skipped to the next "\nUPKJ TOKEN ".  The payload:
 *   "R USEC\nM METHOD\nU URI\nA LOCAL-IP PORT TLS\n" ("H NAME: VALUE\n")*
 *   "\n" BODY
 * STATE_DIR/journal/SCOPE.jstate (rewritten whole, temp + fsync + rename)
 * is where the replay stands: "token T", "cursor OFF" (the next entry to
 * replay), "attempts N", "last STATUS", "first USEC", "next USEC", "ok N",
 * "client_error N", "retry N" and "dead OFF ATTEMPTS STATUS" lines.
 * SCOPE.jlock is flocked by the one replayer of the scope; replay.key is
 * what replays send as Upkeep-Journal-Token (mod_upkeep only).
 */

#ifndef UPKEEP_JOURNAL_H
#define UPKEEP_JOURNAL_H

#include <stdint.h>

#include "apr_pools.h"
#include "apr_tables.h"

#define UPKEEP_JOURNAL_SUBDIR  "journal"
#define UPKEEP_JOURNAL_SUFFIX  ".journal"
#define UPKEEP_JSTATE_SUFFIX   ".jstate"
/* Largest SCOPE.jstate read (its dead entries take ~20 bytes each). */
#define UPKEEP_JSTATE_MAX (1 << 20)
/* held by the node's replayer of the scope (flock) */
#define UPKEEP_JLOCK_SUFFIX    ".jlock"
#define UPKEEP_JOURNAL_MAGIC   "upkeep-journal 1 "
#define UPKEEP_JOURNAL_TOKEN_LEN 32
/* the longest entry header line */
#define UPKEEP_JOURNAL_HDR_MAX 160

uint32_t upkeep_crc32(uint32_t crc, const void *data, apr_size_t len);

/* One entry as found in the file. */
typedef struct {
    apr_off_t off;              /* its leading '\n' */
    apr_off_t end;              /* just past its payload */
    apr_off_t payload;          /* where the payload starts */
    apr_size_t len;             /* of the payload */
    uint32_t crc;
    char id[48];
} upkeep_jentry_t;

/* The token of a journal file's first line (`head`, its first bytes),
 * copied into token[UPKEEP_JOURNAL_TOKEN_LEN + 1]; the header's length, or
 * 0 when it is not a journal header. */
apr_size_t upkeep_journal_parse_head(const char *head, apr_size_t n,
                                     char *token);

/* Finds the next entry at or after `off` in fd (size `size`): an entry
 * whose header starts exactly at off, else (a torn one) the next whole
 * header after it.  With `check`, the payload's CRC is verified too (and
 * an entry that fails it skipped).  1: found (*e, *skipped set when bytes
 * were passed over), 0: none. */
int upkeep_journal_next(int fd, apr_off_t size, const char *token,
                        apr_off_t off, int check, upkeep_jentry_t *e,
                        int *skipped);

/* A parsed payload. */
typedef struct {
    int64_t received;           /* apr_time_t */
    const char *method, *uri, *local_ip;
    int port, tls;
    apr_array_header_t *headers;        /* const char * "Name: value" */
    const char *body;
    apr_size_t body_len;
} upkeep_jpayload_t;

/* Reads and parses e's payload; non-zero when it does not parse or
 * lacks what a replay sends (method, URI, address, port; no control
 * characters in them or the headers). */
int upkeep_journal_read(apr_pool_t *p, int fd, const upkeep_jentry_t *e,
                        upkeep_jpayload_t *out);

/* The replay's place (SCOPE.jstate). */
typedef struct {
    char token[UPKEEP_JOURNAL_TOKEN_LEN + 1];
    int64_t cursor, first, next;
    int attempts, last;
    uint64_t ok, client_error, retry;
    apr_array_header_t *dead;   /* upkeep_jdead_t */
    /* offsets of dead entries an operator sent back (upkeepctl journal
     * retry): replayed first, in this order, before the cursor's */
    apr_array_header_t *again;  /* int64_t */
} upkeep_jstate_t;

typedef struct {
    int64_t off;
    int attempts, last;
} upkeep_jdead_t;

/* NULL when text (NULL: none yet) parses, else "line N: why"; st is then
 * the empty state. */
const char *upkeep_jstate_parse(apr_pool_t *p, const char *text,
                                upkeep_jstate_t *st);
const char *upkeep_jstate_encode(apr_pool_t *p, const upkeep_jstate_t *st);

#endif /* UPKEEP_JOURNAL_H */
