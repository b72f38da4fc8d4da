/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_private.h: what mod_upkeep's own files share (not upkeepctl).
 */

#ifndef UPKEEP_PRIVATE_H
#define UPKEEP_PRIVATE_H

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_regex.h"
#include "mod_watchdog.h"
#include "apr_network_io.h"

#include "upkeep_cluster.h"
#include "upkeep_state.h"
#include "upkeep_view.h"

/* Per-module LogLevel (LogLevel upkeep:debug) in every file. */
APLOG_USE_MODULE(upkeep);

extern module AP_MODULE_DECLARE_DATA upkeep_module;

#define UPKEEP_DEFAULT_RETRY_AFTER UPKEEP_BUILTIN_RETRY_AFTER
#define UPKEEP_DEFAULT_HOLD_MAX_MS UPKEEP_BUILTIN_HOLD_MAX_MS
/* UpkeepHoldRelease when unset (0: all); see BENCHMARKS.md */
#define UPKEEP_DEFAULT_HOLD_RELEASE 16
#define UPKEEP_DEFAULT_ANNOUNCE    3600   /* seconds ahead of a window */
/* A refusal page never reloads itself more often than this. */
#define UPKEEP_MIN_REFRESH 5
/* ...and by default (no UpkeepRefresh) at least this often, so that an
 * early `normal` brings open tabs back quickly. */
#define UPKEEP_MAX_DEFAULT_REFRESH 60

/* upkeep_i18n.c (a leaf: APR only): the words of the built-in pages and
 * banners in each language, HTML fragments that may hold placeholders. */
#define UPKEEP_LANG_COUNT 10
typedef struct {
    const char *code;           /* BCP 47 tag: Content-Language, {{lang}} */
    const char *aliases;        /* other tags naming it, space-separated */
    const char *dir;            /* "ltr" or "rtl": {{dir}} */
    const char *units;          /* the countdown's "d|h|min|s|second|seconds" */
    const char *maint_title, *maint_h1, *maint_reason, *maint_until,
               *maint_refresh, *maint_later, *time_left;
    const char *ro_title, *ro_h1, *ro_text, *ro_reason, *ro_until;
    const char *banner[2];      /* writes paused: [0] read-only, [1] hold */
    const char *announce[2];    /* a window ahead: [0] maintenance, [1]
                                   writes paused */
} upkeep_lang_t;
/* [0] is English, the fallback of "auto". */
extern const upkeep_lang_t upkeep_langs[UPKEEP_LANG_COUNT];
/* The index of a tag (case-insensitive; aliases and bare "zh" too), or
 * -1. */
int upkeep_lang_find(const char *code);
/* "en, de, ...": for messages. */
const char *upkeep_lang_known(apr_pool_t *p);
/* The language to speak to a visitor who sent Accept-Language `accept`
 * (NULL: none), among allowed[0..n-1] (n == 0: all, in table order):
 * q-values honoured, ranges matched as RFC 4647 lookup ("de-DE" -> de)
 * and basic filtering ("zh" -> zh-Hans), "*"; ties go to the range
 * named first, then to the order of `allowed`; nothing acceptable: the
 * first allowed.  Returns an index into upkeep_langs. */
int upkeep_lang_negotiate(const char *accept, const int *allowed, int n);

/* A parsed page template: literal text and placeholders, in order. */
typedef enum {
    UPKEEP_FIELD_LITERAL,
    UPKEEP_FIELD_REASON,
    UPKEEP_FIELD_RETRY_AFTER,
    UPKEEP_FIELD_UNTIL,
    UPKEEP_FIELD_UNTIL_HTTP,
    UPKEEP_FIELD_SINCE,
    UPKEEP_FIELD_SCOPE,
    UPKEEP_FIELD_MODE,
    UPKEEP_FIELD_REFRESH,
    UPKEEP_FIELD_STARTS,
    UPKEEP_FIELD_STARTS_HTTP,
    UPKEEP_FIELD_LANG,
    UPKEEP_FIELD_DIR,
    UPKEEP_FIELD_SITE
} upkeep_field_e;

