/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_journal.c: the journal of writes accepted while a scope is not
 * normal (UpkeepJournal; README, "Journal").  The gate appends an entry
 * (durable before the 202); a watchdog of ours in one child replays each
 * scope's entries in arrival order through this httpd (to the address and
 * port each came in on, over TLS if it came over TLS) once the scope is
 * normal again.  File format: include/upkeep_journal.h.
 *
 * The state directory is root's (0700), so the parent opens its journal/
 * subdirectory (owned by httpd's user, 0700) at start-up and every child
 * works relative to that descriptor.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_date.h"
#include "apr_thread_proc.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_ssl.h"
#include "unixd.h"

#include "upkeep_private.h"
#include "upkeep_journal.h"

#define UPKEEP_JOURNAL_WATCHDOG "_upkeep_journal_"
#define UPKEEP_JOURNAL_INTERVAL apr_time_from_msec(500)
/* one tick replays for at most this long, then looks at the modes again */
#define UPKEEP_JOURNAL_TICK_BUDGET apr_time_from_sec(5)
#define UPKEEP_JOURNAL_BACKOFF_MAX apr_time_from_sec(300)
#define UPKEEP_JOURNAL_SEND_TIMEOUT apr_time_from_sec(60)

/* The journal directory, opened by the parent; -1: no journal. */
static int jdir = -1;
/* UPK0119 was logged for the scope (once until its state parses) */
static int jstate_bad[UPKEEP_MAX_SCOPES];
static int in_child;
/* A child that exits lets the replay in flight take its answers down
 * first (at most this long), or they would be sent again. */
#define UPKEEP_JOURNAL_EXIT_WAIT apr_time_from_sec(5)
static _Atomic int replay_stopping, replay_busy;
/* What replays carry in Upkeep-Journal-Token, so the gate tells them from
 * a client that sends Upkeep-Journal-Id (STATE_DIR/journal/replay.key,
 * made once, so replays of an old generation still pass). */
static char replay_key[UPKEEP_JOURNAL_TOKEN_LEN + 1];
#define UPKEEP_REPLAY_KEY_FILE "replay.key"

static apr_status_t close_jdir(void *data)
{
    (void)data;
    if (jdir >= 0) {
        close(jdir);
        jdir = -1;
    }
    return APR_SUCCESS;
}

static int open_in(const char *scope, const char *suffix, int flags)
{
    char name[96];
    int fd;

    apr_snprintf(name, sizeof(name), "%s%s", scope, suffix);
    do {
        fd = openat(jdir, name, flags | O_CLOEXEC | O_NOFOLLOW, 0600);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

static int write_all(int fd, const char *p, apr_size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (apr_size_t)w;
    }
    return 0;
}

/* Marks whether scope's journal holds writes not yet replayed (see
 * UPKEEP_ACTIVE_JOURNAL). */
static void journal_waiting(int scope, int waiting)
{
    upkeep_slot_t *slot = upkeep_slots[scope];

    if (!slot) {
        return;
    }
    if (waiting) {
        atomic_fetch_or(&slot->active, UPKEEP_ACTIVE_JOURNAL);
    }
    else {
        atomic_fetch_and(&slot->active, ~UPKEEP_ACTIVE_JOURNAL);
    }
}

static int lock_fd(int fd, int how)
{
    int rc;

    do {
        rc = flock(fd, how);
    } while (rc != 0 && errno == EINTR);
    return rc;
}

/* --- appending (the gate) --------------------------------------------- */

/* Request headers that describe this connection, not the request, or
 * that the module itself sets: not journaled. */
static int hop_by_hop(const char *name, const char *connection)
{
    static const char *const names[] = {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Content-Length", "Expect",
        "HTTP2-Settings", "Upkeep-Mode", "Upkeep-Until",
        "Upkeep-Journal-Id", "Upkeep-Journal-Received"
    };
    apr_size_t i, n = strlen(name);
    const char *c;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (ap_cstr_casecmp(name, names[i]) == 0) {
            return 1;
        }
    }
    /* the names Connection lists */
    for (c = connection; c && (c = ap_strcasestr(c, name)); c += n) {
        if ((c == connection || c[-1] == ',' || c[-1] == ' ')
            && (c[n] == '\0' || c[n] == ',' || c[n] == ' ')) {
            return 1;
        }
    }
    return 0;
}

/* The body, read whole into r->pool: 0, or -1 when it is larger than
 * `max` or cannot be read. */
static int read_body(request_rec *r, apr_off_t max, char **body,
                     apr_size_t *len)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_size_t cap, have = 0;
    char *buf;

    *body = "";
    *len = 0;
    if (cl) {
        apr_off_t n;

        if (apr_strtoff(&n, cl, NULL, 10) != APR_SUCCESS || n < 0
            || n > max) {
            return -1;
        }
    }
    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        return -1;
    }
    if (!ap_should_client_block(r)) {
        return 0;
    }
    cap = r->remaining > 0 ? (apr_size_t)r->remaining + 1 : 8192;
    buf = apr_palloc(r->pool, cap);
    for (;;) {
        long got;

        if (have == cap) {
            char *bigger;

            if ((apr_off_t)cap > max) {
                return -1;
            }
            bigger = apr_palloc(r->pool, cap * 2);
            memcpy(bigger, buf, have);
            buf = bigger;
            cap *= 2;
        }
        got = ap_get_client_block(r, buf + have, cap - have);
        if (got < 0) {
            return -1;
        }
        if (got == 0) {
            break;
        }
        have += (apr_size_t)got;
        if ((apr_off_t)have > max) {
            return -1;
        }
    }
    *body = buf;
    *len = have;
    return 0;
}

