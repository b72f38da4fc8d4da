/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_release.c: paced release of held writes (UpkeepHoldRelease N).
 *
 * When a hold ends, its writes go on in arrival order, at most N of a
 * scope at once on this node, so the database that was just changed is
 * not hit by every held write in the same millisecond.  Across processes,
 * in the scope's slot: a held write takes a ticket; the turn moves from
 * ticket to ticket; a write whose turn it is takes one of N run places
 * and passes the turn on; a write that leaves without its turn (it timed
 * out, was refused, or waited too long for its turn) marks its ticket,
 * and a ticket whose holder died is skipped as well, so nothing that
 * happens to one write can stop the others for long.
 */

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "upkeep_private.h"

/* How often a waiting write looks for a dead holder ahead of it, and how
 * long a turn may rest on a ticket whose holder never wrote its pid (it
 * died in between) before the next write takes it. */
#define RELEASE_RECHECK apr_time_from_msec(50)
#define RELEASE_STALL apr_time_from_sec(1)

/* Tickets waiting at most: half the ring, so an entry is cleared (its
 * turn long passed) well before a new ticket reuses it. */
#define RELEASE_WAITING (UPKEEP_RELEASE_RING / 2)

static int alive(int32_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static void wake(upkeep_slot_t *slot)
{
    atomic_fetch_add(&slot->release_wake, 1);
    upkeep_seq_wake(&slot->release_wake);
}

static _Atomic int32_t *queue_entry(upkeep_slot_t *slot, uint32_t t)
{
    return &slot->release_queue[t % UPKEEP_RELEASE_RING];
}

/* Ticket t has had its turn (run, or left): the next one's comes.  The
 * turn moves first, so a death in between leaves no turn resting on a
 * cleared entry; then the entry is cleared for its next ticket. */
static void pass_turn(upkeep_slot_t *slot, uint32_t t)
{
    uint32_t expected = t;

    atomic_compare_exchange_strong(&slot->release_turn, &expected, t + 1);
    atomic_store(queue_entry(slot, t), 0);
    wake(slot);
}

void upkeep_release_reset(upkeep_slot_t *slot)
{
    int i;

    atomic_store(&slot->release_turn, atomic_load(&slot->release_ticket));
    for (i = 0; i < UPKEEP_RELEASE_RING; i++) {
        atomic_store(&slot->release_queue[i], 0);
    }
    for (i = 0; i < UPKEEP_RELEASE_MAX; i++) {
        atomic_store(&slot->release_run[i], 0);
    }
}

int upkeep_release_ticket(upkeep_slot_t *slot, uint32_t *ticket)
{
    uint32_t t;

    do {
        /* the turn read after the ticket: never behind it */
        t = atomic_load(&slot->release_ticket);
        if ((int32_t)(t - atomic_load(&slot->release_turn))
            >= RELEASE_WAITING) {
            return 0;       /* too many waiting already: not paced */
        }
    } while (!atomic_compare_exchange_weak(&slot->release_ticket, &t, t + 1));
    atomic_store(queue_entry(slot, t), (int32_t)getpid());
    *ticket = t;
    return 1;
}

void upkeep_release_leave(upkeep_slot_t *slot, uint32_t t)
{
    _Atomic int32_t *e = queue_entry(slot, t);
    int32_t mine = (int32_t)getpid();

    if (atomic_load(&slot->release_turn) == t) {
        pass_turn(slot, t);
        return;
    }
    /* the write whose turn comes skips it (and the turn may have come
     * meanwhile: then pass it on here) */
    if (atomic_compare_exchange_strong(e, &mine, UPKEEP_RELEASE_LEFT)
        && atomic_load(&slot->release_turn) == t) {
        int32_t left = UPKEEP_RELEASE_LEFT;

        if (atomic_compare_exchange_strong(e, &left, 0)) {
            pass_turn(slot, t);
        }
    }
    wake(slot);
}

/* One of the first `limit` run places, free or held by a dead process. */
static int take_run_place(upkeep_slot_t *slot, int limit)
{
    int32_t me = (int32_t)getpid();
    int k;

    for (k = 0; k < limit; k++) {
        int32_t v = atomic_load(&slot->release_run[k]);

        if ((v == 0 || !alive(v))
            && atomic_compare_exchange_strong(&slot->release_run[k], &v,
                                              me)) {
            return k;
        }
    }
    return -1;
}

int upkeep_release_wait(upkeep_slot_t *slot, uint32_t t, int limit,
                        apr_time_t deadline, const volatile int *stop)
{
    uint32_t resting = t;           /* a turn seen on an unwritten entry */
    apr_time_t since = 0;

    if (limit > UPKEEP_RELEASE_MAX) {
        limit = UPKEEP_RELEASE_MAX;
    }
    for (;;) {
        uint32_t seen = atomic_load(&slot->release_wake);
        uint32_t turn = atomic_load(&slot->release_turn);
        apr_time_t now = apr_time_now();
        apr_interval_time_t wait = deadline - now;

        if (turn == t || (int32_t)(turn - t) > 0) {
            /* its turn (or past it, which only a lost update could do) */
            int k = take_run_place(slot, limit);

            if (k >= 0) {
                if (turn == t) {
                    pass_turn(slot, t);
                }
                return k;
            }
        }
        else {
            /* an earlier ticket: skip it if its holder left or died */
            _Atomic int32_t *e = queue_entry(slot, turn);
            int32_t h = atomic_load(e);

            int gone = h == UPKEEP_RELEASE_LEFT || (h > 0 && !alive(h));

            /* 0: its holder is between taking the ticket and writing its
             * pid, or died there: wait a moment, then take it */
            if (h == 0) {
                if (resting != turn) {
                    resting = turn;
                    since = now;
                }
                gone = now - since > RELEASE_STALL;
            }
            if (gone) {
                uint32_t expected = turn;

                if (atomic_compare_exchange_strong(&slot->release_turn,
                                                   &expected, turn + 1)) {
                    atomic_compare_exchange_strong(e, &h, 0);
                }
                wake(slot);
                continue;
            }
        }
        if (wait <= 0 || (stop && *stop)) {
            upkeep_release_leave(slot, t);
            return -1;
        }
        upkeep_seq_wait(&slot->release_wake, seen,
                        wait < RELEASE_RECHECK ? wait : RELEASE_RECHECK);
    }
}

void upkeep_release_done(upkeep_slot_t *slot, int place)
{
    atomic_store(&slot->release_run[place], 0);
    wake(slot);
}