typedef struct {
    upkeep_field_e field;
    const char *text;           /* UPKEEP_FIELD_LITERAL only */
    char section;               /* '#' shown if set, '^' if not, '/' end;
                                   0: a value */
    int end;                    /* '#', '^': index of the matching '/' */
} upkeep_segment_t;

typedef struct {
    const char *source;         /* file name, for messages */
    apr_array_header_t *segments;
    int uses_lang;              /* has {{lang}}: it speaks the visitor's
                                   language, so its Content-Language is */
} upkeep_template_t;

#define UPKEEP_DEFAULT_SYNC_INTERVAL apr_time_from_sec(1)
#define UPKEEP_MIN_SYNC_INTERVAL     apr_time_from_msec(100)

/* UpkeepBypassSecret: read at startup; the tokens (one per scope, in the
 * scope registry's order) are derived in post_config. */
typedef struct {
    const char *file;
    unsigned char key[UPKEEP_SECRET_MAX];
    apr_size_t key_len;
    const char **tokens;
} upkeep_bypass_secret_t;

/* Per server: the cluster, state and sync fields are read from the main
 * server only (server config); the health check, hold limit and bypass
 * are per virtual host. */
typedef struct {
    const char *state_dir;      /* NULL: unset */
    gid_t control_group;        /* (gid_t)-1: unset */
    int control_group_set;
    const char *memcached;      /* UpkeepMemcached; NULL: no cluster */
    apr_interval_time_t sync_interval;  /* -1: unset */
    const char *key_prefix;     /* NULL: unset */
    const char *secret_file;    /* NULL: unsigned values */
    upkeep_cluster_conf_t *secret;      /* the secret, read at startup */
    int timeout_ms;             /* -1: unset */
    const char *health_path;    /* UpkeepHealthCheck (per vhost) */
    int hold_limit;             /* UpkeepHoldLimit; -1: unset */
    upkeep_bypass_secret_t *bypass;     /* UpkeepBypassSecret (per vhost);
                                           NULL: no staff bypass */
    apr_interval_time_t bypass_ttl;     /* UpkeepBypassTTL; -1: unset */
    const char *bypass_path;            /* UpkeepBypassPath; NULL: unset */
} upkeep_server_conf;

typedef struct {
    int enabled;                        /* Upkeep on|off; -1: unset */
    int scope;                          /* index into the scope registry;
                                           -1: unset */
    apr_array_header_t *exempt;         /* const char * path prefixes */
    apr_array_header_t *allow_from;     /* apr_ipsubnet_t * */
    apr_array_header_t *safe_methods;   /* const char *; NULL: unset */
    int retry_after;                    /* seconds; -1: unset */
    const upkeep_template_t *page;      /* NULL: unset */
    int hold_max_ms;                    /* UpkeepHoldMax; -1: unset */
    int hold_release;                   /* UpkeepHoldRelease N; 0: all;
                                           -1: unset */
    apr_array_header_t *allow_writes;   /* const char * path prefixes */
    int readonly_status;                /* UpkeepReadOnlyStatus; -1: unset */
    int announce;                       /* UpkeepAnnounce, seconds (0: off);
                                           -1: unset */
    int refresh;                        /* UpkeepRefresh seconds, 0: off;
                                           -1: unset */
    const upkeep_template_t *banner;    /* UpkeepBanner; NULL: unset,
                                           &upkeep_banner_off: off */
    apr_array_header_t *languages;      /* UpkeepLanguage: int indexes into
                                           upkeep_langs; NULL: unset,
                                           empty: auto */
    const char *site_name;              /* UpkeepSiteName; NULL: unset */
    apr_array_header_t *journal;        /* UpkeepJournal: const char *
                                           path prefixes */
    apr_off_t journal_max;              /* UpkeepJournalMax; -1: unset */
    apr_off_t journal_body_max;         /* UpkeepJournalBodyMax; -1: unset */
    apr_interval_time_t journal_retry;  /* UpkeepJournalRetry; -1: unset */
    int journal_concurrency;            /* UpkeepJournalConcurrency; -1:
                                           unset */
} upkeep_dir_conf;