static const char *new_token(apr_pool_t *p)
{
    unsigned char raw[UPKEEP_JOURNAL_TOKEN_LEN / 2];
    char *hex = apr_palloc(p, UPKEEP_JOURNAL_TOKEN_LEN + 1);
    apr_size_t i;

    if (apr_generate_random_bytes(raw, sizeof(raw)) != APR_SUCCESS) {
        return NULL;
    }
    for (i = 0; i < sizeof(raw); i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    }
    return hex;
}

/* An entry written but not made durable (its fsync failed): the client
 * is refused, so the entry must never be replayed.  If nothing was
 * appended after it, it is cut off again; otherwise it is voided in place
 * (its header's CRC inverted, so the replay skips it as torn), and only
 * if that fails too may it still be replayed.  A disk that fails fsync is
 * a fault the operator must see either way. */
static void journal_unsynced(request_rec *r, int fd, const char *name,
                             const char *id, apr_off_t start, apr_off_t end,
                             apr_off_t crc_at, uint32_t crc, int err)
{
    struct stat st;
    char inverted[9];
    int flags;

    if (lock_fd(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
        st.st_size = -1;
    }
    if (st.st_size == end && ftruncate(fd, start) == 0) {
        int flushed = fsync(fd) == 0;

        ap_log_rerror(APLOG_MARK, APLOG_ERR, err, r, "UPK0144: cannot "
                      "flush the journal of scope '%s' to disk: entry %s "
                      "removed, the request refused%s", name, id,
                      flushed ? "" : " (the removal could not be flushed "
                      "either: check the disk)");
        return;
    }
    /* pwrite on an O_APPEND descriptor would append */
    apr_snprintf(inverted, sizeof(inverted), "%08x", (unsigned)~crc);
    if (st.st_size >= end && (flags = fcntl(fd, F_GETFL)) != -1
        && fcntl(fd, F_SETFL, flags & ~O_APPEND) == 0
        && pwrite(fd, inverted, 8, crc_at) == 8) {
        int flushed = fsync(fd) == 0;

        ap_log_rerror(APLOG_MARK, APLOG_ERR, err, r, "UPK0145: cannot "
                      "flush the journal of scope '%s' to disk: entry %s, "
                      "behind which others were written meanwhile, is "
                      "voided in place (the replay skips it), the request "
                      "refused%s", name, id, flushed ? "" : " (the void "
                      "could not be flushed either: check the disk)");
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_CRIT, err, r, "UPK0148: the journal "
                  "of scope '%s' could not be flushed to disk, and entry %s "
                  "could neither be removed nor voided: it was refused to "
                  "its client but may still be replayed (check the disk)",
                  name, id);
}

int upkeep_journal_append(request_rec *r, const upkeep_dir_conf *dc,
                          int scope, const char **id)
{
    const char *name = upkeep_scope_name(scope);
    const char *connection = apr_table_get(r->headers_in, "Connection");
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    apr_off_t max = upkeep_conf_journal_max(dc);
    char *body, head[UPKEEP_JOURNAL_HDR_MAX], token[UPKEEP_JOURNAL_TOKEN_LEN
                                                    + 1];
    const char *meta, *hdr, *ip = r->connection->local_ip;
    apr_size_t blen, mlen, total;
    struct stat st;
    uint32_t crc;
    int fd, i, created = 0;
    apr_time_t now = apr_time_now();

    if (jdir < 0) {
        return -1;
    }
    if (read_body(r, upkeep_conf_journal_body_max(dc), &body, &blen) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "UPK0120: %s %s not "
                      "journaled: its body is larger than UpkeepJournalBodyMax"
                      " or could not be read", r->method, r->uri);
        return -1;
    }
    meta = apr_psprintf(r->pool, "R %" APR_TIME_T_FMT "\nM %s\nU %s\n"
                        "A %s %u %d\n", now, r->method, r->unparsed_uri,
                        ip, r->connection->local_addr->port,
                        ap_ssl_conn_is_ssl(r->connection) ? 1 : 0);
    for (i = 0; i < h->nelts; i++) {
        if (e[i].key && !hop_by_hop(e[i].key, connection)) {
            meta = apr_pstrcat(r->pool, meta, "H ", e[i].key, ": ",
                               e[i].val ? e[i].val : "", "\n", NULL);
        }
    }
    meta = apr_pstrcat(r->pool, meta, "\n", NULL);
    mlen = strlen(meta);
    crc = upkeep_crc32(upkeep_crc32(0, meta, mlen), body, blen);

    if ((fd = open_in(name, UPKEEP_JOURNAL_SUFFIX,
                      O_RDWR | O_CREAT | O_APPEND)) < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r, "UPK0121: cannot "
                      "open the journal of scope '%s'", name);
        return -1;
    }
    if (lock_fd(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r, "UPK0122: cannot "
                      "lock the journal of scope '%s'", name);
        close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        const char *t = new_token(r->pool);

        if (!t) {
            close(fd);
            return -1;
        }
        apr_cpystrn(token, t, sizeof(token));
        created = 1;
    }
    else {
        ssize_t n = pread(fd, head, sizeof(head), 0);

        if (n <= 0 || !upkeep_journal_parse_head(head, (apr_size_t)n,
                                                 token)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "UPK0123: the "
                          "journal of scope '%s' does not start with a "
                          "journal header: not appending to it", name);
            close(fd);
            return -1;
        }
    }
    *id = apr_psprintf(r->pool, "%013" APR_UINT64_T_HEX_FMT "-%"
                       APR_UINT64_T_HEX_FMT, (apr_uint64_t)now,
                       (apr_uint64_t)st.st_size);
    hdr = apr_psprintf(r->pool, "%s%s%s\nUPKJ %s %s %" APR_SIZE_T_FMT
                       " %08x\n", created ? UPKEEP_JOURNAL_MAGIC : "",
                       created ? token : "", created ? "\n" : "", token, *id,
                       mlen + blen, (unsigned)crc);
    total = strlen(hdr) + mlen + blen;
    if (st.st_size + (apr_off_t)total > max) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "UPK0124: %s %s not "
                      "journaled: the journal of scope '%s' would pass "
                      "UpkeepJournalMax (%" APR_OFF_T_FMT " bytes)",
                      r->method, r->uri, name, max);
        close(fd);
        return -1;
    }
    if (write_all(fd, hdr, strlen(hdr)) != 0
        || write_all(fd, meta, mlen) != 0 || write_all(fd, body, blen) != 0
        || (created && (fsync(fd) != 0 || fsync(jdir) != 0))) {
        int err = errno;

        /* nothing half-written stays behind this entry */
        if (ftruncate(fd, st.st_size) != 0 || fsync(fd) != 0) {
            err = errno;
        }
        ap_log_rerror(APLOG_MARK, APLOG_ERR, err, r, "UPK0125: cannot "
                      "write to the journal of scope '%s'", name);
        close(fd);
        return -1;
    }
    /* under the lock: the replay clears it under the same lock once it
     * has sent everything up to the end it saw */
    journal_waiting(scope, 1);
    /* Group commit: the fsync that makes the entry durable runs after the
     * lock is let go, so the writers that queued behind it append
     * meanwhile and one flush of the file covers them all (a later fsync
     * finds its bytes already on disk).  The 202 waits for it. */
    lock_fd(fd, LOCK_UN);
    if (!created && fsync(fd) != 0) {
        /* the CRC is the last 8 characters of the header line */
        journal_unsynced(r, fd, name, *id, st.st_size,
                         st.st_size + (apr_off_t)total,
                         st.st_size + (apr_off_t)strlen(hdr) - 9, crc, errno);
        close(fd);
        return -1;
    }
    close(fd);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "UPK0126: a %s request "
                  "journaled in scope '%s' as %s", r->method, name, *id);
    return 0;
}

