/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_sync.c: the cluster poller.  A mod_watchdog singleton callback
 * (one process per server, never a request thread) reads every scope's
 * cluster value from every memcached server, keeps the newest valid one in
 * the shared slots, and writes it back where it is missing or older, so a
 * restarted or evicted memcached heals by itself.
 */

#include <string.h>
#include <sys/mman.h>

#include "apr_strings.h"
#include "mod_watchdog.h"

#include "upkeep_private.h"

#define UPKEEP_SYNC_WATCHDOG "_upkeep_sync_"

typedef struct {
    server_rec *s;
    upkeep_cluster_conf_t *cc;
    upkeep_live_t *live;
    upkeep_slot_t **slots;      /* by scope registry index */
    apr_pool_t *pool;           /* the handles', owned by the poller */
    int in_child;               /* child_init ran: this process may poll */
    /* The child is exiting: a poll in progress stops at the next server,
     * and the exit waits for it (exit() tears down OpenSSL and libmemcached
     * state a running poll would still use, and mod_watchdog's STOPPING
     * call frees the handles): see stop_polls(). */
    _Atomic int stopping;
    _Atomic int polling;
    upkeep_mc_t *mc;            /* created in the polling process */
    const char *node;           /* this node's id (writes in flight) */
    int lost;                   /* no server answered the last poll */
    /* a bad value is logged once, not on every poll, even when it comes
     * back after the poller wrote over it */
    uint64_t logged_bad[UPKEEP_MAX_SCOPES][UPKEEP_MAX_SERVERS][4];
    uint64_t unsigned_logged[UPKEEP_MAX_SCOPES];    /* UPK0029, per version */
} upkeep_poller_t;

static upkeep_poller_t *poller;

/* FNV-1a: tells one bad value from the next, nothing more. */
static uint64_t value_hash(const char *v, apr_size_t len)
{
    uint64_t h = 14695981039346656037ULL;

    while (len--) {
        h = (h ^ (unsigned char)*v++) * 1099511628211ULL;
    }
    return h ? h : 1;
}

static void log_bad_value(upkeep_poller_t *pl, int scope, int server,
                          const char *key, const char *value,
                          apr_size_t len, const char *why)
{
    uint64_t h = value_hash(value, len), *seen = pl->logged_bad[scope][server];
    int k;

    for (k = 0; k < 4; k++) {
        if (seen[k] == h) {
            return;
        }
    }
    memmove(seen + 1, seen, 3 * sizeof(*seen));
    seen[0] = h;
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, pl->s, "UPK0022: ignoring the "
                 "value of %s on %s: it %s", key,
                 upkeep_mc_server_name(pl->mc, server), why);
}

/* Tells upkeepctl --cluster --wait how many writes run here, and which
 * cluster version this node has seen. */
static void report_writes(upkeep_poller_t *pl, int i, apr_pool_t *p,
                          const int *server_ok, uint64_t version)
{
    const char *key = upkeep_writes_key(p, pl->cc, upkeep_scope_name(i),
                                        pl->node);
    const char *value = apr_psprintf(p, "%" APR_UINT64_T_FMT " %"
                                     APR_INT64_T_FMT " %" APR_INT64_T_FMT,
                                     (apr_uint64_t)version,
                                     (apr_int64_t)atomic_load(
                                         &pl->slots[i]->inflight_writes),
                                     (apr_int64_t)apr_time_sec(
                                         apr_time_now()));
    char err[UPKEEP_ERRMSG_MAX];
    int j;

    for (j = 0; j < pl->cc->nservers; j++) {
        if (server_ok[j]) {
            upkeep_mc_set_ttl(pl->mc, j, key, value, UPKEEP_WRITES_TTL, err);
        }
    }
}

/* Lists this node in PREFIX:nodes on every server that lacks it. */
static void register_node(upkeep_poller_t *pl, apr_pool_t *p,
                          const int *server_ok)
{
    const char *key = upkeep_nodes_key(p, pl->cc);
    const char *me = apr_pstrcat(p, " ", pl->node, " ", NULL);
    char err[UPKEEP_ERRMSG_MAX];
    int j;

    for (j = 0; j < pl->cc->nservers; j++) {
        char *list = NULL;
        apr_size_t len;
        upkeep_get_e r;

        if (!server_ok[j]) {
            continue;
        }
        r = upkeep_mc_get(pl->mc, j, p, key, &list, &len, err);
        if (r == UPKEEP_GET_ERROR || (r == UPKEEP_GET_FOUND
                                      && strstr(list, me))) {
            continue;
        }
        /* a node that registers at the same moment may be lost here; it
         * re-registers on its next poll */
        upkeep_mc_set(pl->mc, j, key, apr_pstrcat(p, r == UPKEEP_GET_FOUND
                                                  ? list : " ", pl->node,
                                                  " ", NULL), err);
    }
}