/* upkeep_config.c */
extern const command_rec upkeep_cmds[];
void *upkeep_create_dir_conf(apr_pool_t *p, char *dir);
void *upkeep_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
void *upkeep_create_server_conf(apr_pool_t *p, server_rec *s);
void *upkeep_merge_server_conf(apr_pool_t *p, void *basev, void *addv);

/* What every configuration read sets from scratch (pre_config): the scope
 * registry and the flags of features some virtual host turns on. */
void upkeep_config_reset(void);
/* Scopes named anywhere in the configuration, in order; index 0 is
 * "default". */
int upkeep_scope_count(void);
const char *upkeep_scope_name(int index);

const char *upkeep_state_dir(server_rec *s);
/* The cluster configuration, or NULL without UpkeepMemcached. */
upkeep_cluster_conf_t *upkeep_cluster_conf(apr_pool_t *p, server_rec *s);
apr_interval_time_t upkeep_sync_interval(server_rec *s);
int upkeep_conf_enabled(const upkeep_dir_conf *dc);
/* Inline: every request asks, in the gate and in post_read_request. */
static inline int upkeep_conf_scope(const upkeep_dir_conf *dc)
{
    return dc->scope == -1 ? 0 : dc->scope;
}
int upkeep_conf_retry_after(const upkeep_dir_conf *dc);
int upkeep_conf_hold_max_ms(const upkeep_dir_conf *dc);
/* Released writes of a scope that may run at once after a hold; 0: all. */
int upkeep_conf_hold_release(const upkeep_dir_conf *dc);
int upkeep_conf_readonly_status(const upkeep_dir_conf *dc);
int upkeep_conf_announce(const upkeep_dir_conf *dc);
/* "GET,HEAD,OPTIONS" or the UpkeepSafeMethods list: an Allow value */
const char *upkeep_conf_safe_methods(apr_pool_t *p,
                                     const upkeep_dir_conf *dc);
/* Seconds after which a refusal page reloads itself; 0: never. */
int upkeep_conf_refresh(const upkeep_dir_conf *dc, int retry_after);
/* The language of r's pages (UpkeepLanguage, Accept-Language); *varies
 * set when another Accept-Language could get another one. */
const upkeep_lang_t *upkeep_conf_lang(const request_rec *r,
                                      const upkeep_dir_conf *dc,
                                      int *varies);
/* The site's name: UpkeepSiteName, else the ServerName of r's host. */
const char *upkeep_conf_site(const request_rec *r,
                             const upkeep_dir_conf *dc);
/* Sets Vary: Accept-Language (merged) when `varies`. */
void upkeep_vary_language(request_rec *r, int varies);
int upkeep_hold_limit(server_rec *s);
const char *upkeep_health_path(server_rec *s);
/* SetHandler upkeep-status: the status page */
#define UPKEEP_STATUS_HANDLER "upkeep-status"

void upkeep_served_record(apr_pool_t *ptemp, const char *dir, server_rec *s);
void upkeep_scope_figures(server_rec *s, int scope, upkeep_served_scope_t *out);
extern int upkeep_health_configured;
/* Without UpkeepSafeMethods: GET (HEAD is a GET) and OPTIONS. */
static inline int upkeep_default_method_is_safe(const request_rec *r)
{
    return r->method_number == M_GET || r->method_number == M_OPTIONS;
}

/* Whether r's method is safe; inline: every request of a healthy site
 * asks.  The default GET HEAD OPTIONS: httpd has numbered them already
 * (HEAD is M_GET), and only for exactly these names; else the names of
 * UpkeepSafeMethods. */
