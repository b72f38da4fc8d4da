/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_track.c: writes in flight and held writes, counted so that a
 * process that dies cannot leave them behind.
 *
 * The totals live in the live file's slots (upkeepctl --wait and the
 * status page read them).  Each child also keeps its own share in a table
 * in anonymous shared memory that outlives restarts (retained data); when
 * the parent learns that a child exited (child_status hook: crashes,
 * kill -9, hard restarts included), it takes that child's share back out
 * of the totals.  Each httpd instance on the state directory keeps its
 * share in the live file too (upkeep_instance_t): a new instance takes
 * back the shares of instances that are gone, and only theirs.
 */

#include <string.h>
#include <unistd.h>

#include "apr_shm.h"
#include "ap_mpm.h"

#include "upkeep_private.h"

typedef struct {
    _Atomic pid_t   pid;                        /* 0: free */
    _Atomic int32_t share[UPKEEP_TRACK_COUNT][UPKEEP_MAX_SCOPES];
} proc_share_t;

typedef struct {
    apr_shm_t *shm;
    int entries;
    int instance;               /* index in live->instances; -1: none */
} track_retained_t;

static proc_share_t *table;     /* entries of every child */
static int entries;
static proc_share_t *mine;      /* this child's entry, or NULL */
static upkeep_live_t *live;

/* This instance's share in the live file, or NULL (no room: counted in
 * the totals only). */
static upkeep_instance_t *instance;

/* Takes an instance's share back out of the totals (it is gone). */
static void instance_release(upkeep_instance_t *in)
{
    int idx;

    for (idx = 0; idx < UPKEEP_MAX_SCOPES; idx++) {
        int64_t n = atomic_exchange(&in->inflight[idx], 0);
        int64_t h = atomic_exchange(&in->held[idx], 0);

        atomic_fetch_sub(&live->slots[idx].inflight_writes, n);
        atomic_fetch_sub(&live->slots[idx].held_now, h);
        atomic_fetch_sub(&live->held_total, h);
    }
    atomic_store(&in->parent, 0);
}

static int parent_alive(int64_t pid)
{
    return pid != getpid() && upkeep_pid_alive(pid);
}

/* A new parent (under the state lock): the shares of instances that are
 * gone (killed, or a reboot) come out of the totals; a running one keeps
 * what it counts.  Then this one takes an entry of its own. */
static void instance_claim(server_rec *s)
{
    int i;

    instance = NULL;
    for (i = 0; i < UPKEEP_MAX_INSTANCES; i++) {
        upkeep_instance_t *in = &live->instances[i];

        if (atomic_load(&in->parent) && !parent_alive(atomic_load(&in->parent))) {
            instance_release(in);
        }
    }
    for (i = 0; i < UPKEEP_MAX_INSTANCES; i++) {
        if (!atomic_load(&live->instances[i].parent)) {
            instance = &live->instances[i];
            atomic_store(&instance->parent, (int64_t)getpid());
            return;
        }
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "UPK0018: more than %d "
                 "httpd instances share this state directory: this one's "
                 "writes are counted, but not taken back if it dies",
                 UPKEEP_MAX_INSTANCES);
}

/* Whether another running instance shares the live file. */
static int others_running(void)
{
    int i;

    for (i = 0; i < UPKEEP_MAX_INSTANCES; i++) {
        upkeep_instance_t *in = &live->instances[i];

        if (in != instance && atomic_load(&in->parent)) {
            return 1;
        }
    }
    return 0;
}

/* Alone on the state directory, a new parent starts from zero: counts
 * left by anything else (orphaned children of a killed parent included)
 * would keep --wait waiting.  With other instances running, only the
 * shares of the dead ones were taken back (instance_claim). */
static void track_reset(void)
{
    int idx;

    for (idx = 0; idx < UPKEEP_MAX_SCOPES; idx++) {
        atomic_store(&live->slots[idx].inflight_writes, 0);
        atomic_store(&live->slots[idx].held_now, 0);
    }
    atomic_store(&live->held_total, 0);
}

