/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_cluster.c: the cluster value (signed record text) and the
 * memcached transport, shared by mod_upkeep's poller and upkeepctl.
 */

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <libmemcached/memcached.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "apr_escape.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "upkeep_cluster.h"

#define SIG_TAG "hmac-sha256 "
#define SIG_HEX 64

const char *upkeep_cluster_parse_servers(apr_pool_t *p, const char *list,
                                         upkeep_cluster_conf_t *cc)
{
    char *copy = apr_pstrdup(p, list), *last, *tok;

    cc->nservers = 0;
    for (tok = apr_strtok(copy, ", \t", &last); tok;
         tok = apr_strtok(NULL, ", \t", &last)) {
        char *host, *scope_id;
        apr_port_t port;

        if (cc->nservers == UPKEEP_MAX_SERVERS) {
            return apr_psprintf(p, "more than %d servers",
                                UPKEEP_MAX_SERVERS);
        }
        if (apr_parse_addr_port(&host, &scope_id, &port, tok, p)
                != APR_SUCCESS || !host || scope_id || port == 0) {
            return apr_psprintf(p, "'%s' is not HOST:PORT", tok);
        }
        cc->host[cc->nservers] = host;
        cc->port[cc->nservers] = port;
        cc->nservers++;
    }
    return cc->nservers ? NULL : "no server given";
}

const char *upkeep_cluster_server_name(apr_pool_t *p,
                                       const upkeep_cluster_conf_t *cc,
                                       int i)
{
    return apr_psprintf(p, strchr(cc->host[i], ':') ? "[%s]:%u" : "%s:%u",
                        cc->host[i], (unsigned)cc->port[i]);
}

const char *upkeep_cluster_server_list(apr_pool_t *p,
                                       const upkeep_cluster_conf_t *cc,
                                       uint32_t mask, int json)
{
    const char *out = "";
    int i;

    for (i = 0; i < cc->nservers; i++) {
        if (mask & (1u << i)) {
            const char *name = upkeep_cluster_server_name(p, cc, i);

            out = apr_pstrcat(p, out, *out ? (json ? "," : ", ") : "",
                              json ? upkeep_json_str(p, name) : name, NULL);
        }
    }
    return out;
}

const char *upkeep_cluster_check_prefix(const char *prefix)
{
    const char *c;

    if (!*prefix || strlen(prefix) > 64) {
        return "must be 1 to 64 characters";
    }
    for (c = prefix; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("_.:-", *c)) {
            return "may only contain letters, digits, '_', '.', ':' and '-'";
        }
    }
    return NULL;
}

const char *upkeep_secret_read(apr_pool_t *p, const char *path,
                               unsigned char key[UPKEEP_SECRET_MAX],
                               apr_size_t *key_len)
{
    char err[UPKEEP_ERRMSG_MAX];
    const char *why = NULL;
    apr_size_t len = 0, read_len;
    apr_pool_t *tp;
    apr_status_t rv;
    char *buf;

    /* the text is wiped with its own pool: only the key stays in memory */
    apr_pool_create(&tp, p);
    /* room for the secret and a CRLF */
    rv = upkeep_file_read_all(tp, path, UPKEEP_SECRET_MAX + 2, &buf, &len,
                              err);
    read_len = len;
    while (rv == APR_SUCCESS && len
           && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        len--;
    }
    if (rv == APR_ENOSPC || (rv == APR_SUCCESS && len > UPKEEP_SECRET_MAX)) {
        why = apr_psprintf(p, "%s holds more than %d bytes", path,
                           UPKEEP_SECRET_MAX);
    }
    else if (rv != APR_SUCCESS) {
        why = apr_pstrdup(p, err);
    }
    else if (len < UPKEEP_SECRET_MIN) {
        why = apr_psprintf(p, "%s holds fewer than %d bytes: too weak a "
                           "secret", path, UPKEEP_SECRET_MIN);
    }
    else {
        memcpy(key, buf, len);
        *key_len = len;
    }
    if (rv == APR_SUCCESS) {
        memset(buf, 0, read_len);
    }
    apr_pool_destroy(tp);
    return why;
}

