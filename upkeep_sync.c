/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_sync.c: the cluster poller.  A watchdog callback run by one
 * child per server (never a request thread; see upkeep_watchdog_start())
 * reads every scope's
 * cluster value from every memcached server, keeps the newest valid one in
 * the shared slots, and writes it back where it is missing or older, so a
 * restarted or evicted memcached heals by itself.
 *
 * Each step of a poll asks all servers at once and is over within
 * UpkeepMemcachedTimeout (upkeep_mc_each()).  A server that misses the
 * deadline or errs is skipped for the rest of the poll and backed off, so
 * however the others behave, a flip on a healthy server is in force here
 * within one interval plus one timeout.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "apr_strings.h"
#include "mod_watchdog.h"

#include "upkeep_private.h"
#include "unixd.h"

#define UPKEEP_SYNC_WATCHDOG "_upkeep_sync_"

/* How a server has fared, in the polling process. */
typedef struct {
    int failing;                /* UPK0032 logged, UPK0033 not yet */
    int failures;               /* failed polls in a row */
    apr_time_t since;           /* the first of them */
    apr_time_t retry_at;        /* skipped until then */
} server_health_t;

typedef struct {
    server_rec *s;
    upkeep_cluster_conf_t *cc;
    apr_interval_time_t interval;
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
    server_health_t health[UPKEEP_MAX_SERVERS];
    /* a bad value is logged once, not on every poll, even when it comes
     * back after the poller wrote over it */
    uint32_t logged_bad[UPKEEP_MAX_SCOPES][UPKEEP_MAX_SERVERS][4];
    uint64_t unsigned_logged[UPKEEP_MAX_SCOPES];    /* UPK0029, per version */
} upkeep_poller_t;

static upkeep_poller_t *poller;

static void log_bad_value(upkeep_poller_t *pl, int scope, int server,
                          const char *key, const char *value,
                          apr_size_t len, const char *why)
{
    /* tells one bad value from the next; 0 is "none seen" */
    uint32_t h = upkeep_fnv1a(value, len) | 1;
    uint32_t *seen = pl->logged_bad[scope][server];
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

/* upkeep_mc_each() on the servers of want; a server that does not
 * answer is out of ok (want when ok is NULL) for the rest of the poll,
 * and why[] says why. */
static upkeep_mc_reply_t *pl_each(upkeep_poller_t *pl, apr_pool_t *p,
                                  const char *key, const char *value, int ttl,
                                  int *want, const char **why, int *ok)
{
    upkeep_mc_reply_t *r = apr_palloc(p, UPKEEP_MAX_SERVERS * sizeof(*r));
    int j;

    upkeep_mc_each(pl->mc, p, key, value, ttl, want, r);
    for (j = 0; j < pl->cc->nservers; j++) {
        if (want[j] && r[j].got == UPKEEP_GET_ERROR) {
            (ok ? ok : want)[j] = 0;
            why[j] = apr_pstrdup(p, r[j].err);
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, pl->s,
                         "UPK0024: %s %s on %s: %s", value ? "cannot write"
                         : "cannot read", key,
                         upkeep_mc_server_name(pl->mc, j), r[j].err);
        }
    }
    return r;
}

/* A failing server is skipped until this long after the poll that found
 * it failing: two intervals (the next poll goes without it), doubling
 * with each failure in a row, up to BACKOFF_MAX; never less than one
 * interval (with an interval of a second or more, every other poll).  So
 * a dead server costs a poll at most one timeout now and then, and one
 * that is back is used again within seconds. */
#define BACKOFF_MAX apr_time_from_sec(2)

static apr_interval_time_t backoff(const upkeep_poller_t *pl, int failures)
{
    apr_interval_time_t b = 2 * pl->interval;

    while (--failures > 0 && b < BACKOFF_MAX) {
        b *= 2;
    }
    if (b > BACKOFF_MAX) {
        b = BACKOFF_MAX;
    }
    return b > pl->interval ? b : pl->interval;
}

/* Logs a server that starts failing and one that answers again, once
 * each, and publishes which ones fail (upkeep_sync_failing). */