/* --- the replay's state --------------------------------------------- */

/* Where the replay of scope stands (none yet: the empty state); on a
 * file that cannot be read or does not parse, why, with the empty state
 * in st. */
static const char *load_state(apr_pool_t *p, const char *scope,
                              upkeep_jstate_t *st)
{
    int fd = open_in(scope, UPKEEP_JSTATE_SUFFIX, O_RDONLY);
    const char *why = NULL;
    struct stat sb;
    char *buf = NULL;
    apr_size_t got = 0;

    if (fd < 0 && errno != ENOENT) {
        why = apr_psprintf(p, "cannot be opened (%s)", strerror(errno));
    }
    else if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)
                         || sb.st_size > UPKEEP_JSTATE_MAX)) {
        why = "is not a regular file of at most 1 MiB";
    }
    else if (fd >= 0) {
        buf = apr_palloc(p, (apr_size_t)sb.st_size + 1);
        while (got < (apr_size_t)sb.st_size) {
            ssize_t n = pread(fd, buf + got, (apr_size_t)sb.st_size - got,
                              (off_t)got);

            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            got += (apr_size_t)n;
        }
        buf[got] = '\0';
    }
    if (fd >= 0) {
        close(fd);
    }
    if (why) {
        upkeep_jstate_parse(p, NULL, st);
        return why;
    }
    return upkeep_jstate_parse(p, buf, st);
}

