/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_state.h: the one place that knows mod_upkeep's state.
 *
 * Shared by the module and upkeepctl; APR only (never httpd.h).
 *
 * Two representations, one record:
 *  - the durable file STATE_DIR/<scope>.state, a small strict text format
 *    written temp -> fsync -> rename, which is the truth across restarts;
 *  - the live file STATE_DIR/upkeep.live, a fixed-layout array of slots
 *    that httpd maps MAP_SHARED before forking and upkeepctl maps to
 *    publish a flip.  Every worker reads it lock-free through a seqlock,
 *    so a flip is visible as soon as upkeepctl's store lands.
 * Writers (upkeepctl, the httpd parent at start-up) serialise on an
 * fcntl lock on STATE_DIR/upkeep.lock.
 */

#ifndef UPKEEP_STATE_H
#define UPKEEP_STATE_H

#include <stdatomic.h>
#include <stdint.h>

#include "apr.h"
#include "apr_errno.h"
#include "apr_file_io.h"
#include "apr_mmap.h"
#include "apr_network_io.h"
#include "apr_pools.h"
#include "apr_time.h"

/* The build may set UPKEEP_STATE_DIR_PATH (bare, unquoted: it passes
 * through apxs and libtool, which eat quotes). */
#define UPKEEP_STRINGIFY_(x) #x
#define UPKEEP_STRINGIFY(x) UPKEEP_STRINGIFY_(x)
#ifdef UPKEEP_STATE_DIR_PATH
#define UPKEEP_DEFAULT_STATE_DIR UPKEEP_STRINGIFY(UPKEEP_STATE_DIR_PATH)
#else
#define UPKEEP_DEFAULT_STATE_DIR "/var/lib/apache2/upkeep"
#endif

#define UPKEEP_STATE_DIR_ENV     "UPKEEP_STATE_DIR"
#define UPKEEP_DEFAULT_SCOPE     "default"

#define UPKEEP_MAX_SCOPES        64
#define UPKEEP_SCOPE_NAME_MAX    64     /* bytes, including the NUL */
#define UPKEEP_REASON_MAX        512    /* bytes, including the NUL */
#define UPKEEP_WHO_MAX           128    /* bytes, including the NUL */
#define UPKEEP_SIGNATURE_MAX     72     /* 64 hex digits and the NUL */

#define UPKEEP_RETRY_AFTER_MAX   86400  /* seconds */
#define UPKEEP_FOR_MAX           (30 * 86400) /* longest --for, seconds */
#define UPKEEP_AT_MAX            (366 * 86400) /* furthest --at, seconds */
#define UPKEEP_HOLD_MAX_MS       (5 * 60 * 1000) /* longest hold --max */

#define UPKEEP_LIVE_FILE         "upkeep.live"
#define UPKEEP_LOCK_FILE         "upkeep.lock"
#define UPKEEP_STATE_SUFFIX      ".state"

#define UPKEEP_CLUSTER_CONF      "cluster.conf"
#define UPKEEP_CLUSTER_SUFFIX    ".cluster"
#define UPKEEP_DRAIN_FILE        "drain"
/* Written by httpd at startup for `upkeepctl bypass-url` (staff bypass):
 *     scopes NAME...        every scope httpd's configuration names
 *     url SCOPE URL         one per virtual host with UpkeepBypassSecret
 *                           and scope, the token included */
#define UPKEEP_BYPASS_CONF       "bypass.conf"

/* Bump UPKEEP_LIVE_FORMAT whenever upkeep_live_t or upkeep_record_t
 * changes: httpd then replaces an old live file instead of misreading it.
 * UPKEEP_TEXT_FORMAT versions the text of state files and cluster values,
 * which outlive upgrades. */
#define UPKEEP_LIVE_MAGIC        0x55504b50u   /* "UPKP" */
#define UPKEEP_LIVE_FORMAT       8
#define UPKEEP_TEXT_FORMAT       1

/* Paced release: tickets a scope may have waiting at once (beyond, a held
 * write is released unpaced), and the largest UpkeepHoldRelease N. */
#define UPKEEP_RELEASE_RING      256
#define UPKEEP_RELEASE_MAX       32
#define UPKEEP_RELEASE_LEFT      (-1)

/* Ordered by strictness: when layers combine, the larger value wins.
 * hold: writes wait inside httpd (a schema change of a few hundred ms). */
