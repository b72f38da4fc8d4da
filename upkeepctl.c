/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeepctl: show and flip mod_upkeep's mode.
 *
 *   upkeepctl [--state-dir DIR] [--scope NAME] COMMAND [options]
 *
 * Exit status: 0 done, 1 failed (permission, I/O, bad state file),
 * 2 usage error.  Nothing is written unless every argument is valid.
 */

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apr_general.h"
#include "apr_getopt.h"
#include "apr_hash.h"
#include "apr_network_io.h"
#include "apr_strings.h"

#include "upkeep_cluster.h"
#include "upkeep_state.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: upkeepctl [--state-dir DIR] [--scope NAME] COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  status [--json]        show every scope's mode (or --scope's)\n"
    "  normal                 serve everything\n"
    "  readonly               refuse write methods with 503\n"
    "  maintenance            serve the maintenance page with 503\n"
    "  hold [--max DURATION]  writes wait inside httpd (at most --max, else\n"
    "                         UpkeepHoldMax) until the mode changes\n"
    "  drain                  this node's health check answers 503, so the\n"
    "                         load balancer takes it out (never --cluster)\n"
    "  undrain                its health check answers 200 again\n"
    "  cancel                 remove a scheduled window that has not started\n"
    "  bypass-url [--json]    print the staff bypass URL of the scope\n"
    "                         (UpkeepBypassSecret), one per virtual host\n"
    "\n"
    "options for hold, readonly and maintenance:\n"
    "  --reason TEXT          shown to users (UTF-8, at most 511 bytes)\n"
    "  --retry-after SECONDS  Retry-After of refusals (1-86400)\n"
    "  --for DURATION         return to normal by itself after DURATION\n"
    "                         (90s, 15m, 2h, 1d; at most 30d)\n"
    "  --at TIME              schedule the window to start at TIME\n"
    "                         (2026-11-22T22:00:00Z, 2026-11-22T23:00+01:00,\n"
    "                         +30m); each node starts and ends it by its own\n"
    "                         clock; only while the scope is normal\n"
    "  --wait                 return once no write is in flight on this node\n"
    "  --timeout DURATION     give up waiting after DURATION (default 60s)\n"
    "\n"
    "  --state-dir DIR        default: $" UPKEEP_STATE_DIR_ENV ", else "
    UPKEEP_DEFAULT_STATE_DIR "\n"
    "  --scope NAME           default: " UPKEEP_DEFAULT_SCOPE "\n"
    "\n"
    "cluster (UpkeepMemcached):\n"
    "  --cluster              flip every web server: publish to every\n"
    "                         memcached server, then apply here; with\n"
    "                         status, show what memcached holds\n"
    "  --memcached H:P,...    servers (default: what httpd recorded)\n"
    "  --secret-file FILE     signing secret (default: httpd's)\n";

enum {
    OPT_STATE_DIR = 256, OPT_SCOPE, OPT_REASON, OPT_RETRY_AFTER, OPT_FOR,
    OPT_JSON, OPT_HELP, OPT_CLUSTER, OPT_MEMCACHED, OPT_SECRET_FILE,
    OPT_MAX, OPT_WAIT, OPT_TIMEOUT, OPT_AT
};

static const apr_getopt_option_t options[] = {
    { "state-dir",   OPT_STATE_DIR,   1, "state directory" },
    { "scope",       OPT_SCOPE,       1, "scope name" },
    { "reason",      OPT_REASON,      1, "reason shown to users" },
    { "retry-after", OPT_RETRY_AFTER, 1, "Retry-After seconds" },
    { "for",         OPT_FOR,         1, "duration of the mode" },
    { "json",        OPT_JSON,        0, "status as JSON" },
    { "help",        OPT_HELP,        0, "this help" },
    { "cluster",     OPT_CLUSTER,     0, "cluster-wide" },
    { "memcached",   OPT_MEMCACHED,   1, "memcached servers" },
    { "secret-file", OPT_SECRET_FILE, 1, "signing secret" },
    { "max",         OPT_MAX,         1, "longest hold" },
    { "wait",        OPT_WAIT,        0, "wait for writes in flight" },
    { "timeout",     OPT_TIMEOUT,     1, "longest wait" },
    { "at",          OPT_AT,          1, "start of a scheduled window" },
    { NULL, 0, 0, NULL }
};

typedef struct {
    const char *state_dir;
    const char *scope;          /* NULL: all (status) / default (flips) */
    const char *command;
    const char *reason;
    int retry_after;            /* 0: not given */
    apr_interval_time_t duration; /* 0: not given */
    int json;
    int cluster;
    const char *memcached;      /* NULL: from STATE_DIR/cluster.conf */
    const char *secret_file;    /* NULL: from STATE_DIR/cluster.conf */
    apr_interval_time_t hold_max;       /* 0: not given */
    int wait;
    apr_interval_time_t timeout;        /* 0: not given */
    int64_t at;                 /* unix seconds; 0: not given */
} ctl_args_t;

#define DEFAULT_WAIT_TIMEOUT apr_time_from_sec(60)

_Noreturn static void vfail(int status, const char *tail, const char *fmt, va_list ap)
{
    fputs("upkeepctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(tail, stderr);
    exit(status);
}

/* A usage error: exit 2, nothing written. */
_Noreturn static void fail_usage(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(EXIT_USAGE, " (see upkeepctl --help)\n", fmt, ap);
}

/* Permission, I/O, bad state: exit 1. */
_Noreturn static void fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(EXIT_FAILURE, "\n", fmt, ap);
}

/* apr_getopt's own message ("invalid option: --x"), as a usage error. */
static void getopt_error(void *arg, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    (void)arg;
    va_start(ap, fmt);
    apr_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* apr_getopt prefixes the program name and ends with a newline */
    msg[strcspn(msg, "\n")] = '\0';
    fail_usage("%s", strncmp(msg, "upkeepctl: ", 11) == 0 ? msg + 11 : msg);
}

