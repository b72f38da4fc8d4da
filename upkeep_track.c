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
 * of the totals.
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
} track_retained_t;

static proc_share_t *table;     /* entries of every child */
static int entries;
static proc_share_t *mine;      /* this child's entry, or NULL */
static upkeep_live_t *live;

/* A first start: nothing is in flight, whatever an earlier httpd left. */
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
         * --wait waiting, so a first start begins at zero.  (Restarts give
         * back the counts of children that exit.) */
        track_reset();
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
        }
        atomic_store(&e->pid, 0);
    }
}

