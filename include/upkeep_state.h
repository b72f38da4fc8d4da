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

#define UPKEEP_RETRY_AFTER_MAX   86400  /* seconds */
#define UPKEEP_FOR_MAX           (30 * 86400) /* longest --for, seconds */

#define UPKEEP_LIVE_FILE         "upkeep.live"
#define UPKEEP_LOCK_FILE         "upkeep.lock"
#define UPKEEP_STATE_SUFFIX      ".state"

/* Bump UPKEEP_FORMAT whenever upkeep_live_t or upkeep_record_t changes:
 * httpd then replaces an old live file instead of misreading it. */
#define UPKEEP_LIVE_MAGIC        0x55504b50u   /* "UPKP" */
#define UPKEEP_FORMAT            1

/* Ordered by strictness: when layers combine, the larger value wins. */
typedef enum {
    UPKEEP_MODE_NORMAL = 0,
    UPKEEP_MODE_READONLY = 1,
    UPKEEP_MODE_MAINTENANCE = 2,
    UPKEEP_MODE_COUNT
} upkeep_mode_e;

typedef struct {
    int32_t  mode;          /* upkeep_mode_e */
    int32_t  retry_after;   /* seconds; 0: use the configured default */
    int64_t  since;         /* unix seconds of the change */
    int64_t  until;         /* unix seconds the mode ends; 0: never */
    uint64_t version;       /* +1 on every change of this scope */
    char     changed_by[UPKEEP_WHO_MAX];
    char     reason[UPKEEP_REASON_MAX];
} upkeep_record_t;

typedef struct {
    _Atomic uint32_t seq;       /* seqlock: odd while a writer is inside */
    _Atomic uint32_t in_use;    /* set once name is written, never unset */
    char             name[UPKEEP_SCOPE_NAME_MAX];
    upkeep_record_t  rec;
} upkeep_slot_t;

typedef struct {
    uint32_t      magic;
    uint32_t      format;
    uint32_t      slot_count;
    uint32_t      slot_size;
    upkeep_slot_t slots[UPKEEP_MAX_SCOPES];
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

const char *upkeep_mode_name(int mode);
/* Returns UPKEEP_MODE_COUNT for an unknown name. */
int upkeep_mode_from_name(const char *name);

/* NULL when valid, else why not ([A-Za-z0-9_.-], 1..63 bytes). */
const char *upkeep_check_scope_name(const char *name);
/* NULL when valid: at most UPKEEP_REASON_MAX-1 bytes of UTF-8 without
 * control characters (the reason goes into headers, JSON and HTML). */
const char *upkeep_check_reason(const char *reason);

/* "90", "90s", "250ms", "15m", "2h", "1d" -> microseconds.  A bare number
 * is in seconds.  NULL on success, else why the text is not a duration. */
const char *upkeep_parse_duration(const char *text, apr_interval_time_t *out);

/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.7" -> a subnet in p.  NULL on
 * success, else why the text is not an address or CIDR block. */
const char *upkeep_parse_cidr(apr_pool_t *p, const char *text,
                              apr_ipsubnet_t **out);

/* The mode in force at unix second `now` (until passed -> normal). */
static inline int upkeep_mode_at(const upkeep_record_t *rec, int64_t now)
{
    if (rec->mode != UPKEEP_MODE_NORMAL && rec->until != 0
        && now >= rec->until) {
        return UPKEEP_MODE_NORMAL;
    }
    return rec->mode;
}

/* --- durable text file ---------------------------------------------- */

/* Renders rec as the durable text format. */
const char *upkeep_record_encode(apr_pool_t *p, const char *scope,
                                 const upkeep_record_t *rec);
/* Strictly parses the durable text format; on failure returns an error
 * status and fills errbuf with the problem (line number included). */
apr_status_t upkeep_record_decode(const char *text, apr_size_t len,
                                  const char *scope, upkeep_record_t *rec,
                                  char *errbuf);

const char *upkeep_state_path(apr_pool_t *p, const char *dir,
                              const char *scope);
/* APR_ENOENT when the scope has no file (it is then normal, version 0). */
apr_status_t upkeep_state_load(apr_pool_t *p, const char *dir,
                               const char *scope, upkeep_record_t *rec,
                               char *errbuf);
/* temp -> fsync -> rename -> fsync(dir); the file gets mode `perms`. */
apr_status_t upkeep_state_save(apr_pool_t *p, const char *dir,
                               const char *scope,
                               const upkeep_record_t *rec,
                               apr_fileperms_t perms, char *errbuf);

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

/* Seqlock writer; caller holds the writer lock. */
static inline void upkeep_slot_publish(upkeep_slot_t *slot,
                                       const upkeep_record_t *rec)
{
    /* `| 1`: a writer killed mid-update leaves seq odd; the next one
     * simply finishes the job. */
    uint32_t seq = atomic_load_explicit(&slot->seq, memory_order_relaxed) | 1;

    atomic_store_explicit(&slot->seq, seq, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    slot->rec = *rec;
    atomic_store_explicit(&slot->seq, seq + 1, memory_order_release);
}

/* How long a reader spins on an odd seq before it takes what it sees
 * (only a writer that died inside the few stores above can cause it). */
#define UPKEEP_SEQLOCK_SPINS 100000

/* Seqlock reader: the mode in force at `now`, and the whole record
 * copied into *out when that mode is not normal or `copy_always` is set
 * (so the request path copies nothing in normal mode).  Returns 0 if the snapshot is consistent,
 * -1 if it gave up waiting for a dead writer (the mode is then still
 * validated, the text fields NUL-terminated). */
static inline int upkeep_slot_read(const upkeep_slot_t *slot, int64_t now,
                                   int *mode, upkeep_record_t *out,
                                   int copy_always)
{
    int spins;

    for (spins = 0; spins < UPKEEP_SEQLOCK_SPINS; spins++) {
        uint32_t s1 = atomic_load_explicit(&slot->seq, memory_order_acquire);
        upkeep_record_t peek;

        if (s1 & 1) {
            continue;
        }
        peek.mode = slot->rec.mode;
        peek.until = slot->rec.until;
        if (copy_always || upkeep_mode_at(&peek, now) != UPKEEP_MODE_NORMAL) {
            *out = slot->rec;
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&slot->seq, memory_order_relaxed) == s1) {
            *mode = upkeep_mode_at(&peek, now);
            return 0;
        }
    }
    *out = slot->rec;
    out->reason[UPKEEP_REASON_MAX - 1] = '\0';
    out->changed_by[UPKEEP_WHO_MAX - 1] = '\0';
    *mode = (out->mode >= 0 && out->mode < UPKEEP_MODE_COUNT)
            ? upkeep_mode_at(out, now) : UPKEEP_MODE_MAINTENANCE;
    return -1;
}

#endif /* UPKEEP_STATE_H */