static int save_state(apr_pool_t *p, const char *scope,
                      const upkeep_jstate_t *st)
{
    const char *text = upkeep_jstate_encode(p, st);
    char tmp[96], name[96];
    int fd = open_in(scope, UPKEEP_JSTATE_SUFFIX ".tmp",
                     O_WRONLY | O_CREAT | O_TRUNC);

    if (fd < 0) {
        return -1;
    }
    apr_snprintf(tmp, sizeof(tmp), "%s" UPKEEP_JSTATE_SUFFIX ".tmp", scope);
    apr_snprintf(name, sizeof(name), "%s" UPKEEP_JSTATE_SUFFIX, scope);
    if (write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    if (renameat(jdir, tmp, jdir, name) != 0 || fsync(jdir) != 0) {
        return -1;
    }
    return 0;
}

/* The journal's size once no entry is half-appended, and its token; 0
 * when there is no journal, -1 on an error. */
static int journal_open(const char *scope, int flags, int *fd,
                        apr_off_t *size, char *token, apr_size_t *head_len)
{
    char head[UPKEEP_JOURNAL_HDR_MAX];
    struct stat st;
    ssize_t n;

    if ((*fd = open_in(scope, UPKEEP_JOURNAL_SUFFIX, flags)) < 0) {
        return errno == ENOENT ? 0 : -1;
    }
    if (lock_fd(*fd, LOCK_SH) != 0 || fstat(*fd, &st) != 0) {
        close(*fd);
        return -1;
    }
    lock_fd(*fd, LOCK_UN);
    *size = st.st_size;
    if (!st.st_size) {
        close(*fd);
        return 0;
    }
    n = pread(*fd, head, sizeof(head), 0);
    if (n <= 0 || !(*head_len = upkeep_journal_parse_head(
                        head, (apr_size_t)n, token))) {
        close(*fd);
        return -1;
    }
    return 1;
}

/* Where the replay stands for the file with `token` (a new file: at its
 * first entry). */
static void state_for(upkeep_jstate_t *st, const char *token,
                      apr_size_t head_len)
{
    if (strcmp(st->token, token) != 0) {
        apr_cpystrn(st->token, token, sizeof(st->token));
        st->cursor = (int64_t)head_len;
        st->attempts = st->last = 0;
        st->first = st->next = 0;
        apr_array_clear(st->dead);
        apr_array_clear(st->again);
    }
}

void upkeep_journal_stats(apr_pool_t *p, int scope, upkeep_jstats_t *out)
{
    const char *name = upkeep_scope_name(scope);
    char token[UPKEEP_JOURNAL_TOKEN_LEN + 1];
    upkeep_jstate_t st;
    upkeep_jentry_t e;
    apr_size_t head_len = 0;
    apr_off_t size = 0, at;
    int fd = -1, skipped, rc;

    memset(out, 0, sizeof(*out));
    if (jdir < 0) {
        return;
    }
    /* a state that does not parse counts every entry as pending, as the
     * replay would once it is removed (UPK0119 says so) */
    load_state(p, name, &st);
    out->ok = st.ok;
    out->client_error = st.client_error;
    out->retry = st.retry;
    rc = journal_open(name, O_RDONLY, &fd, &size, token, &head_len);
    out->bytes = size;
    if (rc <= 0) {
        return;
    }
    state_for(&st, token, head_len);
    out->dead = st.dead->nelts;
    out->pending = st.again->nelts;
    for (at = st.cursor; at < size
         && upkeep_journal_next(fd, size, token, at, 0, &e, &skipped);
         at = e.end) {
        out->pending++;
    }
    close(fd);
}

/* --- replay ---------------------------------------------------------- */

int upkeep_journal_is_replay(const char *token)
{
    unsigned char diff = 0;
    apr_size_t i;

    if (jdir < 0 || !token || strlen(token) != UPKEEP_JOURNAL_TOKEN_LEN) {
        return 0;
    }
    for (i = 0; i < UPKEEP_JOURNAL_TOKEN_LEN; i++) {
        diff |= (unsigned char)(token[i] ^ replay_key[i]);
    }
    return diff == 0;
}

/* Reads the replay key, or makes it (temp + fsync + rename). */
static apr_status_t load_replay_key(apr_pool_t *ptemp)
{
    char buf[UPKEEP_JOURNAL_TOKEN_LEN + 1];
    const char *made;
    ssize_t n = 0;
    int fd = openat(jdir, UPKEEP_REPLAY_KEY_FILE,
                    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd >= 0) {
        n = pread(fd, buf, UPKEEP_JOURNAL_TOKEN_LEN, 0);
        close(fd);
        if (n == UPKEEP_JOURNAL_TOKEN_LEN) {
            memcpy(replay_key, buf, UPKEEP_JOURNAL_TOKEN_LEN);
            replay_key[UPKEEP_JOURNAL_TOKEN_LEN] = '\0';
            return APR_SUCCESS;
        }
    }
    if (!(made = new_token(ptemp))) {
        return APR_EGENERAL;
    }
    fd = openat(jdir, UPKEEP_REPLAY_KEY_FILE ".tmp",
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || write_all(fd, made, UPKEEP_JOURNAL_TOKEN_LEN) != 0
        || fsync(fd) != 0
        || (geteuid() == 0 && fchown(fd, ap_unixd_config.user_id,
                                     ap_unixd_config.group_id) != 0)) {
        apr_status_t rv = errno;

        if (fd >= 0) {
            close(fd);
        }
        return rv;
    }
    close(fd);
    if (renameat(jdir, UPKEEP_REPLAY_KEY_FILE ".tmp", jdir,
                 UPKEEP_REPLAY_KEY_FILE) != 0 || fsync(jdir) != 0) {
        return errno;
    }
    apr_cpystrn(replay_key, made, sizeof(replay_key));
    return APR_SUCCESS;
}

/* A replay's connection to this httpd: the address and port the request
 * came in on, over TLS when it came over TLS (so the same virtual host,
 * with SNI from its Host, and the same handlers serve it).  The peer is
 * this node's own listener and the replay key authenticates the replay,
 * so the certificate is not checked: a site's certificate rarely names
 * the address a node listens on. */
typedef struct {
    apr_socket_t *sock;
    SSL_CTX *ctx;
    SSL *ssl;
} replay_conn_t;

static apr_status_t replay_conn_free(void *data)
{
    replay_conn_t *c = data;

    if (c->ssl) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->ctx) {
        SSL_CTX_free(c->ctx);
        c->ctx = NULL;
    }
    if (c->sock) {
        apr_socket_close(c->sock);
        c->sock = NULL;
    }
    return APR_SUCCESS;
}

/* The value of the entry's Host header, or NULL when it has none. */
static const char *payload_host(const upkeep_jpayload_t *pl)
{
    int i;

    for (i = 0; i < pl->headers->nelts; i++) {
        const char *line = APR_ARRAY_IDX(pl->headers, i, const char *);

        if (ap_cstr_casecmpn(line, "Host:", 5) == 0) {
            return line + 5 + strspn(line + 5, " \t");
        }
    }
    return NULL;
}

/* The name for SNI: the Host's host, unless it is an address. */
static const char *replay_sni(apr_pool_t *p, const upkeep_jpayload_t *pl)
{
    const char *v = payload_host(pl);
    char *host = NULL, *scope_id = NULL;
    apr_port_t port;

    if (!v || apr_parse_addr_port(&host, &scope_id, &port, v, p)
              != APR_SUCCESS
        || !host || scope_id || strchr(host, ':')
        || host[strspn(host, "0123456789.")] == '\0') {
        return NULL;
    }
    return host;
}