void upkeep_hmac_sha256(const unsigned char *key, apr_size_t key_len,
                        const void *msg, apr_size_t len,
                        unsigned char mac[UPKEEP_MAC_LEN])
{
    unsigned int maclen = 0;

    HMAC(EVP_sha256(), key, (int)key_len, msg, len, mac, &maclen);
}

int upkeep_mac_equal(const void *a, const void *b, apr_size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

const char *upkeep_cluster_read_secret(apr_pool_t *p, const char *path,
                                       upkeep_cluster_conf_t *cc)
{
    const char *why = upkeep_secret_read(p, path, cc->secret,
                                         &cc->secret_len);

    if (!why) {
        cc->secret_file = path;
    }
    return why;
}

/* --- cluster.conf ---------------------------------------------------- */

const char *upkeep_cluster_conf_encode(apr_pool_t *p,
                                       const upkeep_cluster_conf_t *cc)
{
    const char *servers = "";
    int i;

    for (i = 0; i < cc->nservers; i++) {
        servers = apr_psprintf(p, "%s%s%s:%u", servers, i ? "," : "",
                               cc->host[i], (unsigned)cc->port[i]);
    }
    return apr_psprintf(p,
        "# written by mod_upkeep at startup, for upkeepctl --cluster\n"
        "servers %s\n"
        "key-prefix %s\n"
        "secret-file %s\n"
        "timeout-ms %d\n",
        servers, cc->key_prefix, cc->secret_file ? cc->secret_file : "-",
        cc->timeout_ms);
}

apr_status_t upkeep_cluster_conf_load(apr_pool_t *p, const char *dir,
                                      upkeep_cluster_conf_t *cc,
                                      char *errbuf)
{
    const char *path = apr_pstrcat(p, dir, "/" UPKEEP_CLUSTER_CONF, NULL);
    char *buf, *line, *last;
    apr_size_t len;
    apr_status_t rv;
    const char *why = NULL;

    memset(cc, 0, sizeof(*cc));
    cc->key_prefix = UPKEEP_DEFAULT_KEY_PREFIX;
    cc->timeout_ms = UPKEEP_DEFAULT_TIMEOUT_MS;
    /* a few lines; a larger file is not one httpd wrote */
    rv = upkeep_file_read_all(p, path, 64 * 1024, &buf, &len, errbuf);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    for (line = apr_strtok(buf, "\n", &last); line && !why;
         line = apr_strtok(NULL, "\n", &last)) {
        char *value = strchr(line, ' ');

        if (line[0] == '#') {
            continue;
        }
        if (!value) {
            why = "a line without a value";
            break;
        }
        *value++ = '\0';
        if (strcmp(line, "servers") == 0) {
            why = upkeep_cluster_parse_servers(p, value, cc);
        }
        else if (strcmp(line, "key-prefix") == 0) {
            why = upkeep_cluster_check_prefix(value);
            cc->key_prefix = apr_pstrdup(p, value);
        }
        else if (strcmp(line, "secret-file") == 0) {
            cc->secret_file = strcmp(value, "-") ? apr_pstrdup(p, value)
                                                 : NULL;
        }
        else if (strcmp(line, "timeout-ms") == 0) {
            cc->timeout_ms = atoi(value);
            if (cc->timeout_ms < 1 || cc->timeout_ms > 60000) {
                why = "timeout-ms out of range";
            }
        }
        else {
            why = "an unknown line";
        }
    }
    if (!why && cc->nservers == 0) {
        why = "no servers";
    }
    if (why) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "%s: %s", path, why);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* --- the value --------------------------------------------------------- */

const char *upkeep_cluster_key(apr_pool_t *p,
                               const upkeep_cluster_conf_t *cc,
                               const char *scope)
{
    return apr_pstrcat(p, cc->key_prefix, ":", scope, NULL);
}

/* Hex HMAC-SHA256 of the value's text, bound to the key prefix. */
static void value_mac(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                      const char *text, apr_size_t len,
                      char hex[SIG_HEX + 1])
{
    const char *head = apr_pstrcat(p, "upkeep-cluster-value\n",
                                   cc->key_prefix, "\n", NULL);
    apr_size_t hlen = strlen(head);
    unsigned char *msg = apr_palloc(p, hlen + len);
    unsigned char mac[UPKEEP_MAC_LEN];

    memcpy(msg, head, hlen);
    memcpy(msg + hlen, text, len);
    upkeep_hmac_sha256(cc->secret, cc->secret_len, msg, hlen + len, mac);
    apr_escape_hex(hex, mac, sizeof(mac), 0, NULL);
}

const char *upkeep_value_encode(apr_pool_t *p,
                                const upkeep_cluster_conf_t *cc,
                                const char *scope,
                                const upkeep_record_t *rec)
{
    upkeep_record_t copy = *rec;

    return upkeep_value_sign(p, cc, scope, &copy);
}

const char *upkeep_value_sign(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                              const char *scope, upkeep_record_t *rec)
{
    /* the signature is not part of what it signs */
    const char *text;
    char hex[SIG_HEX + 1];

    rec->signature[0] = '\0';
    text = upkeep_record_encode(p, scope, rec);
    if (!cc->secret_len) {
        return text;
    }
    value_mac(p, cc, text, strlen(text), hex);
    apr_cpystrn(rec->signature, hex, UPKEEP_SIGNATURE_MAX);
    return apr_pstrcat(p, text, SIG_TAG, hex, "\n", NULL);
}

int upkeep_value_ours(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                      const char *scope, const upkeep_record_t *rec)
{
    upkeep_record_t copy = *rec;

    if (!cc->secret_len) {
        return 1;
    }
    upkeep_value_sign(p, cc, scope, &copy);
    return strlen(rec->signature) == SIG_HEX
           && upkeep_mac_equal(copy.signature, rec->signature, SIG_HEX);
}

apr_status_t upkeep_value_decode(apr_pool_t *p,
                                 const upkeep_cluster_conf_t *cc,
                                 const char *scope, const char *value,
                                 apr_size_t len, upkeep_record_t *rec,
                                 char *errbuf)
{
    const char *sig = NULL, *s;
    apr_size_t text_len = len;
    char want[SIG_HEX + 1];

    if (len > UPKEEP_VALUE_MAX) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "is larger than %d bytes",
                     UPKEEP_VALUE_MAX);
        return APR_EINVAL;
    }
    /* the signature is the last line */
    for (s = value + len; s > value && s[-1] == '\n'; s--)
        ;
    while (s > value && s[-1] != '\n') {
        s--;
    }
    if ((apr_size_t)(value + len - s) > sizeof(SIG_TAG) - 1
        && strncmp(s, SIG_TAG, sizeof(SIG_TAG) - 1) == 0) {
        sig = s + sizeof(SIG_TAG) - 1;
        text_len = (apr_size_t)(s - value);
    }
    if (cc->secret_len) {
        if (!sig) {
            apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "is not signed");
            return APR_EINVAL;
        }
        value_mac(p, cc, value, text_len, want);
        if (value + len - sig != SIG_HEX + 1 || sig[SIG_HEX] != '\n'
            || !upkeep_mac_equal(sig, want, SIG_HEX)) {
            apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX,
                         "has a bad signature (forged, truncated, or signed "
                         "with another secret)");
            return APR_EINVAL;
        }
    }
    if (upkeep_record_decode(value, text_len, scope, rec, errbuf)
            != APR_SUCCESS) {
        return APR_EINVAL;
    }
    rec->signature[0] = '\0';
    if (cc->secret_len) {
        apr_cpystrn(rec->signature, want, UPKEEP_SIGNATURE_MAX);
    }
    return APR_SUCCESS;
}