typedef enum {
    UPKEEP_MODE_NORMAL = 0,
    UPKEEP_MODE_HOLD = 1,
    UPKEEP_MODE_READONLY = 2,
    UPKEEP_MODE_MAINTENANCE = 3,
    UPKEEP_MODE_COUNT
} upkeep_mode_e;

/* What happened to requests, per scope and mode in force (status page,
 * metrics). */
typedef enum {
    UPKEEP_COUNT_REFUSED = 0,   /* got a 503 (or the read-only status) */
    UPKEEP_COUNT_HELD,          /* a write started waiting in hold */
    UPKEEP_COUNT_RELEASED,      /* a held write went on after the hold */
    UPKEEP_COUNT_TIMED_OUT,     /* a held write waited out its max */
    UPKEEP_COUNT_BYPASSED,      /* a staff bypass cookie let it through */
    UPKEEP_COUNT_EXEMPTED,      /* an exemption let it through */
    UPKEEP_COUNTER_COUNT
} upkeep_counter_e;

typedef struct {
    int32_t  mode;          /* upkeep_mode_e */
    int32_t  retry_after;   /* seconds; 0: use the configured default */
    int64_t  since;         /* unix seconds of the change */
    int64_t  until;         /* unix seconds the mode ends; 0: never */
    /* unix seconds a scheduled window begins; 0: at once.  Before then
     * the layer is normal and the window is "pending". */
    int64_t  starts;
    uint64_t version;       /* +1 on every change of this scope */
    int32_t  hold_max_ms;   /* hold: longest wait; 0: the configured one */
    int32_t  pad;
    char     changed_by[UPKEEP_WHO_MAX];
    char     reason[UPKEEP_REASON_MAX];
    /* cluster layer: the value's HMAC (hex) when it was signed; the poller
     * writes a record back to memcached only if this is its own secret's
     * signature, so a record applied with another secret stays local */
    char     signature[UPKEEP_SIGNATURE_MAX];
} upkeep_record_t;

/* Each scope has two layers: the local one (plain upkeepctl on this node)
 * and the cluster one (from memcached, or upkeepctl --cluster).  The mode
 * in force is the stricter of the two. */
typedef enum {
    UPKEEP_LAYER_LOCAL = 0,
    UPKEEP_LAYER_CLUSTER = 1,
    UPKEEP_LAYER_COUNT
} upkeep_layer_e;

/* upkeep_slot_t.active: a layer is not normal (set and cleared by every
 * publish); the scope's journal holds writes not yet replayed (set by
 * the append that writes one, cleared by the replay once it has sent
 * them all: new writes under UpkeepJournal prefixes are journaled
 * meanwhile, so none overtakes them). */
#define UPKEEP_ACTIVE_MODE    1u
#define UPKEEP_ACTIVE_JOURNAL 2u

typedef struct {
    _Atomic uint32_t seq;       /* seqlock: odd while a writer is inside */
    _Atomic uint32_t in_use;    /* set once name is written, never unset */
    /* 0 while both layers are normal and no journaled write waits for its
     * replay: one load answers the request path's usual question without
     * the seqlock (bits UPKEEP_ACTIVE_*) */
    _Atomic uint32_t active;
    uint32_t         pad;
    char             name[UPKEEP_SCOPE_NAME_MAX];
    upkeep_record_t  layer[UPKEEP_LAYER_COUNT];
    /* counters: lock-free, outside the seqlock */
    _Atomic int64_t  inflight_writes;   /* unsafe requests running now */
    _Atomic int64_t  held_now;          /* writes waiting in hold now */
    /* Paced release of held writes (UpkeepHoldRelease N): each held write
     * takes a ticket in arrival order; once released it runs when its
     * ticket's turn has come and fewer than N released writes run. */
    _Atomic uint32_t release_ticket;    /* the next ticket */
    _Atomic uint32_t release_turn;      /* the ticket whose turn it is */
    _Atomic uint32_t release_wake;      /* bumped (futex) when it moves */
    uint32_t         release_pad;
    /* the pid holding ticket t at [t % RING]; UPKEEP_RELEASE_LEFT: it left
     * without its turn; 0: passed, or not written yet */
    _Atomic int32_t  release_queue[UPKEEP_RELEASE_RING];
    _Atomic int32_t  release_run[UPKEEP_RELEASE_MAX];   /* pids; 0: free */
    _Atomic uint64_t count[UPKEEP_COUNTER_COUNT][UPKEEP_MODE_COUNT];
} upkeep_slot_t;