/* The TLS side of a connected socket: blocking I/O with the send timeout
 * on the descriptor, since OpenSSL reads and writes it directly. */
static apr_status_t replay_tls_start(apr_pool_t *p, replay_conn_t *c,
                                     const upkeep_jpayload_t *pl,
                                     const char **why)
{
    struct timeval tv = { apr_time_sec(UPKEEP_JOURNAL_SEND_TIMEOUT), 0 };
    const char *sni = replay_sni(p, pl);
    apr_os_sock_t fd;
    char err[256];

    apr_socket_timeout_set(c->sock, -1);
    if (apr_os_sock_get(&fd, c->sock) != APR_SUCCESS
        || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0
        || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
        *why = "cannot set the socket's timeouts";
        return APR_EGENERAL;
    }
    ERR_clear_error();
    if (!(c->ctx = SSL_CTX_new(TLS_client_method()))
        || !(c->ssl = SSL_new(c->ctx))
        || !SSL_set_fd(c->ssl, fd)
        || (sni && !SSL_set_tlsext_host_name(c->ssl, sni))
        || SSL_connect(c->ssl) != 1) {
        ERR_error_string_n(ERR_peek_last_error(), err, sizeof(err));
        *why = apr_pstrcat(p, "TLS handshake failed: ", err, NULL);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static apr_status_t replay_connect(apr_pool_t *p, replay_conn_t *c,
                                   const upkeep_jpayload_t *pl,
                                   const char **why)
{
    apr_sockaddr_t *sa;
    apr_status_t rv;

    apr_pool_cleanup_register(p, c, replay_conn_free, apr_pool_cleanup_null);
    *why = "cannot connect";
    if ((rv = apr_sockaddr_info_get(&sa, pl->local_ip, APR_UNSPEC,
                                    (apr_port_t)pl->port, 0, p)) != APR_SUCCESS
        || (rv = apr_socket_create(&c->sock, sa->family, SOCK_STREAM,
                                   APR_PROTO_TCP, p)) != APR_SUCCESS) {
        c->sock = NULL;
        return rv;
    }
    apr_socket_timeout_set(c->sock, UPKEEP_JOURNAL_SEND_TIMEOUT);
    if ((rv = apr_socket_connect(c->sock, sa)) != APR_SUCCESS) {
        return rv;
    }
    return pl->tls ? replay_tls_start(p, c, pl, why) : APR_SUCCESS;
}

static apr_status_t replay_write(replay_conn_t *c, const char *at,
                                 apr_size_t n)
{
    while (n) {
        apr_size_t k = n;

        if (c->ssl) {
            int w = SSL_write(c->ssl, at, n > INT_MAX ? INT_MAX : (int)n);

            if (w <= 0) {
                return APR_EGENERAL;
            }
            k = (apr_size_t)w;
        }
        else {
            apr_status_t rv = apr_socket_send(c->sock, at, &k);

            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
        at += k;
        n -= k;
    }
    return APR_SUCCESS;
}

/* Reads some of the answer into buf; *n: its room, then what came. */
static apr_status_t replay_read(replay_conn_t *c, char *buf, apr_size_t *n)
{
    if (c->ssl) {
        int r = SSL_read(c->ssl, buf, *n > INT_MAX ? INT_MAX : (int)*n);

        *n = r > 0 ? (apr_size_t)r : 0;
        return r > 0 ? APR_SUCCESS : APR_EOF;
    }
    return apr_socket_recv(c->sock, buf, n);
}

/* Sends one entry; the status of the answer, or 0 when there was none. */
static int replay_send(apr_pool_t *p, server_rec *s, const char *scope,
                       const upkeep_jentry_t *e,
                       const upkeep_jpayload_t *pl)
{
    char date[APR_RFC822_DATE_LEN], buf[512];
    replay_conn_t *conn = apr_pcalloc(p, sizeof(*conn));
    apr_size_t n, have = 0;
    apr_status_t rv;
    const char *req, *why;
    int i, status = 0;

    apr_rfc822_date(date, pl->received);
    req = apr_pstrcat(p, pl->method, " ", pl->uri, " HTTP/1.1\r\n", NULL);
    for (i = 0; i < pl->headers->nelts; i++) {
        req = apr_pstrcat(p, req, APR_ARRAY_IDX(pl->headers, i, const char *),
                          "\r\n", NULL);
    }
    if (!payload_host(pl)) {
        req = apr_pstrcat(p, req, "Host: ", pl->local_ip, "\r\n", NULL);
    }
    req = apr_pstrcat(p, req, "Upkeep-Journal-Token: ", replay_key,
                      "\r\nUpkeep-Journal-Id: ", e->id,
                      "\r\nUpkeep-Journal-Received: ", date,
                      "\r\nContent-Length: ",
                      apr_psprintf(p, "%" APR_SIZE_T_FMT, pl->body_len),
                      "\r\nConnection: close\r\n\r\n", NULL);
    if ((rv = replay_connect(p, conn, pl, &why)) != APR_SUCCESS
        || (why = "cannot send it",
            rv = replay_write(conn, req, strlen(req))) != APR_SUCCESS
        || (rv = replay_write(conn, pl->body, pl->body_len))
           != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "UPK0128: journal of "
                     "scope '%s': cannot replay %s to %s%s:%d: %s (will "
                     "retry)", scope, e->id, pl->tls ? "https://" : "",
                     pl->local_ip, pl->port, why);
        apr_pool_cleanup_run(p, conn, replay_conn_free);
        return 0;
    }
    /* the status line is all we need */
    while (have < sizeof(buf) - 1 && !memchr(buf, '\n', have)) {
        n = sizeof(buf) - 1 - have;
        rv = replay_read(conn, buf + have, &n);
        have += n;
        if (rv != APR_SUCCESS) {
            break;
        }
    }
    buf[have] = '\0';
    if (have > 12 && strncmp(buf, "HTTP/1.", 7) == 0 && buf[8] == ' '
        && apr_isdigit(buf[9]) && apr_isdigit(buf[10])
        && apr_isdigit(buf[11])) {
        status = atoi(buf + 9);
    }
    apr_pool_cleanup_run(p, conn, replay_conn_free);
    return status;
}

static apr_status_t close_fd(void *data)
{
    close((int)(intptr_t)data);
    return APR_SUCCESS;
}

static int scope_normal(int scope)
{
    upkeep_slot_t *slot = upkeep_scope_slot(scope);
    upkeep_record_t rec = { 0 };
    int mode = UPKEEP_MODE_NORMAL, layer;

    if (!slot) {
        return 0;
    }
    upkeep_slot_read(slot, apr_time_sec(apr_time_now()), &mode, &layer, &rec,
                     0);
    return mode == UPKEEP_MODE_NORMAL;
}

/* The wait before attempt n + 1: 1 s, 2 s, 4 s ... at most 5 min. */
static apr_interval_time_t backoff(int n)
{
    apr_interval_time_t t = apr_time_from_sec(1);

    while (--n > 0 && t < UPKEEP_JOURNAL_BACKOFF_MAX) {
        t *= 2;
    }
    return t < UPKEEP_JOURNAL_BACKOFF_MAX ? t : UPKEEP_JOURNAL_BACKOFF_MAX;
}

/* UpkeepJournalConcurrency N: the entry at the cursor and the N-1 after
 * it are sent at once, each from a thread of its own with a pool of its
 * own; their answers are then taken in file order by the replay's loop
 * as if each had been sent alone.  One that must be retried stops the
 * loop there: those after it that were applied are sent again later (at
 * least once, with their ids). */
typedef struct {
    apr_pool_t *p;
    server_rec *s;
    const char *scope;
    upkeep_jentry_t e;
    upkeep_jpayload_t pl;
    int status;
    apr_thread_t *thread;
} send_job_t;

typedef struct {
    apr_off_t off;
    int status;
} sent_t;

static void *APR_THREAD_FUNC send_job(apr_thread_t *t, void *data)
{
    send_job_t *job = data;

    job->status = replay_send(job->p, job->s, job->scope, &job->e, &job->pl);
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* Sends e (payload pl) and up to n-1 whole entries after it at once;
 * their answers in sent[], in file order.  Returns how many. */
static int send_batch(apr_pool_t *p, server_rec *s, const char *scope,
                      int fd, apr_off_t size, const char *token,
                      const upkeep_jentry_t *e, const upkeep_jpayload_t *pl,
                      int n, sent_t *sent)
{
    send_job_t *jobs = apr_pcalloc(p, (apr_size_t)n * sizeof(*jobs));
    int k, count = 0, skipped;

    for (k = 0; k < n; k++) {
        send_job_t *job = &jobs[k];

        if (apr_pool_create_unmanaged_ex(&job->p, NULL, NULL)
            != APR_SUCCESS) {
            break;
        }
        job->s = s;
        job->scope = scope;
        if (k == 0) {
            job->e = *e;
            job->pl = *pl;
        }
        else if (!upkeep_journal_next(fd, size, token, jobs[k - 1].e.end, 1,
                                      &job->e, &skipped)
                 || job->e.off != jobs[k - 1].e.end
                 || upkeep_journal_read(job->p, fd, &job->e, &job->pl)
                    != 0) {
            /* a torn or damaged entry is the loop's to judge alone */
            apr_pool_destroy(job->p);
            break;
        }
        /* the thread's own pool hangs off the job's (its own allocator):
         * a thread ending frees nothing the replay's thread uses */
        if (apr_thread_create(&job->thread, NULL, send_job, job, job->p)
            != APR_SUCCESS) {
            job->status = replay_send(job->p, s, scope, &job->e, &job->pl);
            job->thread = NULL;
        }
        count++;
    }
    for (k = 0; k < count; k++) {
        apr_status_t rv;

        if (jobs[k].thread) {
            apr_thread_join(&rv, jobs[k].thread);
        }
        sent[k].off = jobs[k].e.off;
        sent[k].status = jobs[k].status;
        apr_pool_destroy(jobs[k].p);
    }
    return count;
}

/* The answer to the entry at off, if it went out with the last batch. */
static int sent_status(const sent_t *sent, int n, apr_off_t off)
{
    int k;

    for (k = 0; k < n; k++) {
        if (sent[k].off == off) {
            return sent[k].status;
        }
    }
    return -1;
}

/* The first entry sent again is off the list. */
static void next_again(upkeep_jstate_t *st)
{
    int64_t *o = (int64_t *)st->again->elts;

    memmove(o, o + 1, (size_t)(st->again->nelts - 1) * sizeof(*o));
    st->again->nelts--;
}

/* Entry e is done with (applied, or kept as dead): the replay moves on,
 * past it in the file or to the next entry sent again. */
static void passed(upkeep_jstate_t *st, int again, const upkeep_jentry_t *e)
{
    if (again) {
        next_again(st);
    }
    else {
        st->cursor = e->end;
    }
    st->attempts = 0;
    st->first = st->next = 0;
}

static void replay_scope(apr_pool_t *p, server_rec *s, int scope,
                         apr_time_t budget_end)
{
    const char *name = upkeep_scope_name(scope);
    char token[UPKEEP_JOURNAL_TOKEN_LEN + 1];
    apr_interval_time_t retry = upkeep_conf_journal_retry(
        ap_get_module_config(s->lookup_defaults, &upkeep_module));
    int conc = upkeep_conf_journal_concurrency(
        ap_get_module_config(s->lookup_defaults, &upkeep_module));
    sent_t sent[UPKEEP_JOURNAL_CONCURRENCY_MAX];
    int nsent = 0;
    upkeep_jstate_t st;
    apr_size_t head_len = 0;
    apr_off_t size = 0;
    apr_pool_t *ep;
    int fd = -1, rc, dirty = 0, lock;
    const char *why;
    server_rec *v;

    /* UpkeepJournalRetry and -Concurrency of the first virtual host whose
     * scope it is */
    for (v = s->next; v; v = v->next) {
        const upkeep_dir_conf *vdc = ap_get_module_config(
            v->lookup_defaults, &upkeep_module);

        if (upkeep_conf_scope(vdc) == scope) {
            retry = upkeep_conf_journal_retry(vdc);
            conc = upkeep_conf_journal_concurrency(vdc);
            break;
        }
    }
    /* one replayer a scope, even where several httpd instances share the
     * state directory */
    if ((lock = open_in(name, UPKEEP_JLOCK_SUFFIX, O_RDWR | O_CREAT)) < 0) {
        return;
    }
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
        close(lock);
        return;
    }
    apr_pool_cleanup_register(p, (void *)(intptr_t)lock, close_fd,
                              apr_pool_cleanup_null);
    rc = journal_open(name, O_RDWR, &fd, &size, token, &head_len);
    if (rc < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "UPK0129: cannot read "
                     "the journal of scope '%s'", name);
        return;
    }
    if (rc == 0) {
        return;
    }
    if ((why = load_state(p, name, &st))) {
        if (!jstate_bad[scope]) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "UPK0119: the replay "
                         "of scope '%s' waits: journal/%s" UPKEEP_JSTATE_SUFFIX
                         " %s (removing it sends every entry of the journal "
                         "again, with its id)", name, name, why);
            jstate_bad[scope] = 1;
        }
        return;
    }
    jstate_bad[scope] = 0;
    state_for(&st, token, head_len);
    apr_pool_create(&ep, p);
    /* answers of a batch already sent are taken down whatever the time
     * or mode: sending them again would apply them twice */
    while ((st.again->nelts || st.cursor < size)
           && ((!st.again->nelts && sent_status(sent, nsent, st.cursor) >= 0)
               || (apr_time_now() < budget_end && scope_normal(scope)
                   && apr_time_now() >= st.next
                   && !atomic_load(&replay_stopping)))) {
        upkeep_jentry_t e;
        upkeep_jpayload_t pl;
        int skipped, status;
        /* an entry sent back by upkeepctl journal retry goes first */
        int again = st.again->nelts > 0;
        apr_time_t now;

        apr_pool_clear(ep);
        if (again) {
            int64_t off = APR_ARRAY_IDX(st.again, 0, int64_t);

            if (!upkeep_journal_next(fd, size, token, off, 1, &e, &skipped)
                || e.off != off) {
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "UPK0118: journal "
                             "of scope '%s': no entry at offset %"
                             APR_INT64_T_FMT " to send again; skipped",
                             name, off);
                next_again(&st);
                dirty = 1;
                continue;
            }
        }
        else if (!upkeep_journal_next(fd, size, token, st.cursor, 1, &e,
                                      &skipped)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "UPK0130: journal "
                         "of scope '%s': dropped %" APR_OFF_T_FMT " bytes of "
                         "a torn entry at its end (never acknowledged)",
                         name, size - st.cursor);
            st.cursor = size;
            dirty = 1;
            break;
        }
        if (skipped) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "UPK0131: journal "
                         "of scope '%s': skipped %" APR_OFF_T_FMT " bytes of "
                         "a torn entry (never acknowledged)", name,
                         e.off - st.cursor);
        }
        if (upkeep_journal_read(ep, fd, &e, &pl) != 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "UPK0132: journal of "
                         "scope '%s': entry %s does not parse; kept as dead",
                         name, e.id);
            status = 400;
        }
        else {
            status = again || conc == 1 ? -1
                     : sent_status(sent, nsent, e.off);
            if (status < 0 && !again && conc > 1) {
                nsent = send_batch(p, s, name, fd, size, token, &e, &pl,
                                   conc, sent);
                status = sent_status(sent, nsent, e.off);
            }
            if (status < 0) {
                status = replay_send(ep, s, name, &e, &pl);
            }
        }
        now = apr_time_now();
        if ((status < 200 || status >= 400) && !scope_normal(scope)) {
            /* the scope left normal while it was sent: that refusal (a
             * read-only 405 too) is no answer of the app's; wait for the
             * next normal, as if it had not been sent */
            st.last = status;
            st.retry++;
            st.next = now + apr_time_from_sec(1);
            nsent = 0;
            if (save_state(ep, name, &st) != 0) {
                close(fd);
                return;
            }
            break;
        }
        st.attempts++;
        st.last = status;
        if (status >= 200 && status < 400) {
            st.ok++;
            passed(&st, again, &e);
        }
        else if (status >= 400 && status < 500) {
            upkeep_jdead_t *d = apr_array_push(st.dead);

            d->off = e.off;
            d->attempts = st.attempts;
            d->last = status;
            st.client_error++;
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "UPK0133: journal "
                         "of scope '%s': %s answered %d; kept as dead", name,
                         e.id, status);
            passed(&st, again, &e);
        }
        else {
            st.retry++;
            if (!st.first) {
                st.first = now;
            }
            if (now - st.first >= retry) {
                upkeep_jdead_t *d = apr_array_push(st.dead);

                d->off = e.off;
                d->attempts = st.attempts;
                d->last = status;
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "UPK0134: "
                             "journal of scope '%s': %s still fails (%d) "
                             "after UpkeepJournalRetry; kept as dead",
                             name, e.id, status);
                passed(&st, again, &e);
            }
            else {
                st.next = now + backoff(st.attempts);
                nsent = 0;      /* those after it go again, after it */
            }
        }
        if (save_state(ep, name, &st) != 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "UPK0135: cannot "
                         "save where the replay of scope '%s' stands; "
                         "stopping it", name);
            close(fd);
            return;
        }
        dirty = 0;
    }
    /* all sent, and no append since (it holds the lock): new writes go
     * straight to the app again; none dead too: the file starts afresh */
    if (st.cursor >= size && !st.again->nelts
        && lock_fd(fd, LOCK_EX) == 0) {
        struct stat now_st;

        if (fstat(fd, &now_st) == 0 && now_st.st_size == size) {
            journal_waiting(scope, 0);
            if (st.dead->nelts == 0 && ftruncate(fd, 0) == 0
                && fsync(fd) == 0) {
                st.token[0] = '\0';
                st.cursor = 0;
                dirty = 1;
            }
        }
        lock_fd(fd, LOCK_UN);
    }
    if (dirty) {
        save_state(p, name, &st);
    }
    close(fd);
}