static void handle_option(apr_pool_t *p, ctl_args_t *a, int opt,
                          const char *arg)
{
    const char *why;

    switch (opt) {
    case OPT_STATE_DIR:
        if (!*arg) {
            fail_usage("--state-dir is empty");
        }
        a->state_dir = arg;
        break;
    case OPT_SCOPE:
        if ((why = upkeep_check_scope_name(arg)) != NULL) {
            fail_usage("--scope '%s' %s", arg, why);
        }
        a->scope = arg;
        break;
    case OPT_REASON:
        if ((why = upkeep_check_reason(arg)) != NULL) {
            fail_usage("--reason %s", why);
        }
        a->reason = arg;
        break;
    case OPT_RETRY_AFTER: {
        char *end;
        apr_int64_t n;

        errno = 0;
        n = apr_strtoi64(arg, &end, 10);
        if (!*arg || *end || errno || n < 1 || n > UPKEEP_RETRY_AFTER_MAX) {
            fail_usage("--retry-after '%s' is not a number of seconds from "
                       "1 to %d", arg, UPKEEP_RETRY_AFTER_MAX);
        }
        a->retry_after = (int)n;
        break;
    }
    case OPT_FOR:
        if ((why = upkeep_parse_duration(arg, &a->duration)) != NULL) {
            fail_usage("--for '%s' %s", arg, why);
        }
        if (a->duration < APR_USEC_PER_SEC
            || a->duration > (apr_interval_time_t)UPKEEP_FOR_MAX
                             * APR_USEC_PER_SEC) {
            fail_usage("--for '%s' must be between 1s and 30d", arg);
        }
        if (a->duration % APR_USEC_PER_SEC) {
            fail_usage("--for '%s' must be whole seconds (an end is kept to "
                       "the second)", arg);
        }
        break;
    case OPT_JSON:
        a->json = 1;
        break;
    case OPT_CLUSTER:
        a->cluster = 1;
        break;
    case OPT_MEMCACHED: {
        upkeep_cluster_conf_t probe;

        if ((why = upkeep_cluster_parse_servers(p, arg, &probe)) != NULL) {
            fail_usage("--memcached '%s': %s", arg, why);
        }
        a->memcached = arg;
        break;
    }
    case OPT_SECRET_FILE:
        if (!*arg) {
            fail_usage("--secret-file is empty");
        }
        a->secret_file = arg;
        break;
    case OPT_MAX:
        if ((why = upkeep_parse_duration(arg, &a->hold_max)) != NULL) {
            fail_usage("--max '%s' %s", arg, why);
        }
        if (a->hold_max < apr_time_from_msec(1)
            || a->hold_max > apr_time_from_msec(UPKEEP_HOLD_MAX_MS)) {
            fail_usage("--max '%s' must be between 1ms and 5m", arg);
        }
        break;
    case OPT_WAIT:
        a->wait = 1;
        break;
    case OPT_TIMEOUT:
        if ((why = upkeep_parse_duration(arg, &a->timeout)) != NULL) {
            fail_usage("--timeout '%s' %s", arg, why);
        }
        if (a->timeout < apr_time_from_msec(1)
            || a->timeout > apr_time_from_sec(86400)) {
            fail_usage("--timeout '%s' must be between 1ms and 1d", arg);
        }
        break;
    case OPT_AT: {
        int64_t now = apr_time_sec(apr_time_now());

        if ((why = upkeep_parse_time(arg, now, &a->at)) != NULL) {
            fail_usage("--at '%s' %s", arg, why);
        }
        if (a->at <= now) {
            fail_usage("--at '%s' is not in the future (it is %s now)", arg,
                       upkeep_iso_time(p, now));
        }
        if (a->at - now > UPKEEP_AT_MAX) {
            fail_usage("--at '%s' is more than a year away", arg);
        }
        break;
    }
    case OPT_HELP:
        fputs(usage_text, stdout);
        exit(EXIT_SUCCESS);
    }
}

static int is_drain_command(const char *command)
{
    return strcmp(command, "drain") == 0 || strcmp(command, "undrain") == 0;
}

/* Commands that take no mode options (--reason, --for, --at, --wait). */
static int is_plain_command(const char *command)
{
    return strcmp(command, "status") == 0 || is_drain_command(command)
           || strcmp(command, "normal") == 0 || strcmp(command, "cancel") == 0;
}

/* Commands that change nothing and take no mode options. */
static int is_bypass_command(const char *command)
{
    return strcmp(command, "bypass-url") == 0;
}

static void parse_args(apr_pool_t *p, int argc, const char *const *argv,
                       ctl_args_t *a)
{
    apr_getopt_t *os;
    const char *arg;
    apr_status_t rv;
    int opt, pass;

    memset(a, 0, sizeof(*a));
    /* Options may come before and after the command.  Two passes rather
     * than apr_getopt's interleave, which loses track of option values
     * that follow the command: in the second pass the command stands
     * where the program name would. */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            /* apr_getopt names argv[0] in its messages: not the command */
            const char **rest = apr_pmemdup(p, argv, sizeof(*argv) * argc);

            rest[0] = "upkeepctl";
            argv = rest;
        }
        apr_getopt_init(&os, p, argc, argv);
        os->errfn = getopt_error;
        while ((rv = apr_getopt_long(os, options, &opt, &arg))
               == APR_SUCCESS) {
            handle_option(p, a, opt, arg);
        }
        if (rv != APR_EOF) {
            fail_usage("bad arguments");
        }
        if (pass == 0) {
            if (os->ind >= argc) {
                fail_usage("no command given");
            }
            a->command = argv[os->ind];
            argc -= os->ind;
            argv += os->ind;
        }
        else if (os->ind < argc) {
            fail_usage("unexpected argument '%s'", argv[os->ind]);
        }
    }
    if (!is_plain_command(a->command) && !is_bypass_command(a->command)
        && upkeep_mode_from_name(a->command) == UPKEEP_MODE_COUNT) {
        fail_usage("unknown command '%s' (expected status, normal, hold, "
                   "readonly, maintenance, drain, undrain, cancel or bypass-url)",
                   a->command);
    }
    if (is_bypass_command(a->command)
        && (a->cluster || a->wait || a->timeout || a->hold_max
            || a->memcached || a->secret_file || a->reason || a->retry_after
            || a->duration)) {
        fail_usage("bypass-url takes only --scope, --state-dir and --json");
    }
    if (is_drain_command(a->command) && a->cluster) {
        fail_usage("%s is node-local: --cluster %s would take every node out "
                   "of the load balancer at once", a->command, a->command);
    }
    if (is_drain_command(a->command) && a->scope) {
        fail_usage("%s is node-wide (the health check answers for every "
                   "scope): --scope does not go with it", a->command);
    }
    if (a->hold_max && strcmp(a->command, "hold") != 0) {
        fail_usage("--max only goes with hold");
    }
    if ((a->wait || a->timeout) && is_plain_command(a->command)) {
        fail_usage("%s does not go with %s", a->wait ? "--wait" : "--timeout",
                   a->command);
    }
    if (a->timeout && !a->wait) {
        fail_usage("--timeout goes with --wait");
    }
    if ((a->memcached || a->secret_file) && !a->cluster) {
        fail_usage("--memcached and --secret-file go with --cluster");
    }
    if (a->json && strcmp(a->command, "status") != 0
        && !is_bypass_command(a->command)) {
        fail_usage("--json only goes with status and bypass-url");
    }
    if (a->at && a->wait) {
        fail_usage("--wait does not go with --at: the window starts later");
    }
    if (is_plain_command(a->command)) {
        const char *extra = a->reason ? "--reason"
                            : a->retry_after ? "--retry-after"
                            : a->duration ? "--for"
                            : a->at ? "--at" : NULL;

        if (extra) {
            fail_usage("%s does not go with %s", extra, a->command);
        }
    }
    if (!a->state_dir) {
        a->state_dir = getenv(UPKEEP_STATE_DIR_ENV);
        if (!a->state_dir || !*a->state_dir) {
            a->state_dir = UPKEEP_DEFAULT_STATE_DIR;
        }
    }
}