/* One scope: returns how many servers answered. */
static int poll_scope(upkeep_poller_t *pl, int i, apr_pool_t *p,
                      int *server_ok)
{
    const char *name = upkeep_scope_name(i);
    const char *key = upkeep_cluster_key(p, pl->cc, name);
    upkeep_record_t layers[UPKEEP_LAYER_COUNT], got[UPKEEP_MAX_SERVERS];
    upkeep_record_t *best;
    int stale[UPKEEP_MAX_SERVERS] = { 0 };
    int j, mode, layer, answered = 0;
    char err[UPKEEP_ERRMSG_MAX];

    upkeep_slot_read(pl->slots[i], 0, &mode, &layer, layers, 1);
    best = &layers[UPKEEP_LAYER_CLUSTER];
    for (j = 0; j < pl->cc->nservers; j++) {
        char *value;
        apr_size_t len;
        upkeep_get_e r;

        if (!server_ok[j]) {
            continue;   /* it did not answer for an earlier scope */
        }
        if (atomic_load(&pl->stopping)) {
            return answered;
        }
        r = upkeep_mc_get(pl->mc, j, p, key, &value, &len, err);
        if (r == UPKEEP_GET_ERROR) {
            server_ok[j] = 0;
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, pl->s,
                         "UPK0024: cannot read %s: %s", key, err);
            continue;
        }
        answered++;
        stale[j] = 1;
        if (r == UPKEEP_GET_MISSING) {
            continue;   /* no news; healed below */
        }
        if (upkeep_value_decode(p, pl->cc, name, value, len, &got[j], err)
                != APR_SUCCESS) {
            log_bad_value(pl, i, j, key, value, len, err);
            continue;
        }
        stale[j] = 0;
        if (upkeep_record_newer(&got[j], best) > 0) {
            best = &got[j];
        }
    }
    if (best != &layers[UPKEEP_LAYER_CLUSTER]) {
        upkeep_slot_publish(pl->slots[i], UPKEEP_LAYER_CLUSTER, best);
        /* the live file is the cluster layer's durable copy on nodes that
         * only hear of it here */
        msync(pl->live, sizeof(*pl->live), MS_SYNC);
    }
    report_writes(pl, i, p, server_ok, best->version);
    if (best->version == 0) {
        return answered;    /* nothing was ever published: nothing to heal */
    }
    /* Heal only with what this cluster's secret signed: a record applied
     * here by upkeepctl with another secret stays on this node. */
    if (!upkeep_value_ours(p, pl->cc, name, best)) {
        if (pl->unsigned_logged[i] != best->version) {
            pl->unsigned_logged[i] = best->version;
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, pl->s, "UPK0029: not "
                         "writing version %" APR_UINT64_T_FMT " of %s back "
                         "to memcached: this node holds it without a valid "
                         "signature (was upkeepctl --cluster run with "
                         "another secret?)", (apr_uint64_t)best->version,
                         key);
        }
        return answered;
    }
    for (j = 0; j < pl->cc->nservers; j++) {
        if (server_ok[j] && (stale[j] || upkeep_record_newer(best, &got[j])
                                         > 0)) {
            if (upkeep_mc_set(pl->mc, j, key, upkeep_value_encode(
                                  p, pl->cc, name, best), err)
                    == APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_INFO, 0, pl->s, "UPK0025: "
                             "wrote version %" APR_UINT64_T_FMT " of %s back "
                             "to %s", (apr_uint64_t)best->version, key,
                             upkeep_mc_server_name(pl->mc, j));
            }
        }
    }
    return answered;
}

/* Stops polling for good: a poll in progress stops at its next server,
 * and this waits for it (bounded by the memcached timeouts).  polling is
 * raised before stopping is read, and stopping before polling is read
 * (both sequentially consistent): either the poll sees stopping, or this
 * sees the poll. */