/* --- transport ---------------------------------------------------------- */

typedef enum {
    JOB_IDLE,               /* the worker waits; a caller may fill the job */
    JOB_QUEUED,             /* filled, not yet taken */
    JOB_RUNNING,            /* inside libmemcached */
    JOB_DONE                /* the result waits for its caller */
} job_state_e;

/* One server's worker.  Under lock: state, abandoned and the result; the
 * job's key and value are the caller's to write while JOB_IDLE and the
 * worker's to read while JOB_RUNNING. */
typedef struct mc_worker_t {
    struct mc_worker_t *next;
    const char *name;                       /* "host:port", malloc'd */
    int timeout_ms;
    memcached_st *h;                        /* the worker's alone */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t done;                    /* on CLOCK_MONOTONIC */
    job_state_e state;
    int abandoned;                          /* its caller gave up on it */
    int is_set, ttl;
    char *key, *value;                      /* malloc'd, grown as needed */
    apr_size_t key_len, key_cap, value_len, value_cap;
    memcached_return_t rc;
    char *got;                              /* malloc'd by libmemcached */
    apr_size_t got_len;
    char why[UPKEEP_ERRMSG_MAX / 2];
} mc_worker_t;

/* Every worker of the process, on the heap and never freed: a late worker
 * may be inside libmemcached until the process exits.  POSIX threads, not
 * APR's: a deadline must not move when the wall clock is set (APR's
 * condition waits on CLOCK_REALTIME), and no pool holds what leak
 * checkers must see. */