/* "alice@web1"; under sudo, the person behind it. */
static void who_am_i(apr_pool_t *p, char *out)
{
    const char *user = getenv("SUDO_USER");
    char host[APRMAXHOSTLEN + 1] = "localhost";
    struct passwd *pw;

    if (getuid() != 0 || !user || upkeep_check_reason(user)) {
        pw = getpwuid(getuid());
        user = pw ? pw->pw_name : apr_psprintf(p, "uid%lu",
                                               (unsigned long)getuid());
    }
    apr_gethostname(host, sizeof(host), p);
    apr_snprintf(out, UPKEEP_WHO_MAX, "%s@%s", user, host);
    if (upkeep_check_reason(out)) {
        apr_cpystrn(out, "unknown", UPKEEP_WHO_MAX);
    }
}

static void check_access(const char *dir, int write)
{
    if (access(dir, F_OK) != 0 && errno == ENOENT) {
        if (!write) {
            return;     /* no state yet: every scope is normal */
        }
        fail("state directory %s does not exist (start httpd with "
             "mod_upkeep first, or give --state-dir)", dir);
    }
    if (access(dir, write ? (R_OK | W_OK | X_OK) : (R_OK | X_OK)) != 0) {
        fail("permission denied: cannot %s the state directory %s (run as "
             "root or as a member of its group, see UpkeepControlGroup)",
             write ? "write" : "read", dir);
    }
}

/* The cluster configuration: httpd's record, overridden by options. */
static void cluster_conf(apr_pool_t *p, const ctl_args_t *a,
                         upkeep_cluster_conf_t *cc)
{
    char err[UPKEEP_ERRMSG_MAX];
    apr_status_t rv = upkeep_cluster_conf_load(p, a->state_dir, cc, err);
    const char *why;

    if (rv != APR_SUCCESS && !(APR_STATUS_IS_ENOENT(rv) && a->memcached)) {
        if (APR_STATUS_IS_ENOENT(rv)) {
            fail("no memcached servers: httpd has no UpkeepMemcached (no "
                 "%s/%s); give --memcached", a->state_dir,
                 UPKEEP_CLUSTER_CONF);
        }
        fail("%s", err);
    }
    if (a->memcached) {
        upkeep_cluster_parse_servers(p, a->memcached, cc);
    }
    if (a->secret_file) {
        cc->secret_file = a->secret_file;
    }
    if (cc->secret_file) {
        if ((why = upkeep_cluster_read_secret(p, cc->secret_file, cc))) {
            fail("%s", why);
        }
    }
    else {
        fprintf(stderr, "upkeepctl: warning: no secret file: cluster values "
                "are not signed\n");
    }
}

/* The cluster record this node holds: the newer of its file and its live
 * slot (the poller keeps it only in the live file). */
static void held_cluster_record(apr_pool_t *p, const char *dir,
                                const char *scope, upkeep_slot_t *slot,
                                upkeep_record_t *held)
{
    upkeep_record_t live[UPKEEP_LAYER_COUNT];
    char err[UPKEEP_ERRMSG_MAX];
    int mode, layer;
    apr_status_t rv;

    rv = upkeep_state_load(p, dir, scope, UPKEEP_LAYER_CLUSTER, held, err);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        fail("%s; not changed (remove the file to reset scope '%s')", err,
             scope);
    }
    if (slot) {
        upkeep_slot_read(slot, 0, &mode, &layer, live, 1);
        if (upkeep_record_newer(&live[UPKEEP_LAYER_CLUSTER], held) > 0) {
            *held = live[UPKEEP_LAYER_CLUSTER];
        }
    }
}

/* The memcached servers as one --cluster command sees them. */
typedef struct {
    upkeep_mc_t *mc;
    const char *key;
    int answered[UPKEEP_MAX_SERVERS];
} cluster_link_t;

/* Reads the scope's value on every server; *newest becomes the newest of
 * what this node holds and what they hold, so that the command is checked
 * against the cluster as it is, not against this node's copy (a sync
 * interval old, or any age where httpd does not run). */
static void cluster_read(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                         const char *scope, cluster_link_t *cl,
                         upkeep_record_t *newest)
{
    char err[UPKEEP_ERRMSG_MAX];
    int i, answered = 0;

    cl->key = upkeep_cluster_key(p, cc, scope);
    if (upkeep_mc_open(p, cc, &cl->mc, err) != APR_SUCCESS) {
        fail("%s; not changed", err);
    }
    for (i = 0; i < cc->nservers; i++) {
        upkeep_record_t there;
        char *value;
        apr_size_t len;
        upkeep_get_e r = upkeep_mc_get(cl->mc, i, p, cl->key, &value, &len,
                                       err);

        cl->answered[i] = r != UPKEEP_GET_ERROR;
        if (!cl->answered[i]) {
            fprintf(stderr, "upkeepctl: warning: %s\n", err);
            continue;
        }
        answered++;
        if (r == UPKEEP_GET_FOUND
            && upkeep_value_decode(p, cc, scope, value, len, &there, err)
               == APR_SUCCESS
            && upkeep_record_newer(&there, newest) > 0) {
            *newest = there;
        }
    }
    if (!answered) {
        fail("no memcached server answered; not changed");
    }
}