/* Health of the cluster sync, written by the poller. */
typedef struct {
    _Atomic int64_t  last_ok;       /* unix seconds of the last good poll */
    _Atomic int64_t  last_try;      /* unix seconds of the last poll */
    _Atomic uint32_t failing;       /* 1 while no server answers */
    /* bit i: server i of UpkeepMemcached fails (skipped, tried again with
     * backoff); takes the place of padding: same layout */
    _Atomic uint32_t failing_servers;
} upkeep_sync_t;

/* Drain: node-local, never cluster-wide.  STATE_DIR/drain persists it. */
typedef struct {
    _Atomic uint32_t drained;       /* health check answers 503 */
    uint32_t         pad;
    _Atomic int64_t  since;
} upkeep_drain_t;

/* Several httpd instances may share a state directory.  What each one
 * counts in the slots (writes in flight, held) is also kept here under its
 * parent's pid, so that an instance that starts takes back only what
 * instances that died had left, never what a running one counts. */
#define UPKEEP_MAX_INSTANCES 8
typedef struct {
    _Atomic int64_t parent;         /* its parent's pid; 0: free */
    _Atomic int64_t inflight[UPKEEP_MAX_SCOPES];
    _Atomic int64_t held[UPKEEP_MAX_SCOPES];
} upkeep_instance_t;

typedef struct {
    uint32_t      magic;
    uint32_t      format;
    uint32_t      slot_count;
    uint32_t      slot_size;
    upkeep_sync_t sync;
    upkeep_drain_t drain;
    _Atomic int64_t held_total;     /* writes waiting in hold, all scopes */
    upkeep_slot_t slots[UPKEEP_MAX_SCOPES];
    upkeep_instance_t instances[UPKEEP_MAX_INSTANCES];
} upkeep_live_t;

/* A mapped live file. */
typedef struct {
    apr_file_t    *file;
    apr_mmap_t    *mm;
    upkeep_live_t *live;
} upkeep_live_map_t;

/* Error text is written here by the functions that can fail on outside
 * data, so both callers can name the problem exactly. */
#define UPKEEP_ERRMSG_MAX 256

/* --- names and values ------------------------------------------------ */

/* Indexed by upkeep_mode_e; the pointers are stable, so callers may
 * compare names by address. */
extern const char *const upkeep_mode_names[UPKEEP_MODE_COUNT];

static inline const char *upkeep_mode_name(int mode)
{
    return (mode >= 0 && mode < UPKEEP_MODE_COUNT) ? upkeep_mode_names[mode]
                                                   : "invalid";
}
/* Returns UPKEEP_MODE_COUNT for an unknown name. */
int upkeep_mode_from_name(const char *name);

/* NULL when valid, else why not ([A-Za-z0-9_.-], 1..63 bytes). */
const char *upkeep_check_scope_name(const char *name);
/* The length (1 to 4) of the UTF-8 sequence at c and its code point in
 * *cp, or 0 when none starts there (overlong forms, surrogates and values
 * past U+10FFFF included).  Stops at a NUL, which no sequence holds. */
int upkeep_utf8_decode(const unsigned char *c, uint32_t *cp);
/* FNV-1a, 32 bits: tells things apart, nothing more (no secret). */
uint32_t upkeep_fnv1a(const void *data, apr_size_t len);
/* This machine's name as the system gives it ("localhost" when it gives
 * none): what the status page, the JSON and upkeepctl call this node. */
const char *upkeep_host_name(apr_pool_t *p);

/* NULL when valid: at most UPKEEP_REASON_MAX-1 bytes of UTF-8 without
 * control characters (the reason goes into headers, JSON and HTML). */
const char *upkeep_check_reason(const char *reason);

/* "90", "90s", "250ms", "15m", "2h", "1d" -> microseconds.  A bare number
 * is in seconds.  NULL on success, else why the text is not a duration. */
const char *upkeep_parse_duration(const char *text, apr_interval_time_t *out);

/* "2026-11-22T10:30:00Z"; "" for 0. */
const char *upkeep_iso_time(apr_pool_t *p, int64_t t);
/* A JSON string literal (quotes included). */
const char *upkeep_json_str(apr_pool_t *p, const char *s);
/* An ISO time as a JSON string, or null for 0. */
const char *upkeep_json_time(apr_pool_t *p, int64_t t);

/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.7" -> a subnet in p.  NULL on
 * success, else why the text is not an address or CIDR block. */
const char *upkeep_parse_cidr(apr_pool_t *p, const char *text,
                              apr_ipsubnet_t **out);