typedef struct {
    server_rec *s;
} replayer_t;

static apr_status_t replay_tick(int state, void *data, apr_pool_t *p)
{
    replayer_t *rp = data;
    apr_time_t end = apr_time_now() + UPKEEP_JOURNAL_TICK_BUDGET;
    apr_pool_t *tp;
    int i;

    if (!in_child || state != AP_WATCHDOG_STATE_RUNNING || jdir < 0) {
        return APR_SUCCESS;
    }
    /* p is mod_watchdog's, cleared between ticks: a pool of this tick */
    if (apr_pool_create(&tp, p) != APR_SUCCESS) {
        return APR_SUCCESS;
    }
    /* busy before stopping is looked at: an exit either sees it or stops
     * this tick */
    atomic_store(&replay_busy, 1);
    if (atomic_load(&replay_stopping)) {
        atomic_store(&replay_busy, 0);
        apr_pool_destroy(tp);
        return APR_SUCCESS;
    }
    for (i = 0; i < upkeep_scope_count(); i++) {
        replay_scope(tp, rp->s, i, end);
        apr_pool_clear(tp);
    }
    apr_pool_destroy(tp);
    atomic_store(&replay_busy, 0);
    return APR_SUCCESS;
}

/* At the child's exit (its pool's cleanup): no new sends, and the exit
 * waits for the answers of those already out. */