static inline int upkeep_conf_method_is_safe(const upkeep_dir_conf *dc,
                                             const request_rec *r)
{
    int i;

    if (!dc->safe_methods) {
        return upkeep_default_method_is_safe(r);
    }
    for (i = 0; i < dc->safe_methods->nelts; i++) {
        if (strcmp(r->method, APR_ARRAY_IDX(dc->safe_methods, i,
                                            const char *)) == 0) {
            return 1;
        }
    }
    return 0;
}

/* UpkeepJournal defaults (README, "Journal") */
#define UPKEEP_DEFAULT_JOURNAL_MAX      ((apr_off_t)256 << 20)
#define UPKEEP_DEFAULT_JOURNAL_BODY_MAX ((apr_off_t)1 << 20)
#define UPKEEP_DEFAULT_JOURNAL_RETRY    apr_time_from_sec(3600)
/* Entries of a scope replayed at once: one by default, as a database
 * behind the app is easiest to spare that way. */
#define UPKEEP_DEFAULT_JOURNAL_CONCURRENCY 1
#define UPKEEP_JOURNAL_CONCURRENCY_MAX     64
apr_off_t upkeep_conf_journal_max(const upkeep_dir_conf *dc);
apr_off_t upkeep_conf_journal_body_max(const upkeep_dir_conf *dc);
apr_interval_time_t upkeep_conf_journal_retry(const upkeep_dir_conf *dc);
int upkeep_conf_journal_concurrency(const upkeep_dir_conf *dc);
/* Set while some context has UpkeepJournal (upkeep_config.c). */
extern int upkeep_journal_configured;

/* upkeep_journal.c: the journal of accepted writes */
/* Opens STATE_DIR/journal and starts the replay (post_config). */
apr_status_t upkeep_journal_start(apr_pool_t *pconf, apr_pool_t *ptemp,
                                  const char *dir, server_rec *s);
void upkeep_journal_child_init(apr_pool_t *pchild);
/* Reads r's body and appends r to its scope's journal, durably: 0 and
 * *id, or -1 when it cannot be journaled (too large, full, an error;
 * logged): the caller refuses it. */
int upkeep_journal_append(request_rec *r, const upkeep_dir_conf *dc,
                          int scope, const char **id);
/* Whether an Upkeep-Journal-Token value is this node's replay key. */
int upkeep_journal_is_replay(const char *token);
typedef struct {
    apr_int64_t pending, dead;
    apr_off_t bytes;
    apr_uint64_t ok, client_error, retry;
} upkeep_jstats_t;
/* What the status page shows of a scope's journal. */
void upkeep_journal_stats(apr_pool_t *p, int scope, upkeep_jstats_t *out);

/* upkeep_sync.c: callback runs in one child at a time (a leader elected
 * with a lock file; another takes over within an interval when it
 * exits), follow (or nothing) in the others. */
apr_status_t upkeep_watchdog_start(apr_pool_t *pconf, const char *name,
                                   apr_interval_time_t interval, void *data,
                                   ap_watchdog_callback_fn_t *callback,
                                   ap_watchdog_callback_fn_t *follow);
/* Writes STATE_DIR/cluster.conf for upkeepctl (post_config); an error
 * only when there is no valid old one to keep (logged). */
apr_status_t upkeep_cluster_record(apr_pool_t *pconf, apr_pool_t *ptemp,
                                   const char *dir, server_rec *s);

/* upkeep_sync.c: the cluster poller */
void upkeep_sync_start(apr_pool_t *pconf, server_rec *s, const char *dir,
                       upkeep_live_t *live, upkeep_slot_t **slots);
/* Gives the poller the pool of the process it will run in. */
void upkeep_sync_child_init(apr_pool_t *pchild);

/* upkeep_track.c: writes in flight and held writes, per child */
enum { UPKEEP_TRACK_INFLIGHT = 0, UPKEEP_TRACK_HELD = 1, UPKEEP_TRACK_COUNT };
void upkeep_track_init(server_rec *s, upkeep_live_t *live);
void upkeep_track_child_init(void);
void upkeep_track(upkeep_slot_t *slot, int what, int delta);
void upkeep_track_child_exited(pid_t pid);