/* Stores rec on every server that answered cluster_read(); returns how
 * many took it. */
static int cluster_write(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                         const char *scope, const cluster_link_t *cl,
                         upkeep_record_t *rec)
{
    const char *value = upkeep_value_sign(p, cc, scope, rec);
    char err[UPKEEP_ERRMSG_MAX];
    int i, stored = 0;

    for (i = 0; i < cc->nservers; i++) {
        if (!cl->answered[i]) {
            continue;
        }
        if (upkeep_mc_set(cl->mc, i, cl->key, value, err) == APR_SUCCESS) {
            stored++;
        }
        else {
            fprintf(stderr, "upkeepctl: warning: %s\n", err);
        }
    }
    if (!stored) {
        fail("no memcached server stored the new mode; not changed");
    }
    return stored;
}

/* Every node that reported writes for the scope in the last half minute
 * (the others are gone) must have seen `version` and report none in
 * flight.  Returns the number of nodes still busy; *busy names one. */
static int cluster_busy_nodes(apr_pool_t *p, upkeep_mc_t *mc,
                              const upkeep_cluster_conf_t *cc,
                              const char *scope, uint64_t version,
                              int *nodes, const char **busy)
{
    apr_hash_t *seen = apr_hash_make(p);
    char err[UPKEEP_ERRMSG_MAX];
    int64_t now = apr_time_sec(apr_time_now());
    int i, pending = 0;

    *nodes = 0;
    for (i = 0; i < cc->nservers; i++) {
        char *list, *node, *last;
        apr_size_t len;

        if (upkeep_mc_get(mc, i, p, upkeep_nodes_key(p, cc), &list, &len,
                          err) != UPKEEP_GET_FOUND) {
            continue;
        }
        for (node = apr_strtok(list, " ", &last); node;
             node = apr_strtok(NULL, " ", &last)) {
            char *value;
            uint64_t v;
            int64_t n, when;

            if (apr_hash_get(seen, node, APR_HASH_KEY_STRING)) {
                continue;
            }
            apr_hash_set(seen, node, APR_HASH_KEY_STRING, node);
            if (upkeep_mc_get(mc, i, p, upkeep_writes_key(p, cc, scope, node),
                              &value, &len, err) != UPKEEP_GET_FOUND
                || !upkeep_writes_parse(value, &v, &n, &when)
                || when < now - 30) {
                continue;   /* gone */
            }
            (*nodes)++;
            if (v < version || n > 0) {
                pending++;
                *busy = apr_psprintf(p, "%s (%s%" APR_INT64_T_FMT
                                     " in flight)", node, v < version
                                     ? "has not seen the flip yet, " : "",
                                     (apr_int64_t)n);
            }
        }
    }
    return pending;
}

/* --wait: until no write of the scope is in flight on this node (and,
 * with --cluster, on every node).  Writes that started before the flip
 * finish; new ones are refused or held. */
static int wait_for_writes(apr_pool_t *p, const ctl_args_t *a,
                           const char *scope, upkeep_slot_t *slot,
                           const upkeep_cluster_conf_t *cc, uint64_t version)
{
    apr_interval_time_t timeout = a->timeout ? a->timeout
                                             : DEFAULT_WAIT_TIMEOUT;
    apr_time_t deadline = apr_time_now() + timeout;
    int64_t left = 0;
    upkeep_mc_t *mc;
    char err[UPKEEP_ERRMSG_MAX];
    int nodes = 0;

    while (slot && (left = atomic_load(&slot->inflight_writes)) > 0) {
        if (apr_time_now() >= deadline) {
            fail("timed out after %" APR_TIME_T_FMT " ms: %" APR_INT64_T_FMT
                 " write%s of scope '%s' still in flight on this node",
                 apr_time_as_msec(timeout), left, left == 1 ? "" : "s",
                 scope);
        }
        apr_sleep(apr_time_from_msec(10));
    }
    if (!cc) {
        printf("scope %s: no write in flight on this node\n", scope);
        return EXIT_SUCCESS;
    }
    if (upkeep_mc_open(p, cc, &mc, err) != APR_SUCCESS) {
        fail("%s", err);
    }
    for (;;) {
        apr_pool_t *round;
        const char *busy = NULL;
        int pending;

        apr_pool_create(&round, p);
        pending = cluster_busy_nodes(round, mc, cc, scope, version, &nodes,
                                     &busy);
        if (!pending) {
            apr_pool_destroy(round);
            break;
        }
        if (apr_time_now() >= deadline) {
            fail("timed out after %" APR_TIME_T_FMT " ms: %d of %d nodes "
                 "still busy with scope '%s', e.g. %s",
                 apr_time_as_msec(timeout), pending, nodes, scope, busy);
        }
        apr_pool_destroy(round);
        apr_sleep(apr_time_from_msec(50));
    }
    printf("scope %s: no write in flight on any of %d node%s\n", scope,
           nodes, nodes == 1 ? "" : "s");
    return EXIT_SUCCESS;
}