static mc_worker_t *workers;

/* Most bytes of a value copied into the caller's pool (node lists are
 * the longest legitimate values). */
#define UPKEEP_MC_COPY_MAX (64 * 1024)

struct upkeep_mc_t {
    int n;
    mc_worker_t *w[UPKEEP_MAX_SERVERS];
    int started[UPKEEP_MAX_SERVERS];        /* this caller's job runs */
};

/* Microseconds on a clock that only moves forward. */
static apr_time_t mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (apr_time_t)ts.tv_sec * APR_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void *worker_main(void *data)
{
    mc_worker_t *w = data;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        memcached_return_t rc;
        uint32_t flags;
        size_t n = 0;
        char *got = NULL;

        while (w->state != JOB_QUEUED) {
            pthread_cond_wait(&w->wake, &w->lock);
        }
        if (w->abandoned) {
            /* its caller gave up before it ran: a late SET could roll a
             * newer value back */
            w->state = JOB_IDLE;
            continue;
        }
        w->state = JOB_RUNNING;
        pthread_mutex_unlock(&w->lock);
        if (w->is_set) {
            rc = memcached_set(w->h, w->key, w->key_len, w->value,
                               w->value_len, (time_t)w->ttl, 0);
        }
        else {
            got = memcached_get(w->h, w->key, w->key_len, &n, &flags, &rc);
        }
        pthread_mutex_lock(&w->lock);
        w->rc = rc;
        apr_cpystrn(w->why, memcached_strerror(w->h, rc), sizeof(w->why));
        if (w->abandoned) {
            free(got);
            w->state = JOB_IDLE;
        }
        else {
            w->got = got;
            w->got_len = n;
            w->state = JOB_DONE;
            pthread_cond_signal(&w->done);
        }
    }
    return NULL;
}

/* Copies len bytes into a malloc'd buffer kept for the next job. */
static int keep_copy(char **buf, apr_size_t *cap, const char *src,
                     apr_size_t len)
{
    if (len + 1 > *cap) {
        char *b = realloc(*buf, len + 1);

        if (!b) {
            return 0;
        }
        *buf = b;
        *cap = len + 1;
    }
    memcpy(*buf, src, len);
    (*buf)[len] = '\0';
    return 1;
}