/* The mode of one layer at unix second `now`: normal before a scheduled
 * window starts and once its end has passed.  Every node decides this by
 * its own clock (README, "Scheduled windows"). */
static inline int upkeep_mode_at(const upkeep_record_t *rec, int64_t now)
{
    if (rec->mode != UPKEEP_MODE_NORMAL
        && ((rec->until != 0 && now >= rec->until)
            || (rec->starts != 0 && now < rec->starts))) {
        return UPKEEP_MODE_NORMAL;
    }
    return rec->mode;
}

/* A scheduled window that has not started yet. */
static inline int upkeep_window_pending(const upkeep_record_t *rec,
                                        int64_t now)
{
    return rec->mode != UPKEEP_MODE_NORMAL && rec->starts != 0
           && now < rec->starts;
}

/* "2026-11-22T10:30:00Z", "2026-11-22T11:30+01:00" or "+30m" (from now)
 * -> unix seconds.  NULL on success, else why the text is not a time. */
const char *upkeep_parse_time(const char *text, int64_t now, int64_t *out);

/* Indexed by upkeep_layer_e. */
extern const char *const upkeep_layer_names[UPKEEP_LAYER_COUNT];

/* Whether name ends in suffix (and is more than it); *stem, when given,
 * gets the length before the suffix. */
int upkeep_has_suffix(const char *name, const char *suffix, apr_size_t *stem);

/* The layer in force: the stricter mode; on a tie the local layer, whose
 * reason was written on this node. */
static inline int upkeep_layer_in_force(const upkeep_record_t *layers,
                                        int64_t now)
{
    return upkeep_mode_at(&layers[UPKEEP_LAYER_CLUSTER], now)
           > upkeep_mode_at(&layers[UPKEEP_LAYER_LOCAL], now)
           ? UPKEEP_LAYER_CLUSTER : UPKEEP_LAYER_LOCAL;
}

/* Which of two versions of one scope's cluster record wins: the higher
 * version; equal versions from concurrent writers are ordered by content,
 * so every node picks the same one.  > 0 if a wins. */
int upkeep_record_newer(const upkeep_record_t *a, const upkeep_record_t *b);

/* --- durable text file ---------------------------------------------- */

/* Renders rec as the durable text format. */
const char *upkeep_record_encode(apr_pool_t *p, const char *scope,
                                 const upkeep_record_t *rec);
/* Strictly parses the durable text format; on failure returns an error
 * status and fills errbuf with the problem (line number included). */
apr_status_t upkeep_record_decode(const char *text, apr_size_t len,
                                  const char *scope, upkeep_record_t *rec,
                                  char *errbuf);

/* STATE_DIR/SCOPE.state (local layer) or STATE_DIR/SCOPE.cluster. */
const char *upkeep_state_path(apr_pool_t *p, const char *dir,
                              const char *scope, int layer);
/* APR_ENOENT when the scope has no file (it is then normal, version 0). */
apr_status_t upkeep_state_load(apr_pool_t *p, const char *dir,
                               const char *scope, int layer,
                               upkeep_record_t *rec, char *errbuf);
/* temp -> fsync -> rename -> fsync(dir); the file gets mode `perms`. */
apr_status_t upkeep_state_save(apr_pool_t *p, const char *dir,
                               const char *scope, int layer,
                               const upkeep_record_t *rec,
                               apr_fileperms_t perms, char *errbuf);
/* The one reader of every file httpd reads as root (state files,
 * cluster.conf, UpkeepPage and UpkeepBanner templates, secrets) and of
 * what upkeepctl reads: a regular file of at most `max` bytes, read whole
 * into `*text` (NUL-terminated, `*len` bytes).  A symbolic link as the
 * last component is not followed and a FIFO or device is never read (nor
 * waited on): APR_EINVAL.  APR_ENOSPC when the file is larger, else
 * open/read errors as they come (ENOENT, EACCES, ...).  On failure errbuf
 * says why, naming the path, never quoting the file. */
apr_status_t upkeep_file_read_all(apr_pool_t *p, const char *path,
                                  apr_off_t max, char **text,
                                  apr_size_t *len, char *errbuf);
/* Whether process `pid` runs (EPERM counts: it runs as another user; a
 * zombie does not). */
int upkeep_pid_alive(int64_t pid);
/* Writes `text` to `path` only when it differs from what is there (a
 * file httpd rewrites at every start).  When the write fails, *kept says
 * whether the old file is still there, whole and readable. */