static int drain(apr_pool_t *p, const ctl_args_t *a)
{
    const char *path = apr_pstrcat(p, a->state_dir, "/" UPKEEP_DRAIN_FILE,
                                   NULL);
    int on = strcmp(a->command, "drain") == 0;
    int64_t now = apr_time_sec(apr_time_now());
    upkeep_live_map_t map;
    upkeep_live_t *live;
    char err[UPKEEP_ERRMSG_MAX], who[UPKEEP_WHO_MAX];
    apr_file_t *lock;
    apr_status_t rv;

    check_access(a->state_dir, 1);
    if (upkeep_lock_acquire(p, a->state_dir, &lock, err) != APR_SUCCESS) {
        fail("%s", err);
    }
    /* a live file httpd cannot use fails here, before the drain file says
     * otherwise; none at all (httpd not started yet) is fine */
    rv = upkeep_live_attach(p, a->state_dir, &map, err);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        fail("%s; not changed", err);
    }
    live = rv == APR_SUCCESS ? map.live : NULL;
    who_am_i(p, who);
    if (on) {
        rv = upkeep_file_replace(p, path, apr_psprintf(p, "drained since %s "
                                 "by %s\n", upkeep_iso_time(p, now), who),
                                 APR_FPROT_UREAD | APR_FPROT_UWRITE
                                 | APR_FPROT_GREAD | APR_FPROT_GWRITE, err);
        if (rv != APR_SUCCESS) {
            fail("%s; not changed", err);
        }
    }
    else if ((rv = apr_file_remove(path, p)) != APR_SUCCESS
             && !APR_STATUS_IS_ENOENT(rv)) {
        fail("cannot remove %s: %pm; not changed", path, &rv);
    }
    if (live) {
        atomic_store(&live->drain.since, on ? now : 0);
        atomic_store(&live->drain.drained, (uint32_t)on);
    }
    apr_file_close(lock);
    printf(on ? "this node is drained: its health check answers 503\n"
              : "this node is undrained: its health check answers 200\n");
    return EXIT_SUCCESS;
}

/* A layer holds one record: what is in force now, or one window that has
 * not started.  So a window is scheduled only over a normal layer, cancel
 * needs a pending window, and a flip that replaces a pending window says
 * so.  Fails (nothing written) when the command does not fit. */
static void check_window(apr_pool_t *p, const ctl_args_t *a,
                         const char *scope, const upkeep_record_t *old,
                         int64_t now)
{
    const char *cl = a->cluster ? " --cluster" : "";
    int in_force = upkeep_mode_at(old, now);

    if (strcmp(a->command, "cancel") == 0) {
        if (upkeep_window_pending(old, now)) {
            return;
        }
        if (old->starts && in_force != UPKEEP_MODE_NORMAL) {
            fail("scope '%s': its %s window already started at %s (end it "
                 "with upkeepctl%s normal); not changed", scope,
                 upkeep_mode_name(old->mode),
                 upkeep_iso_time(p, old->starts), cl);
        }
        fail("scope '%s' has no scheduled window%s; not changed", scope,
             a->cluster ? " in the cluster layer" : "");
    }
    if (a->at && in_force != UPKEEP_MODE_NORMAL) {
        fail("scope '%s' is in %s mode now: a window can be scheduled only "
             "while the scope is normal (run upkeepctl%s normal first); not "
             "changed", scope, upkeep_mode_name(in_force), cl);
    }
    if (upkeep_window_pending(old, now)) {
        fprintf(stderr, "upkeepctl: note: this replaces the %s window "
                "scheduled for %s\n", upkeep_mode_name(old->mode),
                upkeep_iso_time(p, old->starts));
    }
}

/* What a flip did, in words. */
static const char *flip_summary(apr_pool_t *p, const ctl_args_t *a,
                                const upkeep_record_t *old,
                                const upkeep_record_t *rec)
{
    if (strcmp(a->command, "cancel") == 0) {
        return apr_psprintf(p, "the %s window scheduled for %s is cancelled",
                            upkeep_mode_name(old->mode),
                            upkeep_iso_time(p, old->starts));
    }
    if (rec->starts) {
        return apr_psprintf(p, "%s scheduled from %s%s%s", a->command,
                            upkeep_iso_time(p, rec->starts),
                            rec->until ? " to " : " (no end)",
                            upkeep_iso_time(p, rec->until));
    }
    return a->command;
}

/* bypass.conf has a line per virtual host and scope: mass hosting can make
 * it large, but megabytes mean it is something else. */
#define BYPASS_CONF_MAX (16 * 1024 * 1024)

/* What httpd recorded at startup in STATE_DIR/bypass.conf: the token is
 * there, so this needs no secret, and it is the one httpd accepts. */