/* upkeep_release.c: paced release of held writes (UpkeepHoldRelease) */
/* A ticket in arrival order for a write that starts waiting in hold; 0
 * when too many wait already (it is then released unpaced). */
int upkeep_release_ticket(upkeep_slot_t *slot, uint32_t *ticket);
/* Ticket t leaves without running (timed out, refused, gave up). */
void upkeep_release_leave(upkeep_slot_t *slot, uint32_t t);
/* After the release: waits for t's turn and one of `limit` run places
 * until deadline.  The place taken (give it back with
 * upkeep_release_done() when the write is over), or -1 at the deadline
 * or once *stop is set (the ticket left: the write goes on unpaced). */
int upkeep_release_wait(upkeep_slot_t *slot, uint32_t t, int limit,
                        apr_time_t deadline, const volatile int *stop);
/* Forgets every ticket and run place (no write is held: start-up). */
void upkeep_release_reset(upkeep_slot_t *slot);
void upkeep_release_done(upkeep_slot_t *slot, int place);

/* upkeep_status.c: the health check and the status handler */
int upkeep_health_check(request_rec *r, int lookup_uri);
int upkeep_status_handler(request_rec *r);

/* upkeep_config.c: Retry-After of r: the window's end, upkeepctl's
 * --retry-after, or UpkeepRetryAfter */
int upkeep_retry_after(const request_rec *r, const upkeep_dir_conf *dc,
                       const upkeep_record_t *rec);

/* upkeep_banner.c: the banner of pages while writes are paused */
extern const upkeep_template_t upkeep_banner_off;
void upkeep_banner_register_hooks(apr_pool_t *p);
/* What r's banner shows: a template and the mode it speaks of; for the
 * announcement of a scheduled window, that window's record. */
typedef struct {
    const upkeep_template_t *tmpl;
    int mode;
    const upkeep_record_t *window;      /* NULL: writes are paused now */
    const upkeep_lang_t *lang;          /* the visitor's language */
    int varies;                         /* on Accept-Language */
} upkeep_banner_t;
/* The one place that decides whether r, let through in `mode`, gets a
 * banner: NULL for none. */
const upkeep_banner_t *upkeep_banner_wanted(request_rec *r, int mode);
/* Adds the banner filter to r when it gets one (the gate). */
void upkeep_banner_offer(request_rec *r, int mode);

/* upkeep_html.c: the first <body> tag of HTML that arrives in pieces.
 * Zero the state before the first piece. */
typedef struct {
    int state;
    int n;
    char quote;
    int end_tag;            /* the tag is an end tag */
    int name_len;           /* of the tag's name; longer names: max + 1 */
    char name[10];          /* the tag's name, lower case */
} upkeep_body_scan_t;
/* Feeds `len` bytes to the scanner.  Returns the offset just past the
 * '>' of the first <body> tag a browser would see (upkeep_html.c), or -1
 * when it is not in these bytes (the state carries over to the next). */
apr_ssize_t upkeep_body_scan(upkeep_body_scan_t *scan, const char *data,
                             apr_size_t len);
/* UTF-8 text with its non-ASCII characters as character references
 * (`&#xE0;`), so that it reads right in a page of any charset; a byte
 * that starts no valid UTF-8 sequence stays as it is.  `s` itself when
 * it is ASCII. */
const char *upkeep_html_ascii(apr_pool_t *p, const char *s);

/* upkeep_live.c: the live file, opened and filled at every start.  The
 * steps of post_config, in order; each logs its own errors. */
void upkeep_live_reset(void);                   /* pre_config */
/* The state directory (owner, mode), its lock (held until closed), the
 * live file mapped with a slot for every configured scope. */
apr_status_t upkeep_live_open(apr_pool_t *pconf, apr_pool_t *ptemp,
                              const char *dir, server_rec *s,
                              apr_file_t **lock);
/* Every scope's durable mode into its slot, the drain, the counts. */
apr_status_t upkeep_live_publish(apr_pool_t *ptemp, const char *dir,
                                 server_rec *s);