void upkeep_track_init(server_rec *s, upkeep_live_t *l)
{
    track_retained_t *rt = ap_retained_data_get("upkeep_track");
    int daemons = 0;

    live = l;
    if (!rt) {
        /* old and new children overlap during a graceful restart */
        ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &daemons);
        rt = ap_retained_data_create("upkeep_track", sizeof(*rt));
        rt->entries = (daemons > 0 ? daemons : 16) * 2;
        if (apr_shm_create(&rt->shm, sizeof(proc_share_t) * rt->entries,
                           NULL, s->process->pool) != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "UPK0013: no "
                         "shared memory for per-process counts: a child "
                         "that dies mid-write leaves it counted");
            rt->shm = NULL;
        }
        else {
            memset(apr_shm_baseaddr_get(rt->shm), 0,
                   sizeof(proc_share_t) * rt->entries);
        }
        /* A new parent: counts left by an httpd that was killed would keep
         * --wait waiting; those of another running instance are its own.
         * (Restarts give back the counts of children that exit.) */
        instance_claim(s);
        if (!others_running()) {
            track_reset();
        }
        rt->instance = instance ? (int)(instance - live->instances) : -1;
    }
    else if (rt->instance >= 0) {
        instance = &live->instances[rt->instance];
        if (atomic_load(&instance->parent) != (int64_t)getpid()) {
            /* the live file was rebuilt: a new entry */
            instance_claim(s);
            rt->instance = instance ? (int)(instance - live->instances) : -1;
        }
    }
    table = rt->shm ? apr_shm_baseaddr_get(rt->shm) : NULL;
    entries = table ? rt->entries : 0;
}

void upkeep_track_child_init(void)
{
    pid_t me = getpid();
    int i;

    mine = NULL;
    for (i = 0; i < entries; i++) {
        pid_t free_pid = 0;

        if (atomic_compare_exchange_strong(&table[i].pid, &free_pid, me)) {
            mine = &table[i];
            return;
        }
    }
}

void upkeep_track(upkeep_slot_t *slot, int what, int delta)
{
    int idx = (int)(slot - live->slots);

    if (what == UPKEEP_TRACK_INFLIGHT) {
        atomic_fetch_add(&slot->inflight_writes, delta);
    }
    else {
        atomic_fetch_add(&slot->held_now, delta);
        atomic_fetch_add(&live->held_total, delta);
    }
    if (mine) {
        atomic_fetch_add(&mine->share[what][idx], delta);
    }
    if (instance) {
        atomic_fetch_add(what == UPKEEP_TRACK_INFLIGHT
                         ? &instance->inflight[idx] : &instance->held[idx],
                         delta);
    }
}

/* In the parent: a child is gone; whatever it still counted is gone too. */
void upkeep_track_child_exited(pid_t pid)
{
    int i, idx;

    for (i = 0; i < entries && live; i++) {
        proc_share_t *e = &table[i];

        if (atomic_load(&e->pid) != pid) {
            continue;
        }
        for (idx = 0; idx < UPKEEP_MAX_SCOPES; idx++) {
            int32_t n = atomic_exchange(&e->share[UPKEEP_TRACK_INFLIGHT][idx],
                                        0);
            int32_t h = atomic_exchange(&e->share[UPKEEP_TRACK_HELD][idx], 0);

            atomic_fetch_sub(&live->slots[idx].inflight_writes, n);
            atomic_fetch_sub(&live->slots[idx].held_now, h);
            atomic_fetch_sub(&live->held_total, h);
            if (instance) {
                atomic_fetch_sub(&instance->inflight[idx], n);
                atomic_fetch_sub(&instance->held[idx], h);
            }
        }
        atomic_store(&e->pid, 0);
    }
}

