/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_view.h: what a scope serves, worked out in one place for the
 * module, its status page and upkeepctl; and what httpd's configuration
 * says, recorded for upkeepctl.  APR only (never httpd.h).
 */

#ifndef UPKEEP_VIEW_H
#define UPKEEP_VIEW_H

#include "upkeep_state.h"

/* STATE_DIR/served.conf: written by httpd at every start, read by
 * upkeepctl, so that it can check scope names, refuse a drain without a
 * health check, say whether httpd runs, and show what clients get. */
#define UPKEEP_SERVED_CONF "served.conf"
#define UPKEEP_SERVED_FORMAT 1

typedef struct {
    const char *name;
    int retry_after;            /* the server's UpkeepRetryAfter */
    int hold_max_ms;            /* its UpkeepHoldMax */
    int readonly_status;        /* its UpkeepReadOnlyStatus */
} upkeep_served_scope_t;

typedef struct {
    const char *pidfile;        /* httpd's PidFile */
    const char *node;           /* this host's name */
    const char *health;         /* UpkeepHealthCheck path; NULL: none */
    int cluster;                /* UpkeepMemcached is set */
    int nscopes;
    upkeep_served_scope_t *scopes;
} upkeep_served_t;

const char *upkeep_served_encode(apr_pool_t *p, const upkeep_served_t *sv);
/* Parses served.conf's text (buf, NUL-terminated, changed in place;
 * path for messages): every line known, or a message in err. */
apr_status_t upkeep_served_parse(apr_pool_t *p, const char *path,
                                 char *buf, upkeep_served_t *sv, char *err);
/* APR_ENOENT when httpd never wrote one; a clear message in err else. */
apr_status_t upkeep_served_load(apr_pool_t *p, const char *dir,
                                upkeep_served_t *sv, char *err);
const upkeep_served_scope_t *upkeep_served_scope(const upkeep_served_t *sv,
                                                 const char *name);
/* The configured scope whose name is closest to `name` (a typo), or
 * NULL when none is close. */
const char *upkeep_served_closest(const upkeep_served_t *sv,
                                  const char *name);
/* Whether the httpd that wrote it runs (its PidFile names a live
 * process). */
int upkeep_served_running(apr_pool_t *p, const upkeep_served_t *sv);

/* The state a scope serves now: the stricter of its two layers, their
 * windows, and the figures clients get. */
typedef struct {
    upkeep_record_t rec[UPKEEP_LAYER_COUNT];
    int mode;                   /* in force now */
    int layer;                  /* the layer it comes from */
    int pending;                /* layer of the next window; -1: none */
    int expired;                /* the layer's window is over */
} upkeep_effective_t;

void upkeep_effective(const upkeep_record_t rec[UPKEEP_LAYER_COUNT],
                      int64_t now, upkeep_effective_t *e);

/* The records of a scope: its files, with the live slot's cluster layer
 * when that is newer (other nodes' flips reach this one only through the
 * poller, which keeps them in the live file).  slot may be NULL. */
apr_status_t upkeep_scope_records(apr_pool_t *p, const char *dir,
                                  const char *scope,
                                  const upkeep_slot_t *slot,
                                  upkeep_record_t rec[UPKEEP_LAYER_COUNT],
                                  char *err);

/* Seconds a refused client is told to wait: until the window ends when
 * one is set, else what upkeepctl asked for, else `configured`. */
int upkeep_retry_after_at(const upkeep_record_t *rec, int configured,
                          int64_t now);

/* What clients of a scope get now: the Retry-After of a refusal, how long
 * a held write waits, the status of a refusal (0 in normal mode).  conf
 * NULL: the built-in defaults.  One place for the JSON, upkeepctl's reply
 * and its status. */
typedef struct {
    int retry_after;
    int hold_max_ms;
    int refusal_status;
} upkeep_client_view_t;

void upkeep_client_view(const upkeep_effective_t *e,
                        const upkeep_served_scope_t *conf, int64_t now,
                        upkeep_client_view_t *out);

/* One scope as JSON: the object of `upkeepctl status --json` and of the
 * status page's ?json (README, "Status JSON"). */
typedef struct {
    const char *name;
    const upkeep_effective_t *eff;
    const upkeep_served_scope_t *conf;  /* NULL: built-in defaults */
    int64_t inflight, held;
    const char *extra;          /* more members (",\"k\":v"), or NULL */
} upkeep_scope_view_t;

const char *upkeep_scope_json(apr_pool_t *p, const upkeep_scope_view_t *v,
                              int64_t now);
/* The members every status document starts with. */
const char *upkeep_status_json_head(apr_pool_t *p, const char *node,
                                    int64_t now);

/* "10:30 UTC (in 29m)", "-" for 0. */
const char *upkeep_when(apr_pool_t *p, int64_t t, int64_t now);
/* 5400 -> "1h 30m": the two largest units. */
const char *upkeep_human_duration(apr_pool_t *p, int64_t secs);

/* The release (debian/changelog names the same one). */
#define UPKEEP_VERSION "0.9.0"

#define UPKEEP_BUILTIN_RETRY_AFTER 60
#define UPKEEP_BUILTIN_HOLD_MAX_MS 10000

#endif