/* The worker of host:port with this timeout, started on first use. */
static mc_worker_t *worker_for(apr_pool_t *p,
                               const upkeep_cluster_conf_t *cc, int i,
                               char *errbuf)
{
    const char *host = cc->host[i], *name;
    apr_port_t port = cc->port[i];
    int timeout_ms = cc->timeout_ms;
    pthread_condattr_t ca;
    pthread_attr_t ta;
    pthread_t thread;
    mc_worker_t *w;
    memcached_st *h;
    int ok;

    name = upkeep_cluster_server_name(p, cc, i);
    for (w = workers; w; w = w->next) {
        if (w->timeout_ms == timeout_ms && strcmp(w->name, name) == 0) {
            return w;
        }
    }
    if (!(h = memcached_create(NULL))) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "out of memory");
        return NULL;
    }
    /* libmemcached waits seconds by default; each wait of the worker stays
     * within the timeout too, so a late worker is free again soon */
    memcached_behavior_set(h, MEMCACHED_BEHAVIOR_NO_BLOCK, 1);
    memcached_behavior_set(h, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    memcached_behavior_set(h, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
                           (uint64_t)timeout_ms);
    memcached_behavior_set(h, MEMCACHED_BEHAVIOR_POLL_TIMEOUT,
                           (uint64_t)timeout_ms);
    memcached_behavior_set(h, MEMCACHED_BEHAVIOR_SND_TIMEOUT,
                           (uint64_t)timeout_ms * 1000);
    memcached_behavior_set(h, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
                           (uint64_t)timeout_ms * 1000);
    /* retry a failed server on the next operation, not seconds later */
    memcached_behavior_set(h, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0);
    if (memcached_server_add(h, host, port) != MEMCACHED_SUCCESS) {
        memcached_free(h);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot add server %s", name);
        return NULL;
    }
    /* on the heap: one that cannot start leaves nothing behind (a poller
     * asks again every interval) */
    if (!(w = calloc(1, sizeof(*w))) || !(w->name = strdup(name))) {
        free(w);
        memcached_free(h);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "out of memory");
        return NULL;
    }
    w->timeout_ms = timeout_ms;
    w->h = h;
    ok = pthread_mutex_init(&w->lock, NULL) == 0;
    ok = ok && pthread_cond_init(&w->wake, NULL) == 0;
    ok = ok && pthread_condattr_init(&ca) == 0;
    ok = ok && pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0
         && pthread_cond_init(&w->done, &ca) == 0;
    ok = ok && pthread_attr_init(&ta) == 0;
    ok = ok && pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED) == 0
         && pthread_create(&thread, &ta, worker_main, w) == 0;
    if (!ok) {
        /* the few objects made may stay: this happens once a process */
        memcached_free(h);
        free((char *)w->name);
        free(w);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot start a thread for "
                     "memcached server %s", name);
        return NULL;
    }
    w->next = workers;
    workers = w;
    return w;
}

apr_status_t upkeep_mc_open(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                            upkeep_mc_t **mcp, char *errbuf)
{
    upkeep_mc_t *mc = apr_pcalloc(p, sizeof(*mc));
    int i;

    for (i = 0; i < cc->nservers; i++) {
        mc->w[i] = worker_for(p, cc, i, errbuf);
        if (!mc->w[i]) {
            return APR_EGENERAL;
        }
        mc->n++;
    }
    *mcp = mc;
    return APR_SUCCESS;
}

/* Hands server i its job; 0 when its worker is still busy with a late
 * one. */
static int job_start(upkeep_mc_t *mc, int i, const char *key,
                     const char *value, int ttl, char *errbuf)
{
    mc_worker_t *w = mc->w[i];
    int ok;

    mc->started[i] = 0;
    pthread_mutex_lock(&w->lock);
    if (w->state != JOB_IDLE) {
        pthread_mutex_unlock(&w->lock);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "still busy with an "
                     "operation that got no answer within %d ms",
                     w->timeout_ms);
        return 0;
    }
    ok = keep_copy(&w->key, &w->key_cap, key, strlen(key))
         && (!value || keep_copy(&w->value, &w->value_cap, value,
                                 strlen(value)));
    if (ok) {
        w->key_len = strlen(key);
        w->value_len = value ? strlen(value) : 0;
        w->is_set = value != NULL;
        w->ttl = ttl;
        w->abandoned = 0;
        w->state = JOB_QUEUED;
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->lock);
    if (!ok) {
        apr_cpystrn(errbuf, "out of memory", UPKEEP_ERRMSG_MAX);
        return 0;
    }
    mc->started[i] = 1;
    return 1;
}

/* Waits for server i's job until the deadline; past it, the job is left
 * to its worker and counts as no answer. */