static int bypass_url(apr_pool_t *p, const ctl_args_t *a)
{
    const char *scope = a->scope ? a->scope : UPKEEP_DEFAULT_SCOPE;
    const char *path = apr_pstrcat(p, a->state_dir, "/" UPKEEP_BYPASS_CONF,
                                   NULL);
    const char *known = NULL;
    char *buf, *line, *last;
    const char *json = "";
    char err[UPKEEP_ERRMSG_MAX];
    apr_size_t len;
    apr_status_t rv;
    int printed = 0, lineno = 0;

    rv = upkeep_file_read_all(p, path, BYPASS_CONF_MAX, &buf, &len, err);
    if (APR_STATUS_IS_ENOENT(rv)) {
        fail("no staff bypass: httpd has no UpkeepBypassSecret (no %s; "
             "httpd writes it at startup)", path);
    }
    if (APR_STATUS_IS_EACCES(rv)) {
        fail("permission denied: cannot read %s (run as root or as a member "
             "of its group, see UpkeepControlGroup)", path);
    }
    if (rv == APR_ENOSPC) {
        fail("%s is larger than %d bytes: not written by mod_upkeep?", path,
             BYPASS_CONF_MAX);
    }
    if (rv != APR_SUCCESS) {
        fail("%s", err);
    }
    for (line = apr_strtok(buf, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        char *url;

        lineno++;
        if (line[0] == '#') {
            continue;
        }
        if (strncmp(line, "scopes ", 7) == 0) {
            known = line + 7;
            continue;
        }
        url = strncmp(line, "url ", 4) == 0 ? strchr(line + 4, ' ') : NULL;
        if (!url) {
            fail("%s: line %d is not understood (written by another "
                 "version of mod_upkeep? restart httpd)", path, lineno);
        }
        *url++ = '\0';
        if (strcmp(line + 4, scope) == 0 && a->json) {
            json = apr_pstrcat(p, json, printed++ ? "," : "",
                               upkeep_json_str(p, url), NULL);
        }
        else if (strcmp(line + 4, scope) == 0) {
            printf("%s\n", url);
            printed++;
        }
    }
    if (printed && a->json) {
        printf("{\"scope\":%s,\"urls\":[%s]}\n", upkeep_json_str(p, scope),
               json);
    }
    if (printed) {
        return EXIT_SUCCESS;
    }
    if (known && strstr(apr_pstrcat(p, " ", known, " ", NULL),
                        apr_pstrcat(p, " ", scope, " ", NULL))) {
        fail("no staff bypass for scope '%s': no virtual host with "
             "UpkeepBypassSecret uses it", scope);
    }
    fail("unknown scope '%s': httpd's configuration names %s", scope,
         known ? known : "none");
}

static int flip(apr_pool_t *p, const ctl_args_t *a)
{
    const char *scope = a->scope ? a->scope : UPKEEP_DEFAULT_SCOPE;
    int cancel = strcmp(a->command, "cancel") == 0;
    int layer = a->cluster ? UPKEEP_LAYER_CLUSTER : UPKEEP_LAYER_LOCAL;
    upkeep_cluster_conf_t cc;
    cluster_link_t link;
    upkeep_record_t old, rec;
    upkeep_live_map_t map;
    upkeep_live_t *live = NULL;
    upkeep_slot_t *slot = NULL;
    char err[UPKEEP_ERRMSG_MAX];
    apr_file_t *lock;
    apr_status_t rv;
    int64_t now = apr_time_sec(apr_time_now());
    int stored = 0;

    check_access(a->state_dir, 1);
    if (a->cluster) {
        cluster_conf(p, a, &cc);
    }
    if (upkeep_lock_acquire(p, a->state_dir, &lock, err) != APR_SUCCESS) {
        fail("%s", err);
    }
    rv = upkeep_live_attach(p, a->state_dir, &map, err);
    if (rv == APR_SUCCESS) {
        live = map.live;
        slot = upkeep_live_slot(live, scope, 0);
    }
    else if (!APR_STATUS_IS_ENOENT(rv)) {
        fail("%s; not changed", err);
    }
    if (a->cluster) {
        held_cluster_record(p, a->state_dir, scope, slot, &old);
        cluster_read(p, &cc, scope, &link, &old);
    }
    else {
        rv = upkeep_state_load(p, a->state_dir, scope, layer, &old, err);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
            fail("%s; not changed (remove the file to reset scope '%s')",
                 err, scope);
        }
    }

    check_window(p, a, scope, &old, now);
    memset(&rec, 0, sizeof(rec));
    rec.mode = cancel ? UPKEEP_MODE_NORMAL : upkeep_mode_from_name(a->command);
    rec.retry_after = a->retry_after;
    rec.since = now;
    rec.starts = a->at;
    rec.until = a->duration ? (a->at ? a->at : now)
                              + apr_time_sec(a->duration) : 0;
    if (old.version >= (uint64_t)APR_INT64_MAX) {
        fail("scope '%s' is at the largest version there is; not changed",
             scope);
    }
    rec.version = old.version + 1;
    rec.hold_max_ms = (int32_t)apr_time_as_msec(a->hold_max);
    who_am_i(p, rec.changed_by);
    if (a->reason) {
        apr_cpystrn(rec.reason, a->reason, UPKEEP_REASON_MAX);
    }
    /* A new scope's live slot is claimed only now that the command fits
     * (a refused one must not use one of the few up), and before anything
     * is written, so a full live file leaves nothing half done. */
    if (live && !slot && !(slot = upkeep_live_slot(live, scope, 1))) {
        fail("no free slot for scope '%s' in the live state (at most %d "
             "scopes); not changed", scope, UPKEEP_MAX_SCOPES);
    }
    if (a->cluster) {
        stored = cluster_write(p, &cc, scope, &link, &rec);
    }
    if (upkeep_state_save(p, a->state_dir, scope, layer, &rec,
                          APR_FPROT_UREAD | APR_FPROT_UWRITE
                          | APR_FPROT_GREAD | APR_FPROT_GWRITE,
                          err) != APR_SUCCESS) {
        fail("%s; %s", err, a->cluster ? "published to memcached, but not "
             "applied here" : "not changed");
    }
    if (slot) {
        upkeep_slot_publish(slot, layer, &rec);
    }
    apr_file_close(lock);
    if (a->cluster) {
        printf("scope %s: %s cluster-wide (version %" APR_UINT64_T_FMT
               ", stored on %d of %d memcached servers)\n", scope,
               flip_summary(p, a, &old, &rec), (apr_uint64_t)rec.version,
               stored, cc.nservers);
    }
    else {
        printf("scope %s: %s (version %" APR_UINT64_T_FMT ")%s\n", scope,
               flip_summary(p, a, &old, &rec), (apr_uint64_t)rec.version,
               slot ? "" : "; httpd applies it when it starts");
    }
    fflush(stdout);
    return a->wait ? wait_for_writes(p, a, scope, slot, a->cluster ? &cc
                                                               : NULL,
                                     rec.version)
                   : EXIT_SUCCESS;
}

/* --- status ---------------------------------------------------------- */

static void add_name(apr_pool_t *p, apr_array_header_t *names,
                     const char *name, apr_size_t len)
{
    char *n = apr_pstrmemdup(p, name, len);
    int j;

    if (upkeep_check_scope_name(n)) {
        return;
    }
    for (j = 0; j < names->nelts; j++) {
        if (strcmp(APR_ARRAY_IDX(names, j, const char *), n) == 0) {
            return;
        }
    }
    APR_ARRAY_PUSH(names, const char *) = n;
}