/* Owner and mode of the files in the state directory. */
void upkeep_live_secure_files(apr_pool_t *ptemp, const char *dir,
                              server_rec *s);
/* The watchdog that logs every transition once (UPK0010, UPK0011). */
void upkeep_reporter_start(apr_pool_t *pconf, server_rec *s);
upkeep_live_t *upkeep_live(void);
/* Each configured scope's slot, by registry index (NULL before
 * post_config).  Inline: the gate's quiet path is this load and one
 * more. */
extern upkeep_slot_t *upkeep_slots[UPKEEP_MAX_SCOPES];
static inline upkeep_slot_t *upkeep_scope_slot(int scope)
{
    return upkeep_slots[scope];
}

/* upkeep_bypass.c: the staff bypass (UpkeepBypassSecret) */
enum { UPKEEP_BYPASS_SECRET, UPKEEP_BYPASS_TTL, UPKEEP_BYPASS_PATH };
/* The setter of the three directives (cmd->info: which one). */
const char *upkeep_set_bypass(cmd_parms *cmd, void *dummy, const char *arg);
void upkeep_bypass_register_hooks(apr_pool_t *p);
/* Derives the tokens and writes STATE_DIR/bypass.conf (post_config). */
apr_status_t upkeep_bypass_record(apr_pool_t *pconf, apr_pool_t *ptemp,
                                  const char *dir, server_rec *s);
/* Answers UpkeepBypassPath/TOKEN (the quick handler), else DECLINED. */
int upkeep_bypass_handler(request_rec *r, int lookup_uri);
/* Set while some virtual host has UpkeepBypassSecret (upkeep_config.c). */
extern int upkeep_bypass_configured;
/* Takes the bypass cookies out of the request (post_read_request). */
void upkeep_bypass_strip(request_rec *r);
/* Whether r carries a valid bypass cookie for scope (the gate). */
int upkeep_bypass_allows(request_rec *r, int scope);

/* upkeep_page.c */
const char *upkeep_template_parse(apr_pool_t *p, const char *source,
                                  const char *text,
                                  const upkeep_template_t **out);
/* Parses the built-in pages into pconf; called from pre_config. */
void upkeep_default_pages_init(apr_pool_t *pconf);
const upkeep_template_t *upkeep_default_page(int mode,
                                             const upkeep_lang_t *lang);
/* The text of a built-in page, as a template (conf/make-maintenance-html
 * writes the English maintenance page to conf/maintenance.html). */
const char *upkeep_default_page_text(apr_pool_t *p, int mode,
                                     const upkeep_lang_t *lang);
/* What a page is filled with: the renderer takes values, never a
 * request or its configuration. */
typedef struct {
    const char *scope;
    int mode;
    const upkeep_record_t *rec;
    int retry_after;
    int refresh;                /* seconds; 0: the page does not reload */
    const upkeep_lang_t *lang;  /* the visitor's language: {{lang}},
                                   {{dir}}, the default reason; NULL:
                                   English */
    const char *site;           /* {{site}}; NULL: empty */
} upkeep_page_values_t;
const char *upkeep_template_render(apr_pool_t *p, const upkeep_template_t *t,
                                   const upkeep_page_values_t *v);

/* Refusal bodies: the page (HTML), RFC 9457 problem details (JSON) or
 * plain text, by the request's Accept. */
typedef enum {
    UPKEEP_BODY_HTML = 0,
    UPKEEP_BODY_JSON,
    UPKEEP_BODY_TEXT,
    UPKEEP_BODY_COUNT
} upkeep_body_e;
extern const char *const upkeep_body_content_types[UPKEEP_BODY_COUNT];
upkeep_body_e upkeep_negotiate(const request_rec *r);
const char *upkeep_refusal_body(apr_pool_t *p, upkeep_body_e format,
                                const upkeep_template_t *page, int status,
                                const upkeep_page_values_t *v);

#endif /* UPKEEP_PRIVATE_H */