apr_status_t upkeep_file_update(apr_pool_t *p, const char *path,
                                const char *text, apr_fileperms_t perms,
                                int *kept, char *errbuf);
/* Writes `text` to `path` the same atomic way. */
apr_status_t upkeep_file_replace(apr_pool_t *p, const char *path,
                                 const char *text, apr_fileperms_t perms,
                                 char *errbuf);

/* --- writer lock ----------------------------------------------------- */

/* Blocks until this process holds the state directory's writer lock;
 * released with the returned file (apr_file_close) or the pool. */
apr_status_t upkeep_lock_acquire(apr_pool_t *p, const char *dir,
                                 apr_file_t **lockfile, char *errbuf);

/* --- live file ------------------------------------------------------- */

/* Maps an existing live file that matches this format.  APR_ENOENT if
 * there is none, APR_EINVAL if it has another layout. */
apr_status_t upkeep_live_attach(apr_pool_t *p, const char *dir,
                                upkeep_live_map_t *map, char *errbuf);
/* Maps the live file, creating (or replacing an incompatible) one.
 * Call with the writer lock held. */
apr_status_t upkeep_live_create(apr_pool_t *p, const char *dir,
                                apr_fileperms_t perms,
                                upkeep_live_map_t *map, char *errbuf);
/* The slot of `scope`, or NULL.  With allocate, a free slot is claimed
 * (writer lock held); NULL then means every slot is taken. */
upkeep_slot_t *upkeep_live_slot(upkeep_live_t *live, const char *scope,
                                int allocate);

/* Held writes sleep on a slot's seq; every publish wakes them (futex on
 * the shared mapping, so across processes).  Elsewhere they poll. */
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

static inline void upkeep_seq_wake(_Atomic uint32_t *seq)
{
    syscall(SYS_futex, (uint32_t *)seq, FUTEX_WAKE, INT32_MAX, NULL, NULL,
            0);
}

/* Sleeps while *seq == seen, at most usec. */
static inline void upkeep_seq_wait(_Atomic uint32_t *seq, uint32_t seen,
                                   int64_t usec)
{
    struct timespec ts;

    ts.tv_sec = usec / 1000000;
    ts.tv_nsec = (long)(usec % 1000000) * 1000;
    syscall(SYS_futex, (uint32_t *)seq, FUTEX_WAIT, seen, &ts, NULL, 0);
}
#else
static inline void upkeep_seq_wake(_Atomic uint32_t *seq)
{
    (void)seq;
}

static inline void upkeep_seq_wait(_Atomic uint32_t *seq, uint32_t seen,
                                   int64_t usec)
{
    (void)seq;
    (void)seen;
    apr_sleep(usec < 5000 ? usec : 5000);
}
#endif

/* How long a reader (or a second writer) waits on an odd seq before it
 * decides the writer died inside the few stores below.  By the clock, not
 * by a spin count: a live writer can be descheduled, or stopped, for a
 * while.  Readers check the clock every UPKEEP_SEQLOCK_CHECK spins. */
#define UPKEEP_SEQLOCK_READER_WAIT apr_time_from_msec(200)
#define UPKEEP_SEQLOCK_WRITER_WAIT apr_time_from_sec(2)
#define UPKEEP_SEQLOCK_CHECK       256

/* While seq is odd: 0 to keep waiting, 1 once `wait` has passed since the
 * first call (*start holds that time; 0 before). */
static inline int upkeep_seq_gave_up(int spins, apr_time_t *start,
                                     apr_interval_time_t wait)
{
    if (spins % UPKEEP_SEQLOCK_CHECK != UPKEEP_SEQLOCK_CHECK - 1) {
        return 0;
    }
    if (!*start) {
        *start = apr_time_now();
        return 0;
    }
    apr_sleep(1000);    /* the writer is slow: stop burning its CPU */
    return apr_time_now() - *start > wait;
}

/* Seqlock writer of one layer.  Writers (upkeepctl, the cluster poller)
 * exclude each other by moving seq from even to odd with a CAS. */