/* Every scope with a state file or a live slot, sorted. */
static apr_array_header_t *known_scopes(apr_pool_t *p, const char *dir,
                                        const upkeep_live_t *live)
{
    apr_array_header_t *names = apr_array_make(p, 8, sizeof(const char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_size_t len;
    int i, j;

    if (apr_dir_open(&d, dir, p) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
            if (upkeep_has_suffix(fi.name, UPKEEP_STATE_SUFFIX, &len)
                || upkeep_has_suffix(fi.name, UPKEEP_CLUSTER_SUFFIX, &len)) {
                add_name(p, names, fi.name, len);
            }
        }
        apr_dir_close(d);
    }
    for (i = 0; live && i < UPKEEP_MAX_SCOPES; i++) {
        if (!atomic_load(&live->slots[i].in_use)) {
            break;
        }
        add_name(p, names, live->slots[i].name,
                 strnlen(live->slots[i].name, UPKEEP_SCOPE_NAME_MAX));
    }
    if (names->nelts == 0) {
        APR_ARRAY_PUSH(names, const char *) = UPKEEP_DEFAULT_SCOPE;
    }
    /* few names: insertion sort */
    for (i = 1; i < names->nelts; i++) {
        const char *v = APR_ARRAY_IDX(names, i, const char *);

        for (j = i; j > 0 && strcmp(APR_ARRAY_IDX(names, j - 1,
                                                  const char *), v) > 0; j--) {
            APR_ARRAY_IDX(names, j, const char *) =
                APR_ARRAY_IDX(names, j - 1, const char *);
        }
        APR_ARRAY_IDX(names, j, const char *) = v;
    }
    return names;
}


/* What each memcached server holds for a scope (status --cluster). */
static const char *memcached_view(apr_pool_t *p, upkeep_mc_t *mc,
                                  const upkeep_cluster_conf_t *cc,
                                  const char *scope, int json)
{
    const char *key = upkeep_cluster_key(p, cc, scope), *out = "";
    char err[UPKEEP_ERRMSG_MAX];
    int i;

    for (i = 0; i < cc->nservers; i++) {
        upkeep_record_t rec;
        char *value;
        apr_size_t len;
        const char *what;
        upkeep_get_e r = upkeep_mc_get(mc, i, p, key, &value, &len, err);

        if (r == UPKEEP_GET_ERROR) {
            what = "no answer";
        }
        else if (r == UPKEEP_GET_MISSING) {
            what = "missing";
        }
        else if (upkeep_value_decode(p, cc, scope, value, len, &rec, err)
                 != APR_SUCCESS) {
            what = apr_pstrcat(p, "invalid: it ", err, NULL);
        }
        else {
            what = apr_psprintf(p, "%s (version %" APR_UINT64_T_FMT ")",
                                upkeep_mode_name(rec.mode),
                                (apr_uint64_t)rec.version);
        }
        out = json ? apr_psprintf(p, "%s%s{\"server\":%s,\"value\":%s}", out,
                                  i ? "," : "", upkeep_json_str(p, upkeep_mc_server_name(mc, i)),
                                  upkeep_json_str(p, what))
                   : apr_psprintf(p, "%s\n  memcached:   %s %s", out,
                                  upkeep_mc_server_name(mc, i), what);
    }
    return out;
}

/* 5400 -> "1h 30m": the two largest units. */
static const char *human_duration(apr_pool_t *p, int64_t secs)
{
    static const struct { const char *unit; int64_t secs; } units[] = {
        { "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 }
    };
    int i;

    for (i = 0; i < 3 && secs < units[i].secs; i++)
        ;
    if (i == 3 || secs % units[i].secs / units[i + 1].secs == 0) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT "%s",
                            secs / units[i].secs, units[i].unit);
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT "%s %" APR_INT64_T_FMT "%s",
                        secs / units[i].secs, units[i].unit,
                        secs % units[i].secs / units[i + 1].secs,
                        units[i + 1].unit);
}

static const char *json_layer(apr_pool_t *p, const upkeep_record_t *r,
                              int64_t now)
{
    return apr_psprintf(p, "{\"mode\":%s,\"set_mode\":%s,\"reason\":%s,"
                        "\"since\":%s,\"starts\":%s,\"until\":%s,"
                        "\"pending\":%s,\"retry_after\":%d,"
                        "\"version\":%" APR_UINT64_T_FMT ",\"changed_by\":%s}",
                        upkeep_json_str(p, upkeep_mode_name(upkeep_mode_at(r, now))),
                        upkeep_json_str(p, upkeep_mode_name(r->mode)),
                        upkeep_json_str(p, r->reason), upkeep_json_time(p, r->since),
                        upkeep_json_time(p, r->starts),
                        upkeep_json_time(p, r->until),
                        upkeep_window_pending(r, now) ? "true" : "false",
                        (int)r->retry_after,
                        (apr_uint64_t)r->version, upkeep_json_str(p, r->changed_by));
}