static void stop_polls(upkeep_poller_t *pl)
{
    apr_time_t give_up = apr_time_now()
                         + apr_time_from_msec(2 * pl->cc->timeout_ms + 100);

    atomic_store(&pl->stopping, 1);
    while (atomic_load(&pl->polling) && apr_time_now() < give_up) {
        apr_sleep(apr_time_from_msec(5));
    }
}

static void poll_once(upkeep_poller_t *pl, apr_pool_t *p)
{
    int server_ok[UPKEEP_MAX_SERVERS];
    int64_t now = apr_time_sec(apr_time_now());
    int i, j, answered = 0;
    char err[UPKEEP_ERRMSG_MAX];

    if (!pl->mc) {
        if (!pl->pool) {
            apr_pool_create_unmanaged(&pl->pool);
        }
        if (upkeep_mc_open(pl->pool, pl->cc, &pl->mc, err) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, pl->s, "UPK0026: %s", err);
            apr_pool_clear(pl->pool);
            pl->mc = NULL;
            return;
        }
    }
    for (j = 0; j < pl->cc->nservers; j++) {
        server_ok[j] = 1;
    }
    for (i = 0; i < upkeep_scope_count() && !atomic_load(&pl->stopping);
         i++) {
        answered += poll_scope(pl, i, p, server_ok);
    }
    if (atomic_load(&pl->stopping)) {
        return;
    }
    if (answered) {
        register_node(pl, p, server_ok);
    }
    atomic_store(&pl->live->sync.last_try, now);
    if (answered) {
        atomic_store(&pl->live->sync.last_ok, now);
    }
    if ((answered == 0) != pl->lost) {
        pl->lost = answered == 0;
        atomic_store(&pl->live->sync.failing, (uint32_t)pl->lost);
        if (pl->lost) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, pl->s, "UPK0021: no "
                         "memcached server answers: keeping the last known "
                         "cluster mode");
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, pl->s, "UPK0023: "
                         "cluster sync is back");
        }
    }
}

static apr_status_t upkeep_poll(int state, void *data, apr_pool_t *p)
{
    upkeep_poller_t *pl = data;

    if (!pl->in_child) {
        return APR_SUCCESS;
    }
    /* mod_watchdog calls STOPPING from the thread that destroys the
     * child's pool, while its own thread may still be inside a poll: stop
     * that poll before freeing the handles it uses. */
    if (state == AP_WATCHDOG_STATE_STOPPING) {
        stop_polls(pl);
        if (pl->pool && !atomic_load(&pl->polling)) {
            apr_pool_destroy(pl->pool);
            pl->pool = NULL;
            pl->mc = NULL;
        }
        return APR_SUCCESS;
    }
    if (state != AP_WATCHDOG_STATE_RUNNING) {
        return APR_SUCCESS;
    }
    atomic_store(&pl->polling, 1);
    if (!atomic_load(&pl->stopping)) {
        poll_once(pl, p);
    }
    atomic_store(&pl->polling, 0);
    return APR_SUCCESS;
}

/* Runs when the child's pool is destroyed at exit, before or after
 * mod_watchdog's own cleanup (STOPPING above). */
static apr_status_t poller_child_exit(void *data)
{
    stop_polls(data);
    return APR_SUCCESS;
}

void upkeep_sync_child_init(apr_pool_t *pchild)
{
    if (poller) {
        poller->in_child = 1;
        apr_pool_cleanup_register(pchild, poller, poller_child_exit,
                                  apr_pool_cleanup_null);
    }
}

void upkeep_sync_start(apr_pool_t *pconf, server_rec *s, const char *dir,
                       upkeep_live_t *live, upkeep_slot_t **slots)
{
    upkeep_cluster_conf_t *cc = upkeep_cluster_conf(pconf, s);
    apr_status_t rv;

    poller = NULL;
    if (!cc) {
        return;
    }
    poller = apr_pcalloc(pconf, sizeof(*poller));
    poller->s = s;
    poller->cc = cc;
    poller->live = live;
    poller->slots = slots;
    poller->node = upkeep_node_id(pconf, dir);
    /* a new poller reports a lost sync afresh (UPK0021) */
    atomic_store(&live->sync.failing, 0);
    rv = upkeep_watchdog_start(pconf, UPKEEP_SYNC_WATCHDOG,
                               upkeep_sync_interval(s), poller, upkeep_poll);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0027: cannot start "
                     "the cluster poller (is mod_watchdog loaded?)");
    }
}