static inline void upkeep_slot_publish(upkeep_slot_t *slot, int layer,
                                       const upkeep_record_t *rec)
{
    uint32_t seq, odd;
    apr_time_t start = 0;
    int spins, dead = 0;

    for (spins = 0; ; spins++) {
        seq = atomic_load_explicit(&slot->seq, memory_order_relaxed);
        if ((seq & 1) && !dead) {
            dead = upkeep_seq_gave_up(spins, &start,
                                      UPKEEP_SEQLOCK_WRITER_WAIT);
            continue;
        }
        odd = (seq & 1) ? seq + 2 : seq + 1;
        if (atomic_compare_exchange_weak_explicit(&slot->seq, &seq, odd,
                                                  memory_order_acquire,
                                                  memory_order_relaxed)) {
            break;
        }
    }
    atomic_thread_fence(memory_order_release);
    slot->layer[layer] = *rec;
    if (slot->layer[0].mode != UPKEEP_MODE_NORMAL
        || slot->layer[1].mode != UPKEEP_MODE_NORMAL) {
        atomic_fetch_or_explicit(&slot->active, UPKEEP_ACTIVE_MODE,
                                 memory_order_relaxed);
    }
    else {
        atomic_fetch_and_explicit(&slot->active, ~UPKEEP_ACTIVE_MODE,
                                  memory_order_relaxed);
    }
    atomic_store_explicit(&slot->seq, odd + 1, memory_order_release);
    upkeep_seq_wake(&slot->seq);
}

/* The request path's first question, in one load: both layers normal,
 * and no journaled write waiting? */
static inline int upkeep_slot_quiet(const upkeep_slot_t *slot)
{
    return !atomic_load_explicit(&slot->active, memory_order_acquire);
}

/* A record copied out of the live file, which only httpd and upkeepctl
 * write but a corrupt one could fill with anything: its strings end inside
 * their fields, and a mode out of range fails closed. */
static inline void upkeep_record_sanitize(upkeep_record_t *rec)
{
    rec->reason[UPKEEP_REASON_MAX - 1] = '\0';
    rec->changed_by[UPKEEP_WHO_MAX - 1] = '\0';
    if ((uint32_t)rec->mode >= UPKEEP_MODE_COUNT) {
        rec->mode = UPKEEP_MODE_MAINTENANCE;
    }
}

/* Seqlock reader: the mode in force at `now` and the layer it comes from.
 * That layer's record is copied into *out when the mode is not normal;
 * with `all` set, both layers are copied into out[0..1] (status, the
 * poller).  The request path thus copies nothing in normal mode.
 * Returns 0 for a consistent snapshot, -1 if it gave up waiting for a dead
 * writer.  Either way the modes are validated and the strings of what it
 * copies terminated (upkeep_record_sanitize). */
static inline int upkeep_slot_read(const upkeep_slot_t *slot, int64_t now,
                                   int *mode, int *layer,
                                   upkeep_record_t *out, int all)
{
    upkeep_record_t peek[UPKEEP_LAYER_COUNT];
    apr_time_t start = 0;
    int spins, l;

    for (spins = 0; ; spins++) {
        uint32_t s1 = atomic_load_explicit(&slot->seq, memory_order_acquire);

        if (s1 & 1) {
            if (upkeep_seq_gave_up(spins, &start,
                                   UPKEEP_SEQLOCK_READER_WAIT)) {
                break;
            }
            continue;
        }
        for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
            peek[l].mode = slot->layer[l].mode;
            peek[l].until = slot->layer[l].until;
            peek[l].starts = slot->layer[l].starts;
            if ((uint32_t)peek[l].mode >= UPKEEP_MODE_COUNT) {
                peek[l].mode = UPKEEP_MODE_MAINTENANCE;  /* fail closed */
            }
        }
        l = upkeep_layer_in_force(peek, now);
        if (all) {
            out[0] = slot->layer[0];
            out[1] = slot->layer[1];
        }
        else if (upkeep_mode_at(&peek[l], now) != UPKEEP_MODE_NORMAL) {
            *out = slot->layer[l];
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&slot->seq, memory_order_relaxed) == s1) {
            *layer = l;
            *mode = upkeep_mode_at(&peek[l], now);
            if (all) {
                upkeep_record_sanitize(&out[0]);
                upkeep_record_sanitize(&out[1]);
            }
            else if (*mode != UPKEEP_MODE_NORMAL) {
                upkeep_record_sanitize(out);
            }
            return 0;
        }
    }
    for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
        peek[l] = slot->layer[l];
        upkeep_record_sanitize(&peek[l]);
    }
    l = upkeep_layer_in_force(peek, now);
    if (all) {
        out[0] = peek[0];
        out[1] = peek[1];
    }
    else {
        *out = peek[l];
    }
    *layer = l;
    *mode = upkeep_mode_at(&peek[l], now);
    return -1;
}

#endif /* UPKEEP_STATE_H */
