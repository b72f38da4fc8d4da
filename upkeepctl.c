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
#include "apr_network_io.h"
#include "apr_strings.h"

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
    "\n"
    "options for readonly and maintenance:\n"
    "  --reason TEXT          shown to users (UTF-8, at most 511 bytes)\n"
    "  --retry-after SECONDS  Retry-After of refusals (1-86400)\n"
    "  --for DURATION         return to normal by itself after DURATION\n"
    "                         (90s, 15m, 2h, 1d; at most 30d)\n"
    "\n"
    "  --state-dir DIR        default: $" UPKEEP_STATE_DIR_ENV ", else "
    UPKEEP_DEFAULT_STATE_DIR "\n"
    "  --scope NAME           default: " UPKEEP_DEFAULT_SCOPE "\n";

enum {
    OPT_STATE_DIR = 256, OPT_SCOPE, OPT_REASON, OPT_RETRY_AFTER, OPT_FOR,
    OPT_JSON, OPT_HELP
};

static const apr_getopt_option_t options[] = {
    { "state-dir",   OPT_STATE_DIR,   1, "state directory" },
    { "scope",       OPT_SCOPE,       1, "scope name" },
    { "reason",      OPT_REASON,      1, "reason shown to users" },
    { "retry-after", OPT_RETRY_AFTER, 1, "Retry-After seconds" },
    { "for",         OPT_FOR,         1, "duration of the mode" },
    { "json",        OPT_JSON,        0, "status as JSON" },
    { "help",        OPT_HELP,        0, "this help" },
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
} ctl_args_t;

static void fail_usage(const char *fmt, ...)
{
    va_list ap;

    fputs("upkeepctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see upkeepctl --help)\n", stderr);
    exit(EXIT_USAGE);
}