static void server_health(upkeep_poller_t *pl, apr_time_t now,
                          const int *tried, const int *ok,
                          const char *const *why)
{
    uint32_t mask = 0;
    int j;

    for (j = 0; j < pl->cc->nservers; j++) {
        server_health_t *h = &pl->health[j];
        const char *name = upkeep_mc_server_name(pl->mc, j);

        if (tried[j] && ok[j]) {
            if (h->failing) {
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, pl->s, "UPK0033: "
                             "memcached server %s answers again (it failed "
                             "for %" APR_TIME_T_FMT " s)", name,
                             apr_time_sec(now - h->since));
            }
            h->failing = h->failures = 0;
        }
        else if (tried[j]) {
            h->failures++;
            h->retry_at = now + backoff(pl, h->failures);
            if (!h->failing) {
                h->failing = 1;
                h->since = now;
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, pl->s, "UPK0032: "
                             "memcached server %s starts failing: %s; the "
                             "poller skips it, trying it again at least "
                             "every %" APR_TIME_T_FMT " ms", name,
                             why[j] ? why[j] : "no answer",
                             apr_time_as_msec(backoff(pl, 64)));
            }
        }
        if (h->failing) {
            mask |= 1u << j;
        }
    }
    atomic_store(&pl->live->sync.failing_servers, mask);
}

/* Tells upkeepctl --cluster --wait how many writes run here, and which
 * cluster version this node has seen. */
static void report_writes(upkeep_poller_t *pl, int i, apr_pool_t *p,
                          int *server_ok, const char **why, uint64_t version)
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

    pl_each(pl, p, key, value, UPKEEP_WRITES_TTL, server_ok, why, NULL);
}

/* Lists this node in PREFIX:nodes on every server that lacks it. */
static void register_node(upkeep_poller_t *pl, apr_pool_t *p,
                          int *server_ok, const char **why)
{
    const char *key = upkeep_nodes_key(p, pl->cc);
    const char *me = apr_pstrcat(p, " ", pl->node, " ", NULL);
    upkeep_mc_reply_t *got = pl_each(pl, p, key, NULL, 0, server_ok, why,
                                     NULL);
    int lacking[UPKEEP_MAX_SERVERS] = { 0 }, j, any = 0;
    const char *list = " ";

    for (j = 0; j < pl->cc->nservers; j++) {
        if (server_ok[j] && !(got[j].got == UPKEEP_GET_FOUND
                              && strstr(got[j].value, me))) {
            lacking[j] = any = 1;
            if (got[j].got == UPKEEP_GET_FOUND) {
                list = got[j].value;
            }
        }
    }
    /* a node that registers at the same moment may be lost here; it
     * re-registers on its next poll */
    if (any) {
        pl_each(pl, p, key, apr_pstrcat(p, list, pl->node, " ", NULL), 0,
                lacking, why, server_ok);
    }
}