static upkeep_get_e job_finish(upkeep_mc_t *mc, int i, apr_pool_t *p,
                               apr_time_t deadline, char **value,
                               apr_size_t *len, char *errbuf)
{
    mc_worker_t *w = mc->w[i];
    upkeep_get_e r;

    if (!mc->started[i]) {
        return UPKEEP_GET_ERROR;    /* job_start() said why */
    }
    mc->started[i] = 0;
    pthread_mutex_lock(&w->lock);
    while (w->state != JOB_DONE) {
        apr_time_t now = mono_now();
        struct timespec until;

        if (now >= deadline) {
            w->abandoned = 1;
            pthread_mutex_unlock(&w->lock);
            apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "no answer within %d ms",
                         w->timeout_ms);
            return UPKEEP_GET_ERROR;
        }
        until.tv_sec = (time_t)(deadline / APR_USEC_PER_SEC);
        until.tv_nsec = (long)(deadline % APR_USEC_PER_SEC) * 1000;
        pthread_cond_timedwait(&w->done, &w->lock, &until);
    }
    if (w->rc == MEMCACHED_NOTFOUND) {
        r = UPKEEP_GET_MISSING;
    }
    else if (w->rc != MEMCACHED_SUCCESS) {
        r = UPKEEP_GET_ERROR;
        apr_cpystrn(errbuf, w->why, UPKEEP_ERRMSG_MAX);
    }
    else {
        r = UPKEEP_GET_FOUND;
        if (value) {
            /* whoever can write to memcached chooses the size: the copy
             * is capped (still far above what a valid value may hold, so
             * a cut one is refused as too large) */
            *len = w->got_len < UPKEEP_MC_COPY_MAX ? w->got_len
                                                   : UPKEEP_MC_COPY_MAX;
            *value = apr_pstrmemdup(p, w->got ? w->got : "", *len);
        }
    }
    free(w->got);
    w->got = NULL;
    w->state = JOB_IDLE;
    pthread_mutex_unlock(&w->lock);
    return r;
}

/* On the monotonic clock (mono_now()). */
static apr_time_t deadline_of(const upkeep_mc_t *mc)
{
    return mono_now()
           + apr_time_from_msec(mc->n ? mc->w[0]->timeout_ms : 0);
}

void upkeep_mc_each(upkeep_mc_t *mc, apr_pool_t *p, const char *key,
                    const char *value, int ttl, const int *want,
                    upkeep_mc_reply_t *out)
{
    apr_time_t deadline = deadline_of(mc);
    int i;

    for (i = 0; i < mc->n; i++) {
        out[i].got = UPKEEP_GET_ERROR;
        out[i].value = NULL;
        out[i].len = 0;
        out[i].err[0] = '\0';
        if (!want || want[i]) {
            job_start(mc, i, key, value, ttl, out[i].err);
        }
        else {
            mc->started[i] = 0;
        }
    }
    for (i = 0; i < mc->n; i++) {
        if (!want || want[i]) {
            out[i].got = job_finish(mc, i, p, deadline, &out[i].value,
                                    &out[i].len, out[i].err);
        }
    }
}

upkeep_get_e upkeep_mc_get(upkeep_mc_t *mc, int i, apr_pool_t *p,
                           const char *key, char **value, apr_size_t *len,
                           char *errbuf)
{
    apr_time_t deadline = deadline_of(mc);

    if (!job_start(mc, i, key, NULL, 0, errbuf)) {
        return UPKEEP_GET_ERROR;
    }
    return job_finish(mc, i, p, deadline, value, len, errbuf);
}

const char *upkeep_mc_server_name(const upkeep_mc_t *mc, int i)
{
    return mc->w[i]->name;
}

/* --- writes in flight, per node ---------------------------------------- */

const char *upkeep_node_id(apr_pool_t *p, const char *state_dir)
{
    char *host = apr_pstrdup(p, upkeep_host_name(p));
    char *dot;

    if ((dot = strchr(host, '.')) != NULL) {
        *dot = '\0';
    }
    return apr_psprintf(p, "%s-%08x", host,
                        upkeep_fnv1a(state_dir, strlen(state_dir)));
}

const char *upkeep_writes_key(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                              const char *scope, const char *node)
{
    return apr_pstrcat(p, cc->key_prefix, ":", scope, ":writes:", node, NULL);
}

const char *upkeep_nodes_key(apr_pool_t *p, const upkeep_cluster_conf_t *cc)
{
    return apr_pstrcat(p, cc->key_prefix, ":nodes", NULL);
}

int upkeep_writes_parse(const char *value, uint64_t *version,
                        int64_t *inflight, int64_t *when)
{
    unsigned long long v;
    long long n, t;
    int used = 0;

    if (sscanf(value, "%llu %lld %lld%n", &v, &n, &t, &used) != 3
        || value[used] != '\0' || n < 0 || t < 0) {
        return 0;
    }
    *version = v;
    *inflight = n;
    *when = t;
    return 1;
}