static void fail(const char *fmt, ...)
{
    va_list ap;

    fputs("upkeepctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_FAILURE);
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

static void handle_option(ctl_args_t *a, int opt, const char *arg)
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
        break;
    case OPT_JSON:
        a->json = 1;
        break;
    case OPT_HELP:
        fputs(usage_text, stdout);
        exit(EXIT_SUCCESS);
    }
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
            handle_option(a, opt, arg);
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
    if (strcmp(a->command, "status") != 0
        && upkeep_mode_from_name(a->command) == UPKEEP_MODE_COUNT) {
        fail_usage("unknown command '%s' (expected status, normal, "
                   "readonly or maintenance)", a->command);
    }
    if (a->json && strcmp(a->command, "status") != 0) {
        fail_usage("--json only goes with status");
    }
    if (strcmp(a->command, "status") == 0
        || strcmp(a->command, "normal") == 0) {
        const char *extra = a->reason ? "--reason"
                            : a->retry_after ? "--retry-after"
                            : a->duration ? "--for" : NULL;

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

static int flip(apr_pool_t *p, const ctl_args_t *a)
{
    const char *scope = a->scope ? a->scope : UPKEEP_DEFAULT_SCOPE;
    upkeep_record_t old, rec;
    upkeep_live_map_t map;
    upkeep_slot_t *slot = NULL;
    char err[UPKEEP_ERRMSG_MAX];
    apr_file_t *lock;
    apr_status_t rv;
    int64_t now = apr_time_sec(apr_time_now());

    check_access(a->state_dir, 1);
    if (upkeep_lock_acquire(p, a->state_dir, &lock, err) != APR_SUCCESS) {
        fail("%s", err);
    }
    rv = upkeep_state_load(p, a->state_dir, scope, &old, err);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        fail("%s; not changed (remove the file to reset scope '%s')", err,
             scope);
    }
    /* Claim the live slot before saving, so a full live file fails the
     * flip instead of leaving disk and memory apart. */
    rv = upkeep_live_attach(p, a->state_dir, &map, err);
    if (rv == APR_SUCCESS) {
        slot = upkeep_live_slot(map.live, scope, 1);
        if (!slot) {
            fail("no free slot for scope '%s' in the live state (at most %d "
                 "scopes); not changed", scope, UPKEEP_MAX_SCOPES);
        }
    }
    else if (!APR_STATUS_IS_ENOENT(rv)) {
        fail("%s; not changed", err);
    }

    memset(&rec, 0, sizeof(rec));
    rec.mode = upkeep_mode_from_name(a->command);
    rec.retry_after = a->retry_after;
    rec.since = now;
    rec.until = a->duration ? now + apr_time_sec(a->duration) : 0;
    rec.version = old.version + 1;
    who_am_i(p, rec.changed_by);
    if (a->reason) {
        apr_cpystrn(rec.reason, a->reason, UPKEEP_REASON_MAX);
    }
    if (upkeep_state_save(p, a->state_dir, scope, &rec,
                          APR_FPROT_UREAD | APR_FPROT_UWRITE
                          | APR_FPROT_GREAD | APR_FPROT_GWRITE,
                          err) != APR_SUCCESS) {
        fail("%s; not changed", err);
    }
    if (slot) {
        upkeep_slot_publish(slot, &rec);
    }
    apr_file_close(lock);
    printf("scope %s: %s (version %" APR_UINT64_T_FMT ")%s\n", scope,
           a->command, (apr_uint64_t)rec.version,
           slot ? "" : "; httpd applies it when it starts");
    return EXIT_SUCCESS;
}

/* --- status ---------------------------------------------------------- */

static const char *iso_time(apr_pool_t *p, int64_t t)
{
    apr_time_exp_t tm;
    char buf[32];
    apr_size_t len;

    if (t == 0) {
        return NULL;
    }
    apr_time_exp_gmt(&tm, apr_time_from_sec(t));
    apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return apr_pstrmemdup(p, buf, len);
}

/* Reasons and names are checked UTF-8 without control characters, so
 * only the quote and the backslash need escaping. */
static const char *json_str(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i;
    char *out = apr_palloc(p, 2 * n + 3), *o = out;

    *o++ = '"';
    for (i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            *o++ = '\\';
        }
        *o++ = s[i];
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static const char *json_time(apr_pool_t *p, int64_t t)
{
    return t ? json_str(p, iso_time(p, t)) : "null";
}

/* Every scope with a state file or a live slot, sorted. */
static apr_array_header_t *known_scopes(apr_pool_t *p, const char *dir,
                                        const upkeep_live_t *live)
{
    apr_array_header_t *names = apr_array_make(p, 8, sizeof(const char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    int i, j;

    if (apr_dir_open(&d, dir, p) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
            apr_size_t n = strlen(fi.name);
            apr_size_t sl = sizeof(UPKEEP_STATE_SUFFIX) - 1;
            char *name;

            if (n <= sl || strcmp(fi.name + n - sl, UPKEEP_STATE_SUFFIX)) {
                continue;
            }
            name = apr_pstrmemdup(p, fi.name, n - sl);
            if (!upkeep_check_scope_name(name)) {
                APR_ARRAY_PUSH(names, const char *) = name;
            }
        }
        apr_dir_close(d);
    }
    for (i = 0; live && i < UPKEEP_MAX_SCOPES; i++) {
        const char *name = live->slots[i].name;

        if (!atomic_load(&live->slots[i].in_use)) {
            break;
        }
        for (j = 0; j < names->nelts; j++) {
            if (strcmp(APR_ARRAY_IDX(names, j, const char *), name) == 0) {
                break;
            }
        }
        if (j == names->nelts && !upkeep_check_scope_name(name)) {
            APR_ARRAY_PUSH(names, const char *) = apr_pstrdup(p, name);
        }
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

static int status(apr_pool_t *p, const ctl_args_t *a)
{
    upkeep_live_map_t map;
    upkeep_live_t *live = NULL;
    apr_array_header_t *names;
    char err[UPKEEP_ERRMSG_MAX];
    int64_t now = apr_time_sec(apr_time_now());
    int i, failed = 0, printed = 0;

    check_access(a->state_dir, 0);
    if (upkeep_live_attach(p, a->state_dir, &map, err) == APR_SUCCESS) {
        live = map.live;
    }
    if (a->scope) {
        names = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(names, const char *) = a->scope;
    }
    else {
        names = known_scopes(p, a->state_dir, live);
    }
    if (a->json) {
        printf("{\"state_dir\":%s,\"scopes\":[", json_str(p, a->state_dir));
    }
    /* a scope whose file cannot be read is reported on stderr, not in
     * the JSON array: count what was printed for the separators */
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        upkeep_slot_t *slot = live ? upkeep_live_slot(live, name, 0) : NULL;
        upkeep_record_t rec, live_rec;
        const char *live_state = "none";
        apr_status_t rv;
        int mode, live_mode;

        rv = upkeep_state_load(p, a->state_dir, name, &rec, err);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
            fprintf(stderr, "upkeepctl: %s\n", err);
            failed = 1;
            continue;
        }
        mode = upkeep_mode_at(&rec, now);
        if (slot) {
            upkeep_slot_read(slot, now, &live_mode, &live_rec, 1);
            live_state = live_rec.version == rec.version ? "in sync"
                         : "differs (httpd applies the file when it "
                           "starts)";
        }
        if (a->json) {
            printf("%s{\"scope\":%s,\"mode\":%s,\"set_mode\":%s,"
                   "\"reason\":%s,\"since\":%s,\"until\":%s,"
                   "\"expired\":%s,\"retry_after\":%d,\"version\":%"
                   APR_UINT64_T_FMT ",\"changed_by\":%s,\"live\":%s}",
                   printed++ ? "," : "", json_str(p, name),
                   json_str(p, upkeep_mode_name(mode)),
                   json_str(p, upkeep_mode_name(rec.mode)),
                   json_str(p, rec.reason), json_time(p, rec.since),
                   json_time(p, rec.until),
                   mode != rec.mode ? "true" : "false", (int)rec.retry_after,
                   (apr_uint64_t)rec.version, json_str(p, rec.changed_by),
                   json_str(p, live_state));
            continue;
        }
        printf("scope %s: %s", name, upkeep_mode_name(mode));
        if (mode != rec.mode) {
            printf(" (%s ended at %s)", upkeep_mode_name(rec.mode),
                   iso_time(p, rec.until));
        }
        printf("\n  reason:      %s\n", rec.reason[0] ? rec.reason : "-");
        printf("  since:       %s\n", rec.since ? iso_time(p, rec.since)
                                                : "-");
        printf("  until:       %s\n", rec.until ? iso_time(p, rec.until)
                                                : "-");
        if (rec.retry_after) {
            printf("  retry-after: %d\n", (int)rec.retry_after);
        }
        else {
            printf("  retry-after: -\n");
        }
        printf("  version:     %" APR_UINT64_T_FMT "\n",
               (apr_uint64_t)rec.version);
        printf("  changed-by:  %s\n", rec.changed_by[0] ? rec.changed_by
                                                        : "-");
        printf("  live:        %s\n", live_state);
    }
    if (a->json) {
        printf("]}\n");
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
    return flip(p, &args);
}