/* One scope: returns how many servers answered. */
static int poll_scope(upkeep_poller_t *pl, int i, apr_pool_t *p,
                      int *server_ok, const char **why)
{
    const char *name = upkeep_scope_name(i);
    const char *key = upkeep_cluster_key(p, pl->cc, name);
    upkeep_record_t layers[UPKEEP_LAYER_COUNT], got[UPKEEP_MAX_SERVERS];
    upkeep_record_t *best;
    upkeep_mc_reply_t *r;
    int stale[UPKEEP_MAX_SERVERS] = { 0 };
    int j, mode, layer, answered = 0;
    char err[UPKEEP_ERRMSG_MAX];

    upkeep_slot_read(pl->slots[i], 0, &mode, &layer, layers, 1);
    best = &layers[UPKEEP_LAYER_CLUSTER];
    r = pl_each(pl, p, key, NULL, 0, server_ok, why, NULL);
    for (j = 0; j < pl->cc->nservers; j++) {
        if (!server_ok[j]) {
            continue;
        }
        answered++;
        stale[j] = 1;
        if (r[j].got == UPKEEP_GET_MISSING) {
            continue;   /* no news; healed below */
        }
        if (upkeep_value_decode(p, pl->cc, name, r[j].value, r[j].len,
                                &got[j], err) != APR_SUCCESS) {
            log_bad_value(pl, i, j, key, r[j].value, r[j].len, err);
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
    if (atomic_load(&pl->stopping)) {
        return answered;
    }
    report_writes(pl, i, p, server_ok, why, best->version);
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
        stale[j] = server_ok[j] && (stale[j]
                                    || upkeep_record_newer(best, &got[j]) > 0);
    }
    r = pl_each(pl, p, key, upkeep_value_encode(p, pl->cc, name, best), 0,
                stale, why, server_ok);
    for (j = 0; j < pl->cc->nservers; j++) {
        if (stale[j] && r[j].got == UPKEEP_GET_FOUND) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, pl->s, "UPK0025: "
                         "wrote version %" APR_UINT64_T_FMT " of %s back "
                         "to %s", (apr_uint64_t)best->version, key,
                         upkeep_mc_server_name(pl->mc, j));
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
    /* each server misses at most one deadline a poll */
    apr_time_t give_up = apr_time_now()
                         + apr_time_from_msec((pl->cc->nservers + 1)
                                              * pl->cc->timeout_ms + 100);

    atomic_store(&pl->stopping, 1);
    while (atomic_load(&pl->polling) && apr_time_now() < give_up) {
        apr_sleep(apr_time_from_msec(5));
    }
}

static void poll_once(upkeep_poller_t *pl, apr_pool_t *p)
{
    int tried[UPKEEP_MAX_SERVERS], server_ok[UPKEEP_MAX_SERVERS];
    const char *why[UPKEEP_MAX_SERVERS] = { NULL };
    apr_time_t t = apr_time_now();
    int64_t now = apr_time_sec(t);
    int i, j, answered = 0, any_tried = 0;
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
        /* backed off, or its worker still busy with a late operation */
        tried[j] = t >= pl->health[j].retry_at;
        any_tried |= tried[j];
        server_ok[j] = tried[j];
    }
    for (i = 0; i < upkeep_scope_count() && !atomic_load(&pl->stopping);
         i++) {
        answered += poll_scope(pl, i, p, server_ok, why);
    }
    if (atomic_load(&pl->stopping)) {
        return;
    }
    if (answered) {
        register_node(pl, p, server_ok, why);
    }
    server_health(pl, t, tried, server_ok, why);
    atomic_store(&pl->live->sync.last_try, now);
    if (answered) {
        atomic_store(&pl->live->sync.last_ok, now);
    }
    /* lost or back is decided by the servers asked: when all are backed
     * off, this poll says nothing new */
    if (any_tried && (answered == 0) != pl->lost) {
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

/* Our watchdogs (the cluster poller, the transition reporter, the
 * journal's replay) run in every child and elect one with a lock file of
 * their own, not as mod_watchdog singletons: a singleton that changes
 * hands sleeps 10 s in the child that takes it over, so a reaped idle
 * child or a killed one stopped the cluster sync that long.  Here another
 * child takes over at its next tick, and a child that stops lets go at
 * once.  The file is made by the parent for each generation (its pid in
 * the name, so instances sharing a runtime directory do not share it);
 * each child opens it itself, as flock() is shared by descriptors that
 * fork() copied. */
typedef struct {
    const char *path;
    int fd;                     /* this child's own; -1: not open */
    int leader;                 /* this child holds the lock */
    ap_watchdog_callback_fn_t *callback;
    ap_watchdog_callback_fn_t *follow;      /* the others' tick, or NULL */
    void *data;
} leader_t;

static void leader_let_go(leader_t *l)
{
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
    }
    l->leader = 0;
}

static apr_status_t leader_tick(int state, void *data, apr_pool_t *p)
{
    leader_t *l = data;
    apr_status_t rv = APR_SUCCESS;

    if (state == AP_WATCHDOG_STATE_STOPPING) {
        /* the callback stops its work first, then another may start */
        if (l->leader) {
            rv = l->callback(state, l->data, p);
        }
        leader_let_go(l);
        return rv;
    }
    if (state == AP_WATCHDOG_STATE_RUNNING && !l->leader) {
        if (l->fd < 0) {
            l->fd = open(l->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        }
        if (l->fd < 0 || flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
            return l->follow ? l->follow(state, l->data, p) : APR_SUCCESS;
        }
        l->leader = 1;
    }
    return l->callback(state, l->data, p);
}

static apr_status_t leader_file_remove(void *path)
{
    unlink(path);
    return APR_SUCCESS;
}

apr_status_t upkeep_watchdog_start(apr_pool_t *pconf, const char *name,
                                   apr_interval_time_t interval, void *data,
                                   ap_watchdog_callback_fn_t *callback,
                                   ap_watchdog_callback_fn_t *follow)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_cb =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    leader_t *l = apr_pcalloc(pconf, sizeof(*l));
    ap_watchdog_t *wd;
    apr_status_t rv;
    int fd;

    if (!get_instance || !register_cb) {
        return APR_ENOTIMPL;
    }
    l->path = ap_runtime_dir_relative(pconf, apr_psprintf(pconf,
                                      "upkeep-%s.%" APR_PID_T_FMT ".lock",
                                      name, getpid()));
    l->fd = -1;
    l->callback = callback;
    l->follow = follow;
    l->data = data;
    unlink(l->path);
    if ((fd = open(l->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC
                   | O_NOFOLLOW, 0600)) < 0) {
        return errno;
    }
    if (geteuid() == 0 && fchown(fd, ap_unixd_config.user_id,
                                 ap_unixd_config.group_id) != 0) {
        rv = errno;
        close(fd);
        unlink(l->path);
        return rv;
    }
    close(fd);
    apr_pool_cleanup_register(pconf, (void *)l->path, leader_file_remove,
                              apr_pool_cleanup_null);
    rv = get_instance(&wd, name, 0, 0, pconf);
    return rv == APR_SUCCESS ? register_cb(wd, interval, l, leader_tick) : rv;
}

/* What upkeepctl --cluster needs to reach the same memcached servers. */
apr_status_t upkeep_cluster_record(apr_pool_t *pconf, apr_pool_t *ptemp,
                                        const char *dir, server_rec *s)
{
    const char *path = apr_pstrcat(ptemp, dir, "/" UPKEEP_CLUSTER_CONF,
                                   NULL);
    upkeep_cluster_conf_t *cc = upkeep_cluster_conf(pconf, s);
    char err[UPKEEP_ERRMSG_MAX];
    apr_status_t rv;
    int kept;

    if (!cc) {
        apr_file_remove(path, ptemp);
        return APR_SUCCESS;
    }
    if (!cc->secret_len) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "UPK0020: "
                     "UpkeepMemcached without UpkeepSecretFile: cluster "
                     "values are not signed, so anyone who can write to "
                     "memcached can change the mode");
    }
    rv = upkeep_file_update(ptemp, path,
                            upkeep_cluster_conf_encode(ptemp, cc),
                            APR_FPROT_UREAD | APR_FPROT_UWRITE
                            | APR_FPROT_GREAD, &kept, err);
    if (rv != APR_SUCCESS && kept) {
        /* The poller does not need it; only upkeepctl does.  A full disk
         * must not stop httpd, but the old file names other servers, key
         * or secret: upkeepctl would publish where no node looks.  Gone
         * (an unlink needs no room), upkeepctl refuses cluster flips and
         * says why. */
        apr_file_remove(path, ptemp);
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "UPK0030: %s; the old "
                     "file, which no longer matches UpkeepMemcached, is "
                     "removed: upkeepctl refuses cluster flips until httpd "
                     "can write it (make room, then a graceful restart)",
                     err);
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0028: %s", err);
        return rv;
    }
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
    poller->interval = upkeep_sync_interval(s);
    /* a new poller reports a lost sync afresh (UPK0021) */
    atomic_store(&live->sync.failing, 0);
    atomic_store(&live->sync.failing_servers, 0);
    rv = upkeep_watchdog_start(pconf, UPKEEP_SYNC_WATCHDOG,
                               upkeep_sync_interval(s), poller, upkeep_poll,
                               NULL);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0027: cannot start "
                     "the cluster poller (is mod_watchdog loaded?)");
    }
}