static int status(apr_pool_t *p, const ctl_args_t *a)
{
    upkeep_live_map_t map;
    upkeep_live_t *live = NULL;
    upkeep_cluster_conf_t cc;
    upkeep_mc_t *mc = NULL;
    apr_array_header_t *names;
    char err[UPKEEP_ERRMSG_MAX];
    int64_t now = apr_time_sec(apr_time_now());
    int i, l, failed = 0, printed = 0, have_cluster;

    check_access(a->state_dir, 0);
    if (upkeep_live_attach(p, a->state_dir, &map, err) == APR_SUCCESS) {
        live = map.live;
    }
    have_cluster = upkeep_cluster_conf_load(p, a->state_dir, &cc, err)
                   == APR_SUCCESS;
    if (a->cluster) {
        cluster_conf(p, a, &cc);
        have_cluster = 1;
        if (upkeep_mc_open(p, &cc, &mc, err) != APR_SUCCESS) {
            fail("%s", err);
        }
    }
    if (a->scope) {
        names = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(names, const char *) = a->scope;
    }
    else {
        names = known_scopes(p, a->state_dir, live);
    }
    if (a->json) {
        printf("{\"state_dir\":%s,\"scopes\":[", upkeep_json_str(p, a->state_dir));
    }
    /* a scope whose file cannot be read is reported on stderr, not in
     * the JSON array: count what was printed for the separators */
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        upkeep_slot_t *slot = live ? upkeep_live_slot(live, name, 0) : NULL;
        upkeep_record_t rec[UPKEEP_LAYER_COUNT], live_rec[UPKEEP_LAYER_COUNT];
        const upkeep_record_t *r;
        const char *live_state = "none";
        int mode, layer, bad = 0;

        for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
            apr_status_t rv = upkeep_state_load(p, a->state_dir, name, l,
                                                &rec[l], err);

            if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
                fprintf(stderr, "upkeepctl: %s\n", err);
                bad = failed = 1;
            }
        }
        if (bad) {
            continue;
        }
        if (slot) {
            upkeep_slot_read(slot, now, &mode, &layer, live_rec, 1);
            /* the poller keeps a newer cluster layer only in memory */
            if (upkeep_record_newer(&live_rec[UPKEEP_LAYER_CLUSTER],
                                    &rec[UPKEEP_LAYER_CLUSTER]) > 0) {
                rec[UPKEEP_LAYER_CLUSTER] = live_rec[UPKEEP_LAYER_CLUSTER];
            }
            live_state = live_rec[0].version == rec[0].version
                         && live_rec[1].version == rec[1].version
                         ? "in sync"
                         : "differs (httpd applies the files when it "
                           "starts)";
        }
        layer = upkeep_layer_in_force(rec, now);
        r = &rec[layer];
        mode = upkeep_mode_at(r, now);
        if (a->json) {
            printf("%s{\"scope\":%s,\"mode\":%s,\"layer\":%s,\"set_mode\":%s,"
                   "\"reason\":%s,\"since\":%s,\"until\":%s,"
                   "\"expired\":%s,\"retry_after\":%d,\"version\":%"
                   APR_UINT64_T_FMT ",\"changed_by\":%s,\"live\":%s,"
                   "\"local\":%s,\"cluster\":%s,\"inflight_writes\":%"
                   APR_INT64_T_FMT ",\"held\":%" APR_INT64_T_FMT "%s%s%s}",
                   printed++ ? "," : "", upkeep_json_str(p, name),
                   upkeep_json_str(p, upkeep_mode_name(mode)),
                   upkeep_json_str(p, upkeep_layer_names[layer]),
                   upkeep_json_str(p, upkeep_mode_name(r->mode)),
                   upkeep_json_str(p, r->reason), upkeep_json_time(p, r->since),
                   upkeep_json_time(p, r->until),
                   mode != r->mode && !upkeep_window_pending(r, now)
                   ? "true" : "false", (int)r->retry_after,
                   (apr_uint64_t)r->version, upkeep_json_str(p, r->changed_by),
                   upkeep_json_str(p, live_state), json_layer(p, &rec[0], now),
                   json_layer(p, &rec[1], now),
                   (apr_int64_t)(slot ? atomic_load(&slot->inflight_writes) : 0),
                   (apr_int64_t)(slot ? atomic_load(&slot->held_now) : 0),
                   mc ? ",\"memcached\":[" : "",
                   mc ? memcached_view(p, mc, &cc, name, 1) : "",
                   mc ? "]" : "");
            continue;
        }
        printf("scope %s: %s", name, upkeep_mode_name(mode));
        if (mode != r->mode && !upkeep_window_pending(r, now)) {
            printf(" (%s ended at %s)", upkeep_mode_name(r->mode),
                   upkeep_iso_time(p, r->until));
        }
        for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
            if (upkeep_window_pending(&rec[l], now)) {
                printf("\n  scheduled:   %s from %s%s%s (in %s)%s%s",
                       upkeep_mode_name(rec[l].mode),
                       upkeep_iso_time(p, rec[l].starts),
                       rec[l].until ? " to " : ", no end",
                       upkeep_iso_time(p, rec[l].until),
                       human_duration(p, rec[l].starts - now),
                       have_cluster ? ", " : "",
                       have_cluster ? upkeep_layer_names[l] : "");
            }
        }
        printf("\n  reason:      %s\n", r->reason[0] ? r->reason : "-");
        printf("  since:       %s\n", r->since ? upkeep_iso_time(p, r->since) : "-");
        printf("  until:       %s\n", r->until ? upkeep_iso_time(p, r->until) : "-");
        if (r->retry_after) {
            printf("  retry-after: %d\n", (int)r->retry_after);
        }
        else {
            printf("  retry-after: -\n");
        }
        printf("  version:     %" APR_UINT64_T_FMT "\n",
               (apr_uint64_t)r->version);
        printf("  changed-by:  %s\n", r->changed_by[0] ? r->changed_by : "-");
        if (have_cluster) {
            printf("  layer:       %s\n", upkeep_layer_names[layer]);
            for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
                printf("  %s:%s%s (version %" APR_UINT64_T_FMT ")\n",
                       upkeep_layer_names[l], l ? "     " : "       ",
                       upkeep_mode_name(upkeep_mode_at(&rec[l], now)),
                       (apr_uint64_t)rec[l].version);
            }
        }
        if (slot) {
            printf("  writes:      %" APR_INT64_T_FMT " in flight, %"
                   APR_INT64_T_FMT " held\n",
                   (apr_int64_t)atomic_load(&slot->inflight_writes),
                   (apr_int64_t)atomic_load(&slot->held_now));
        }
        printf("  live:        %s", live_state);
        printf("%s\n", mc ? memcached_view(p, mc, &cc, name, 0) : "");
    }
    if (a->json) {
        printf("]");
        if (live) {
            printf(",\"drained\":%s,\"drained_since\":%s",
                   atomic_load(&live->drain.drained) ? "true" : "false",
                   upkeep_json_time(p, atomic_load(&live->drain.since)));
        }
        if (live && have_cluster) {
            int64_t ok = atomic_load(&live->sync.last_ok);

            printf(",\"sync\":{\"last_ok\":%s,\"age\":%s,\"failing\":%s}",
                   upkeep_json_time(p, ok),
                   ok ? apr_psprintf(p, "%" APR_INT64_T_FMT, now - ok)
                      : "null",
                   atomic_load(&live->sync.failing) ? "true" : "false");
        }
        printf("}\n");
    }
    else if (have_cluster) {
        int64_t ok = live ? atomic_load(&live->sync.last_ok) : 0;

        if (ok) {
            printf("cluster sync: last good poll %s (%" APR_INT64_T_FMT
                   "s ago)%s\n", upkeep_iso_time(p, ok), now - ok,
                   atomic_load(&live->sync.failing) ? "; no memcached "
                   "server answers now" : "");
        }
        else {
            printf("cluster sync: no good poll yet\n");
        }
    }
    if (!a->json && live && atomic_load(&live->drain.drained)) {
        printf("drain: on since %s (the health check answers 503)\n",
               upkeep_iso_time(p, atomic_load(&live->drain.since)));
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    ctl_args_t args;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        fputs("upkeepctl: cannot initialise APR\n", stderr);
        return EXIT_FAILURE;
    }
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    /* Group members write files the group can use too. */
    umask(007);
    parse_args(p, argc, argv, &args);
    if (strcmp(args.command, "status") == 0) {
        return status(p, &args);
    }
    if (is_drain_command(args.command)) {
        return drain(p, &args);
    }
    if (is_bypass_command(args.command)) {
        return bypass_url(p, &args);
    }
    return flip(p, &args);  /* modes, and cancel */
}