static apr_status_t replay_child_exit(void *data)
{
    apr_time_t give_up = apr_time_now() + UPKEEP_JOURNAL_EXIT_WAIT;

    (void)data;
    atomic_store(&replay_stopping, 1);
    while (atomic_load(&replay_busy) && apr_time_now() < give_up) {
        apr_sleep(apr_time_from_msec(5));
    }
    return APR_SUCCESS;
}

void upkeep_journal_child_init(apr_pool_t *pchild)
{
    in_child = 1;
    if (jdir >= 0) {
        apr_pool_cleanup_register(pchild, NULL, replay_child_exit,
                                  apr_pool_cleanup_null);
    }
}

apr_status_t upkeep_journal_start(apr_pool_t *pconf, apr_pool_t *ptemp,
                                  const char *dir, server_rec *s)
{
    const char *path = apr_pstrcat(ptemp, dir, "/" UPKEEP_JOURNAL_SUBDIR,
                                   NULL);
    replayer_t *rp;
    apr_status_t rv;
    int i;

    jdir = -1;
    if (!upkeep_journal_configured) {
        return APR_SUCCESS;
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        rv = errno;
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0136: cannot create "
                     "the journal directory %s", path);
        return rv;
    }
    if ((jdir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC
                     | O_NOFOLLOW)) < 0
        || (geteuid() == 0
            && (fchown(jdir, ap_unixd_config.user_id,
                       ap_unixd_config.group_id) != 0
                || fchmod(jdir, 0700) != 0))) {
        rv = errno;
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0138: cannot create "
                     "the journal directory %s", path);
        close_jdir(NULL);
        return rv;
    }
    apr_pool_cleanup_register(pconf, NULL, close_jdir, apr_pool_cleanup_null);
    if ((rv = load_replay_key(ptemp)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0139: cannot read "
                     "or make the journal's replay key %s/"
                     UPKEEP_REPLAY_KEY_FILE, path);
        return rv;
    }
    rp = apr_pcalloc(pconf, sizeof(*rp));
    rp->s = s;
    rv = upkeep_watchdog_start(pconf, UPKEEP_JOURNAL_WATCHDOG,
                               UPKEEP_JOURNAL_INTERVAL, rp, replay_tick,
                               NULL);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0137: cannot start "
                     "the journal's replay (is mod_watchdog loaded?)");
    }
    /* a (re)start says what waits from before it */
    for (i = 0; i < upkeep_scope_count(); i++) {
        upkeep_jstats_t js;

        upkeep_journal_stats(ptemp, i, &js);
        if (js.pending || js.dead) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "UPK0147: the "
                         "journal of scope '%s' holds %" APR_INT64_T_FMT
                         " pending and %" APR_INT64_T_FMT " dead entries "
                         "(pending ones are replayed once the scope is "
                         "normal; upkeepctl journal lists them)",
                         upkeep_scope_name(i), js.pending, js.dead);
        }
    }
    return APR_SUCCESS;
}
