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
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apr_general.h"
#include "apr_getopt.h"
#include "apr_hash.h"
#include "apr_network_io.h"
#include "apr_strings.h"

#include "upkeep_cluster.h"
#include "upkeep_state.h"
#include "upkeep_view.h"
#include "upkeep_journal.h"

/* Exit status (README, "upkeepctl"). */
#define EXIT_USAGE       2
#define EXIT_UNCONFIRMED 3  /* done, but this node does not (yet) serve it */

#define DEFAULT_WAIT_TIMEOUT apr_time_from_sec(60)

/* Options, as bits: a command lists the ones it takes. */
enum {
    O_STATE_DIR = 1 << 0, O_SCOPE = 1 << 1, O_REASON = 1 << 2,
    O_RETRY_AFTER = 1 << 3, O_FOR = 1 << 4, O_JSON = 1 << 5,
    O_CLUSTER = 1 << 6, O_MEMCACHED = 1 << 7, O_SECRET_FILE = 1 << 8,
    O_MAX = 1 << 9, O_WAIT = 1 << 10, O_TIMEOUT = 1 << 11, O_AT = 1 << 12,
    O_LOCAL = 1 << 13, O_UNTIL = 1 << 14, O_NO_END = 1 << 15,
    O_HELP = 1 << 16, O_VERSION = 1 << 17, O_UNREDACTED = 1 << 18
};

#define O_EVERYWHERE (O_STATE_DIR | O_HELP)
#define O_LAYER      (O_CLUSTER | O_LOCAL | O_MEMCACHED | O_SECRET_FILE)
#define O_WINDOW     (O_REASON | O_RETRY_AFTER | O_FOR | O_UNTIL | O_AT \
                      | O_NO_END | O_WAIT | O_TIMEOUT)

typedef struct {
    const char *name;           /* --name */
    int bit;
    const char *arg;            /* its value's name; NULL: a flag */
    const char *help;
} ctl_option_t;

static const ctl_option_t ctl_options[] = {
    { "state-dir", O_STATE_DIR, "DIR", "the state directory (default: $"
      UPKEEP_STATE_DIR_ENV ", else " UPKEEP_DEFAULT_STATE_DIR ")" },
    { "scope", O_SCOPE, "NAME", "the scope (default: " UPKEEP_DEFAULT_SCOPE
      "; status: every scope)" },
    { "reason", O_REASON, "TEXT", "shown to users (UTF-8, at most 511 "
      "bytes)" },
    { "retry-after", O_RETRY_AFTER, "DURATION", "Retry-After of refusals "
      "(30, 90s, 10m, 1h; at most 1d)" },
    { "for", O_FOR, "DURATION", "return to normal by itself after DURATION "
      "(90s, 15m, 2h, 1d; at most 30d)" },
    { "until", O_UNTIL, "TIME", "return to normal by itself at TIME (as "
      "--at)" },
    { "no-end", O_NO_END, NULL, "remove the end of the window in force" },
    { "at", O_AT, "TIME", "schedule the window to start at TIME "
      "(2026-11-22T22:00:00Z, 2026-11-22T23:00+01:00, +30m); only while "
      "the scope is normal" },
    { "wait", O_WAIT, NULL, "return once no write is in flight (on every "
      "node, cluster-wide)" },
    { "timeout", O_TIMEOUT, "DURATION", "give up waiting after DURATION "
      "(default 60s)" },
    { "max", O_MAX, "DURATION", "hold: the longest a write waits (default: "
      "UpkeepHoldMax)" },
    { "json", O_JSON, NULL, "print JSON" },
    { "unredacted", O_UNREDACTED, NULL, "journal show: print Authorization, "
      "Cookie and Proxy-Authorization as they came" },
    { "cluster", O_CLUSTER, NULL, "act on every node (the default where "
      "httpd has UpkeepMemcached)" },
    { "local", O_LOCAL, NULL, "act on this node only" },
    { "memcached", O_MEMCACHED, "H:P,...", "memcached servers (default: "
      "httpd's)" },
    { "secret-file", O_SECRET_FILE, "FILE", "cluster signing secret "
      "(default: httpd's)" },
    { "help", O_HELP, NULL, "this help (-h)" },
    { "version", O_VERSION, NULL, "print the version" },
    { NULL, 0, NULL, NULL }
};

typedef struct ctl_args_s ctl_args_t;

/* The commands: parsing, --help, `help COMMAND`, the man page (--man)
 * and bash completion (--bash-completion) all come from this table. */
typedef struct {
    const char *name;
    const char *synopsis;       /* what follows the name */
    const char *summary;
    int options;
    int (*run)(apr_pool_t *p, ctl_args_t *a);
} ctl_command_t;

struct ctl_args_s {
    const ctl_command_t *cmd;
    const char *command;
    int given;                  /* O_* bits of the options given */
    const char *state_dir;
    const char *scope;          /* NULL: all (status) / default (flips) */
    const char *reason;
    int retry_after;            /* 0: not given */
    apr_interval_time_t duration; /* 0: not given */
    int64_t until;              /* --until; 0: not given */
    int json;
    int cluster;                /* the layer a flip acts on */
    const char *memcached;      /* NULL: from STATE_DIR/cluster.conf */
    const char *secret_file;    /* NULL: from STATE_DIR/cluster.conf */
    apr_interval_time_t hold_max;       /* 0: not given */
    int wait;
    apr_interval_time_t timeout;        /* 0: not given */
    int64_t at;                 /* unix seconds; 0: not given */
    const char *help_topic;     /* help COMMAND */
    const char *journal_verb;   /* journal show ID: "show" */
    const char *journal_id;
    int cluster_default;        /* httpd has UpkeepMemcached */
};

static int status(apr_pool_t *p, ctl_args_t *a);
static int flip(apr_pool_t *p, ctl_args_t *a);
static int drain(apr_pool_t *p, ctl_args_t *a);
static int bypass_url(apr_pool_t *p, ctl_args_t *a);
static int forget(apr_pool_t *p, ctl_args_t *a);
static int help(apr_pool_t *p, ctl_args_t *a);
static int journal(apr_pool_t *p, ctl_args_t *a);

static const ctl_command_t ctl_commands[] = {
    { "status", "[--scope NAME] [--json] [--cluster]",
      "show what every scope (or --scope's) serves now",
      O_SCOPE | O_JSON | O_CLUSTER | O_MEMCACHED | O_SECRET_FILE, status },
    { "normal", "[--scope NAME] [--local|--cluster]",
      "serve everything", O_SCOPE | O_LAYER, flip },
    { "readonly", "[--scope NAME] [--local|--cluster] [window options]",
      "refuse write methods with 503 and Retry-After",
      O_SCOPE | O_LAYER | O_WINDOW, flip },
    { "maintenance", "[--scope NAME] [--local|--cluster] [window options]",
      "serve the maintenance page with 503 and Retry-After",
      O_SCOPE | O_LAYER | O_WINDOW, flip },
    { "hold", "[--scope NAME] [--local|--cluster] [--max DURATION] "
      "[window options]",
      "writes wait inside httpd (at most --max) until the mode changes",
      O_SCOPE | O_LAYER | O_WINDOW | O_MAX, flip },
    { "cancel", "[--scope NAME] [--local|--cluster]",
      "remove a scheduled window that has not started",
      O_SCOPE | O_LAYER, flip },
    { "drain", "", "this node's health check answers 503, so the load "
      "balancer takes it out (this node only)", 0, drain },
    { "undrain", "", "its health check answers 200 again", 0, drain },
    { "bypass-url", "[--scope NAME] [--json]",
      "print the staff bypass URL of the scope, one per virtual host",
      O_SCOPE | O_JSON, bypass_url },
    { "forget", "--scope NAME",
      "remove the state of a scope that httpd no longer names", O_SCOPE,
      forget },
    { "journal", "[--scope NAME] [show ID [--unredacted] | "
      "retry ID|--dead | drop ID|--dead]",
      "list the journaled writes not yet applied (pending) and given up "
      "(dead), print one, send dead ones again (first) or drop them for "
      "good; needs root or httpd's user",
      O_SCOPE | O_UNREDACTED, journal },
    { "help", "[COMMAND]", "this help, or a command's", 0, help },
    { NULL, NULL, NULL, 0, NULL }
};

static const ctl_command_t *find_command(const char *name)
{
    const ctl_command_t *c;

    for (c = ctl_commands; c->name; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

static void print_options(FILE *out, int bits)
{
    const ctl_option_t *o;

    for (o = ctl_options; o->name; o++) {
        if (bits & o->bit) {
            char left[40];

            apr_snprintf(left, sizeof(left), "--%s%s%s", o->name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
            fprintf(out, "  %-24s %s\n", left, o->help);
        }
    }
}

static void print_usage(FILE *out, const ctl_command_t *only)
{
    const ctl_command_t *c;

    if (only) {
        fprintf(out, "usage: upkeepctl %s %s\n\n%s.\n", only->name,
                only->synopsis, only->summary);
        if (only->options & O_WINDOW) {
            fputs("\nwindow options: a flip without --for, --until or --at "
                  "keeps the end of the\nwindow in force; --no-end "
                  "removes it.\n", out);
        }
        if (only->options | O_EVERYWHERE) {
            fputs("\noptions:\n", out);
            print_options(out, only->options | O_EVERYWHERE);
        }
        return;
    }
    fputs("usage: upkeepctl [--state-dir DIR] [--scope NAME] COMMAND "
          "[options]\n       upkeepctl help [COMMAND] | --help | --version"
          "\n\ncommands:\n", out);
    for (c = ctl_commands; c->name; c++) {
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    }
    fputs("\noptions:\n", out);
    print_options(out, ~0);
    fputs("\nexit status: 0 done and in force on this node; 1 failed, "
          "nothing changed;\n2 usage error; 3 done, but this node does not "
          "(yet) serve what was asked\n(another layer holds a stricter "
          "mode, --wait could not confirm, or httpd\ndoes not run), with "
          "the reason printed.\n", out);
}

/* roff: a leading '.' or '\'' starts a request, '-' is a hyphen, '\\' an
 * escape */
static void roff(FILE *out, const char *text)
{
    for (; *text; text++) {
        if (*text == '\\') {
            fputs("\\e", out);
        }
        else if (*text == '-') {
            fputs("\\-", out);
        }
        else {
            fputc(*text, out);
        }
    }
}

/* upkeepctl(8), from the same tables as --help (make upkeepctl.8). */
static void print_man(FILE *out)
{
    const ctl_command_t *c;
    const ctl_option_t *o;

    fputs(".TH UPKEEPCTL 8 \"\" \"mod_upkeep " UPKEEP_VERSION "\" "
          "\"System Administration\"\n.SH NAME\nupkeepctl \\- put a site "
          "behind Apache httpd into maintenance or read\\-only mode\n"
          ".SH SYNOPSIS\n.B upkeepctl\n[\\fB\\-\\-state\\-dir\\fR "
          "\\fIDIR\\fR] [\\fB\\-\\-scope\\fR \\fINAME\\fR] "
          "\\fICOMMAND\\fR [\\fIoptions\\fR]\n.SH DESCRIPTION\n"
          "upkeepctl flips the mode mod_upkeep serves for a scope, on this "
          "node or, where httpd has UpkeepMemcached, on every node, and "
          "prints in one line what this node serves once it is done.\n"
          ".SH COMMANDS\n", out);
    for (c = ctl_commands; c->name; c++) {
        fputs(".TP\n.B ", out);
        roff(out, c->name);
        fputs(" ", out);
        roff(out, c->synopsis);
        fputs("\n", out);
        roff(out, c->summary);
        fputs(".\n", out);
    }
    fputs(".SH OPTIONS\n", out);
    for (o = ctl_options; o->name; o++) {
        fputs(".TP\n.B \\-\\-", out);
        roff(out, o->name);
        if (o->arg) {
            fputs(" \\fI", out);
            roff(out, o->arg);
            fputs("\\fR", out);
        }
        fputs("\n", out);
        roff(out, o->help);
        fputs(".\n", out);
    }
    fputs(".SH EXIT STATUS\n.TP\n0\nDone, and in force on this node.\n"
          ".TP\n1\nFailed; nothing changed.\n.TP\n2\nUsage error (a bad "
          "option, or a scope httpd does not name); nothing changed.\n"
          ".TP\n3\nDone, but this node does not (yet) serve what was asked:"
          " another layer holds a stricter mode, \\-\\-wait could not "
          "confirm, or no httpd runs on the state directory.\n"
          ".SH ENVIRONMENT\n.TP\n.B " UPKEEP_STATE_DIR_ENV "\nThe state "
          "directory when \\-\\-state\\-dir is not given.\n"
          ".SH FILES\n.TP\n.I " UPKEEP_DEFAULT_STATE_DIR "\nThe state "
          "directory: SCOPE.state, SCOPE.cluster, upkeep.live, "
          "served.conf, cluster.conf, bypass.conf, drain.\n"
          ".SH EXAMPLES\nA read\\-only window for a database upgrade, "
          "then back:\n.PP\n.nf\n.RS\nupkeepctl readonly \\-\\-wait "
          "\\-\\-for 30m \\-\\-reason \"Database upgrade\"\n"
          "upkeepctl normal\n.RE\n.fi\n.PP\nHold writes for a schema "
          "change of a few hundred milliseconds:\n.PP\n.nf\n.RS\n"
          "upkeepctl hold \\-\\-wait \\-\\-max 10s\nupkeepctl normal\n"
          ".RE\n.fi\n.PP\nA rolling upgrade, one node at a time:\n.PP\n"
          ".nf\n.RS\nupkeepctl drain\n# upgrade, restart httpd\n"
          "upkeepctl undrain\n.RE\n.fi\n.SH SEE ALSO\n.BR apache2 (8),\n"
          "/usr/share/doc/libapache2\\-mod\\-upkeep/README\n", out);
}

/* bash completion, from the same tables (make upkeepctl.bash-completion):
 * commands, the options each takes, and --scope from served.conf. */
static void print_completion(FILE *out)
{
    const ctl_command_t *c;
    const ctl_option_t *o;

    fputs("# bash completion for upkeepctl (generated by upkeepctl "
          "--bash-completion)\n_upkeepctl()\n{\n"
          "    local cur prev words cword cmd w opts\n"
          "    _init_completion || return\n"
          "    for w in \"${words[@]:1}\"; do case $w in -*) ;; *) "
          "cmd=$w; break ;; esac; done\n"
          "    case $prev in\n"
          "        --scope)\n"
          "            local dir=${UPKEEP_STATE_DIR:-" UPKEEP_DEFAULT_STATE_DIR
          "}\n"
          "            COMPREPLY=($(compgen -W \"$(sed -n 's/^scope \\([^ ]*\\)"
          " .*/\\1/p' \"$dir/" UPKEEP_SERVED_CONF "\" 2>/dev/null)\" -- "
          "\"$cur\")); return ;;\n"
          "        --state-dir|--secret-file) _filedir; return ;;\n"
          "    esac\n    case $cmd in\n", out);
    for (c = ctl_commands; c->name; c++) {
        fprintf(out, "        %s) opts=\"", c->name);
        for (o = ctl_options; o->name; o++) {
            if ((c->options | O_EVERYWHERE) & o->bit) {
                fprintf(out, " --%s", o->name);
            }
        }
        fputs("\" ;;\n", out);
    }
    fputs("        *) opts=\"--state-dir --scope --help --version\"\n"
          "           COMPREPLY=($(compgen -W \"", out);
    for (c = ctl_commands; c->name; c++) {
        fprintf(out, "%s%s", c == ctl_commands ? "" : " ", c->name);
    }
    fputs("\" -- \"$cur\"))\n"
          "           [[ $cur == -* ]] && COMPREPLY=($(compgen -W \"$opts\" "
          "-- \"$cur\"))\n           return ;;\n    esac\n"
          "    if [[ $cmd == help ]]; then COMPREPLY=($(compgen -W \"", out);
    for (c = ctl_commands; c->name; c++) {
        fprintf(out, "%s%s", c == ctl_commands ? "" : " ", c->name);
    }
    fputs("\" -- \"$cur\")); return; fi\n"
          "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n}\n"
          "complete -F _upkeepctl upkeepctl\n", out);
}

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

/* journal's words after the options: show ID, where --unredacted may
 * still follow */
static void journal_args(ctl_args_t *a, int argc, const char *const *argv)
{
    int i;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--unredacted") == 0) {
            a->given |= O_UNREDACTED;
        }
        else if (!a->journal_verb && (strcmp(argv[i], "show") == 0
                                      || strcmp(argv[i], "retry") == 0
                                      || strcmp(argv[i], "drop") == 0)) {
            a->journal_verb = argv[i];
        }
        else if (a->journal_verb && !a->journal_id
                 && (strcmp(argv[i], "--dead") != 0
                     || strcmp(a->journal_verb, "show") != 0)) {
            a->journal_id = argv[i];
        }
        else {
            fail_usage("unexpected argument '%s'", argv[i]);
        }
    }
    if (a->journal_verb && !a->journal_id) {
        fail_usage("journal %s needs an ID%s", a->journal_verb,
                   strcmp(a->journal_verb, "show") ? " or --dead" : "");
    }
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

/* A duration option: whole seconds from `min` to `max`. */
static apr_interval_time_t duration_arg(const char *name, const char *arg,
                                        int64_t min, int64_t max,
                                        const char *range)
{
    apr_interval_time_t d;
    const char *why = upkeep_parse_duration(arg, &d);

    if (why) {
        fail_usage("--%s '%s' %s", name, arg, why);
    }
    if (d < apr_time_from_sec(min) || d > apr_time_from_sec(max)) {
        fail_usage("--%s '%s' must be between %s", name, arg, range);
    }
    if (d % APR_USEC_PER_SEC) {
        fail_usage("--%s '%s' must be whole seconds", name, arg);
    }
    return d;
}

/* --at and --until: a time ahead, at most a year. */
static int64_t time_arg(apr_pool_t *p, const char *name, const char *arg)
{
    int64_t now = apr_time_sec(apr_time_now()), t;
    const char *why = upkeep_parse_time(arg, now, &t);

    if (why) {
        fail_usage("--%s '%s' %s", name, arg, why);
    }
    if (t <= now) {
        fail_usage("--%s '%s' is not in the future (it is %s now)", name, arg,
                   upkeep_iso_time(p, now));
    }
    if (t - now > UPKEEP_AT_MAX) {
        fail_usage("--%s '%s' is more than a year away", name, arg);
    }
    return t;
}

static void handle_option(apr_pool_t *p, ctl_args_t *a, int bit,
                          const char *arg)
{
    const char *why;

    a->given |= bit;
    switch (bit) {
    case O_STATE_DIR:
        if (!*arg) {
            fail_usage("--state-dir is empty");
        }
        a->state_dir = arg;
        break;
    case O_SCOPE:
        if ((why = upkeep_check_scope_name(arg)) != NULL) {
            fail_usage("--scope '%s' %s", arg, why);
        }
        a->scope = arg;
        break;
    case O_REASON:
        if ((why = upkeep_check_reason(arg)) != NULL) {
            fail_usage("--reason %s", why);
        }
        a->reason = arg;
        break;
    case O_RETRY_AFTER:
        a->retry_after = (int)apr_time_sec(duration_arg(
            "retry-after", arg, 1, UPKEEP_RETRY_AFTER_MAX, "1s and 1d"));
        break;
    case O_FOR:
        a->duration = duration_arg("for", arg, 1, UPKEEP_FOR_MAX,
                                   "1s and 30d");
        break;
    case O_UNTIL:
        a->until = time_arg(p, "until", arg);
        break;
    case O_AT:
        a->at = time_arg(p, "at", arg);
        break;
    case O_JSON:
        a->json = 1;
        break;
    case O_MEMCACHED: {
        upkeep_cluster_conf_t probe;

        if ((why = upkeep_cluster_parse_servers(p, arg, &probe)) != NULL) {
            fail_usage("--memcached '%s': %s", arg, why);
        }
        a->memcached = arg;
        break;
    }
    case O_SECRET_FILE:
        if (!*arg) {
            fail_usage("--secret-file is empty");
        }
        a->secret_file = arg;
        break;
    case O_MAX:
        if ((why = upkeep_parse_duration(arg, &a->hold_max)) != NULL) {
            fail_usage("--max '%s' %s", arg, why);
        }
        if (a->hold_max < apr_time_from_msec(1)
            || a->hold_max > apr_time_from_msec(UPKEEP_HOLD_MAX_MS)) {
            fail_usage("--max '%s' must be between 1ms and 5m", arg);
        }
        break;
    case O_WAIT:
        a->wait = 1;
        break;
    case O_TIMEOUT:
        if ((why = upkeep_parse_duration(arg, &a->timeout)) != NULL) {
            fail_usage("--timeout '%s' %s", arg, why);
        }
        if (a->timeout < apr_time_from_msec(1)
            || a->timeout > apr_time_from_sec(86400)) {
            fail_usage("--timeout '%s' must be between 1ms and 1d", arg);
        }
        break;
    }
}

static void parse_args(apr_pool_t *p, int argc, const char *const *argv,
                       ctl_args_t *a)
{
    /* every option, -h, and the terminator */
    apr_getopt_option_t opts[sizeof(ctl_options) / sizeof(ctl_options[0])
                             + 1];
    apr_getopt_t *os;
    const ctl_option_t *o;
    const char *arg;
    apr_status_t rv;
    int opt, pass, n = 0, bad;

    memset(a, 0, sizeof(*a));
    for (o = ctl_options; o->name; o++, n++) {
        opts[n].name = o->name;
        opts[n].optch = 256 + n;
        opts[n].has_arg = o->arg != NULL;
        opts[n].description = o->help;
    }
    opts[n].name = NULL;
    opts[n].optch = 'h';
    opts[n].has_arg = 0;
    opts[n].description = NULL;
    opts[n + 1] = (apr_getopt_option_t){ NULL, 0, 0, NULL };
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
        while ((rv = apr_getopt_long(os, opts, &opt, &arg)) == APR_SUCCESS) {
            handle_option(p, a, opt == 'h' ? O_HELP
                                           : ctl_options[opt - 256].bit, arg);
        }
        if (rv != APR_EOF) {
            fail_usage("bad arguments");
        }
        if (pass == 0) {
            if (os->ind >= argc) {
                if (a->given & O_VERSION) {
                    printf("upkeepctl %s\n", UPKEEP_VERSION);
                    exit(EXIT_SUCCESS);
                }
                if (a->given & O_HELP) {
                    print_usage(stdout, NULL);
                    exit(EXIT_SUCCESS);
                }
                fail_usage("no command given");
            }
            a->command = argv[os->ind];
            argc -= os->ind;
            argv += os->ind;
        }
        else if (os->ind < argc) {
            if (strcmp(a->command, "help") == 0 && os->ind == argc - 1) {
                a->help_topic = argv[os->ind];
            }
            else if (strcmp(a->command, "journal") == 0) {
                journal_args(a, argc - os->ind, argv + os->ind);
            }
            else {
                fail_usage("unexpected argument '%s'", argv[os->ind]);
            }
        }
    }
    if (!(a->cmd = find_command(a->command))) {
        const ctl_command_t *c;
        const char *names = "";

        for (c = ctl_commands; c->name; c++) {
            names = apr_pstrcat(p, names, c == ctl_commands ? "" : ", ",
                                c->name, NULL);
        }
        fail_usage("unknown command '%s' (expected %s)", a->command, names);
    }
    if (a->given & O_VERSION) {
        printf("upkeepctl %s\n", UPKEEP_VERSION);
        exit(EXIT_SUCCESS);
    }
    if (a->given & O_HELP) {
        print_usage(stdout, a->cmd);
        exit(EXIT_SUCCESS);
    }
    if (a->cmd->run == drain && (a->given & O_CLUSTER)) {
        fail_usage("%s is node-local: --cluster %s would take every node out "
                   "of the load balancer at once", a->command, a->command);
    }
    if (a->cmd->run == drain && (a->given & O_SCOPE)) {
        fail_usage("%s is node-wide (the health check answers for every "
                   "scope): --scope does not go with it", a->command);
    }
    bad = a->given & ~(a->cmd->options | O_EVERYWHERE);
    for (o = ctl_options; bad && o->name; o++) {
        if (bad & o->bit) {
            fail_usage("--%s does not go with %s", o->name, a->command);
        }
    }
    if ((a->given & O_CLUSTER) && (a->given & O_LOCAL)) {
        fail_usage("--cluster and --local do not go together");
    }
    if ((a->given & (O_MEMCACHED | O_SECRET_FILE)) && !(a->given & O_CLUSTER)) {
        fail_usage("--memcached and --secret-file go with --cluster");
    }
    if (a->timeout && !a->wait) {
        fail_usage("--timeout goes with --wait");
    }
    if (a->at && a->wait) {
        fail_usage("--wait does not go with --at: the window starts later");
    }
    if ((a->duration != 0) + (a->until != 0) + ((a->given & O_NO_END) != 0)
        > 1) {
        fail_usage("--for, --until and --no-end do not go together");
    }
    if (a->until && a->at && a->until <= a->at) {
        fail_usage("--until must come after --at");
    }
    if (strcmp(a->command, "forget") == 0 && !a->scope) {
        fail_usage("forget needs --scope NAME");
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
    struct passwd *pw;

    if (getuid() != 0 || !user || upkeep_check_reason(user)) {
        pw = getpwuid(getuid());
        user = pw ? pw->pw_name : apr_psprintf(p, "uid%lu",
                                               (unsigned long)getuid());
    }
    apr_snprintf(out, UPKEEP_WHO_MAX, "%s@%s", user, upkeep_host_name(p));
    if (upkeep_check_reason(out)) {
        apr_cpystrn(out, "unknown", UPKEEP_WHO_MAX);
    }
}

static void check_access(const char *dir, int write)
{
    if (access(dir, F_OK) != 0 && errno == ENOENT) {
        fail("state directory %s does not exist (start httpd with "
             "mod_upkeep first, or give --state-dir)", dir);
    }
    if (access(dir, write ? (R_OK | W_OK | X_OK) : (R_OK | X_OK)) != 0) {
        fail("permission denied: cannot %s the state directory %s (run as "
             "root or as a member of its group, see UpkeepControlGroup)",
             write ? "write" : "read", dir);
    }
}

/* What httpd recorded of its configuration (served.conf); NULL when no
 * httpd with mod_upkeep started on this state directory, or when the file
 * cannot be used (said once, on stderr). */
static const upkeep_served_t *served(apr_pool_t *p, const char *dir)
{
    static upkeep_served_t sv;
    static int loaded, usable;
    char err[UPKEEP_ERRMSG_MAX];

    if (!loaded) {
        apr_status_t rv = upkeep_served_load(p, dir, &sv, err);

        loaded = 1;
        usable = rv == APR_SUCCESS;
        if (!usable && !APR_STATUS_IS_ENOENT(rv)) {
            fprintf(stderr, "upkeepctl: warning: %s\n", err);
        }
    }
    return usable ? &sv : NULL;
}

/* Whether an httpd that uses this state directory runs now. */
static int httpd_runs(apr_pool_t *p, const char *dir)
{
    const upkeep_served_t *sv = served(p, dir);

    return sv && upkeep_served_running(p, sv);
}

/* Whether a scope has a state file of either layer. */
static int has_state(apr_pool_t *p, const char *dir, const char *scope)
{
    apr_finfo_t fi;
    int l;

    for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
        if (apr_stat(&fi, upkeep_state_path(p, dir, scope, l), APR_FINFO_TYPE,
                     p) == APR_SUCCESS) {
            return 1;
        }
    }
    return 0;
}

/* A scope that httpd's configuration does not name is a typo or a scope
 * it no longer serves: exit 2, listing the ones it does. */
static void check_scope(apr_pool_t *p, const ctl_args_t *a,
                        const char *scope)
{
    const upkeep_served_t *sv = served(p, a->state_dir);
    const char *names = "", *closest;
    int i;

    if (!sv || upkeep_served_scope(sv, scope)) {
        return;
    }
    for (i = 0; i < sv->nscopes; i++) {
        names = apr_pstrcat(p, names, i ? ", " : "", sv->scopes[i].name,
                            NULL);
    }
    closest = upkeep_served_closest(sv, scope);
    fprintf(stderr, "upkeepctl: unknown scope '%s': httpd's configuration "
            "names %s%s%s%s; nothing changed\n", scope, names,
            closest ? " (did you mean '" : "", closest ? closest : "",
            closest ? "'?)" : "");
    if (has_state(p, a->state_dir, scope)) {
        fprintf(stderr, "upkeepctl: state of a scope httpd no longer names "
                "is removed with: upkeepctl forget --scope %s\n", scope);
    }
    exit(EXIT_USAGE);
}

/* Whether httpd has UpkeepMemcached (it records the servers). */
static int cluster_configured(apr_pool_t *p, const char *dir)
{
    apr_finfo_t fi;

    return apr_stat(&fi, apr_pstrcat(p, dir, "/" UPKEEP_CLUSTER_CONF, NULL),
                    APR_FINFO_TYPE, p) == APR_SUCCESS;
}

/* httpd has UpkeepMemcached (served.conf says so) but cluster.conf is
 * missing: a full disk kept httpd from writing a changed one (UPK0030). */
static int cluster_unrecorded(apr_pool_t *p, const char *dir)
{
    const upkeep_served_t *sv = served(p, dir);

    return sv && sv->cluster && !cluster_configured(p, dir);
}

/* The option that picks a layer, where it is not the default: "",
 * " --local" or " --cluster". */
static const char *layer_option(const ctl_args_t *a, int cluster)
{
    return cluster == a->cluster_default ? ""
           : cluster ? " --cluster" : " --local";
}

/* Flips reach every node where httpd has a cluster, unless --local. */
static void choose_layer(apr_pool_t *p, ctl_args_t *a)
{
    int configured = cluster_configured(p, a->state_dir);

    if (!(a->given & O_LOCAL) && !a->memcached
        && cluster_unrecorded(p, a->state_dir)) {
        /* httpd has UpkeepMemcached but could not record it (UPK0030):
         * a flip here alone would pass for one on every node */
        fail("httpd has UpkeepMemcached, but %s/%s is missing (httpd could "
             "not write it: see UPK0030 in its error log); not changed "
             "(--local flips this node only)", a->state_dir,
             UPKEEP_CLUSTER_CONF);
    }
    a->cluster_default = configured;
    if (a->given & O_CLUSTER) {
        if (!configured && !a->memcached) {
            fail_usage("--cluster: no cluster is configured (httpd has no "
                       "UpkeepMemcached: no %s/%s); give --memcached",
                       a->state_dir, UPKEEP_CLUSTER_CONF);
        }
        a->cluster = 1;
    }
    else {
        a->cluster = configured && !(a->given & O_LOCAL);
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
    upkeep_record_t rec[UPKEEP_LAYER_COUNT];
    char err[UPKEEP_ERRMSG_MAX];

    if (upkeep_scope_records(p, dir, scope, slot, rec, err) != APR_SUCCESS) {
        fail("%s; not changed (remove the file to reset scope '%s')", err,
             scope);
    }
    *held = rec[UPKEEP_LAYER_CLUSTER];
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
    upkeep_mc_reply_t r[UPKEEP_MAX_SERVERS];
    char err[UPKEEP_ERRMSG_MAX];
    int i, answered = 0;

    cl->key = upkeep_cluster_key(p, cc, scope);
    if (upkeep_mc_open(p, cc, &cl->mc, err) != APR_SUCCESS) {
        fail("%s; not changed", err);
    }
    upkeep_mc_each(cl->mc, p, cl->key, NULL, 0, NULL, r);
    for (i = 0; i < cc->nservers; i++) {
        upkeep_record_t there;

        cl->answered[i] = r[i].got != UPKEEP_GET_ERROR;
        if (!cl->answered[i]) {
            fprintf(stderr, "upkeepctl: warning: %s: %s\n",
                    upkeep_mc_server_name(cl->mc, i), r[i].err);
            continue;
        }
        answered++;
        if (r[i].got == UPKEEP_GET_FOUND
            && upkeep_value_decode(p, cc, scope, r[i].value, r[i].len, &there,
                                   err) == APR_SUCCESS
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
    upkeep_mc_reply_t r[UPKEEP_MAX_SERVERS];
    int i, stored = 0;

    upkeep_mc_each(cl->mc, p, cl->key, value, 0, cl->answered, r);
    for (i = 0; i < cc->nservers; i++) {
        if (!cl->answered[i]) {
            continue;
        }
        if (r[i].got == UPKEEP_GET_FOUND) {
            stored++;
        }
        else {
            fprintf(stderr, "upkeepctl: warning: %s: %s\n",
                    upkeep_mc_server_name(cl->mc, i), r[i].err);
        }
    }
    if (!stored) {
        fail("no memcached server stored the new mode; not changed");
    }
    return stored;
}

/* Every node that reported writes for the scope in the last ten minutes
 * (UPKEEP_WRITES_TTL: the others are gone) must report, freshly, that it
 * has seen `version` and that none is in flight; one that stopped
 * reporting cannot be confirmed.  Returns the number of nodes not
 * confirmed; *busy lists them, *each says every node's writes in flight
 * (the progress line). */
static int cluster_busy_nodes(apr_pool_t *p, upkeep_mc_t *mc,
                              const upkeep_cluster_conf_t *cc,
                              const char *scope, uint64_t version,
                              int *nodes, const char **busy,
                              const char **each)
{
    apr_hash_t *seen = apr_hash_make(p);
    char err[UPKEEP_ERRMSG_MAX];
    int64_t now = apr_time_sec(apr_time_now());
    int i, pending = 0;

    *nodes = 0;
    *busy = *each = "";
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
            const char *what;
            uint64_t v;
            int64_t n, when;

            if (apr_hash_get(seen, node, APR_HASH_KEY_STRING)) {
                continue;
            }
            apr_hash_set(seen, node, APR_HASH_KEY_STRING, node);
            if (upkeep_mc_get(mc, i, p, upkeep_writes_key(p, cc, scope, node),
                              &value, &len, err) != UPKEEP_GET_FOUND
                || !upkeep_writes_parse(value, &v, &n, &when)) {
                continue;   /* gone: no report in ten minutes */
            }
            (*nodes)++;
            if (when < now - UPKEEP_NODE_SILENT) {
                what = apr_psprintf(p, "no report for %s: unconfirmed",
                                    upkeep_human_duration(p, now - when));
            }
            else {
                what = apr_psprintf(p, "%s%" APR_INT64_T_FMT " in flight",
                                    v < version ? "has not seen the flip yet, "
                                                : "", (apr_int64_t)n);
            }
            *each = apr_psprintf(p, "%s%s%s (%s)", *each, **each ? ", " : "",
                                 node, what);
            if (when < now - UPKEEP_NODE_SILENT || v < version || n > 0) {
                pending++;
                *busy = apr_psprintf(p, "%s%s%s (%s)", *busy,
                                     **busy ? ", " : "", node, what);
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

    apr_time_t next_word = apr_time_now() + apr_time_from_sec(1);

    while (slot && (left = atomic_load(&slot->inflight_writes)) > 0) {
        apr_time_t t = apr_time_now();

        if (t >= deadline) {
            fprintf(stderr, "upkeepctl: timed out after %" APR_TIME_T_FMT
                    " ms: %" APR_INT64_T_FMT " write%s of scope '%s' still in "
                    "flight on this node; the mode stays in force\n",
                    apr_time_as_msec(timeout), left, left == 1 ? "" : "s",
                    scope);
            return EXIT_UNCONFIRMED;
        }
        if (t >= next_word) {
            fprintf(stderr, "upkeepctl: waiting: %" APR_INT64_T_FMT " write%s "
                    "in flight on this node\n", left, left == 1 ? "" : "s");
            next_word = t + apr_time_from_sec(1);
        }
        apr_sleep(apr_time_from_msec(10));
    }
    if (!cc) {
        printf("scope %s: no write in flight on this node\n", scope);
        return EXIT_SUCCESS;
    }
    if (upkeep_mc_open(p, cc, &mc, err) != APR_SUCCESS) {
        fprintf(stderr, "upkeepctl: %s: cannot confirm that no write is in "
                "flight on the other nodes; the mode stays in force\n", err);
        return EXIT_UNCONFIRMED;
    }
    for (;;) {
        apr_pool_t *round;
        const char *busy, *each;
        int pending;

        apr_pool_create(&round, p);
        pending = cluster_busy_nodes(round, mc, cc, scope, version, &nodes,
                                     &busy, &each);
        if (!pending && nodes) {
            apr_pool_destroy(round);
            break;
        }
        if (!nodes) {
            /* nobody to confirm: never "done on 0 nodes" */
            pending = 1;
            busy = each = "no node has reported in the last ten minutes";
        }
        if (apr_time_now() >= deadline) {
            fprintf(stderr, "upkeepctl: timed out after %" APR_TIME_T_FMT
                    " ms: %d of %d nodes not confirmed for scope '%s': %s; "
                    "the mode stays in force\n",
                    apr_time_as_msec(timeout), pending, nodes, scope, busy);
            return EXIT_UNCONFIRMED;
        }
        if (apr_time_now() >= next_word) {
            fprintf(stderr, "upkeepctl: waiting: %d of %d nodes busy: %s\n",
                    pending, nodes, each);
            next_word = apr_time_now() + apr_time_from_sec(1);
        }
        apr_pool_destroy(round);
        apr_sleep(apr_time_from_msec(50));
    }
    printf("scope %s: no write in flight on any of %d node%s\n", scope,
           nodes, nodes == 1 ? "" : "s");
    return EXIT_SUCCESS;
}

static int drain(apr_pool_t *p, ctl_args_t *a)
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

    const upkeep_served_t *sv;

    check_access(a->state_dir, 1);
    sv = served(p, a->state_dir);
    if (on && sv && !sv->health) {
        fail("httpd has no UpkeepHealthCheck: a load balancer would see no "
             "change (set UpkeepHealthCheck /PATH and point its health check "
             "there); nothing changed");
    }
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
    if (!sv) {
        printf("this node is %s; httpd has not recorded its configuration "
               "here, so its health check cannot be named\n",
               on ? "drained" : "undrained");
    }
    else {
        printf("this node is %s: its health check (%s) answers %s\n",
               on ? "drained" : "undrained", sv->health ? sv->health : "none",
               on ? "503" : "200");
    }
    if (!httpd_runs(p, a->state_dir)) {
        printf("note: no httpd runs on %s: it applies this when it starts\n",
               a->state_dir);
        return EXIT_UNCONFIRMED;
    }
    return EXIT_SUCCESS;
}

/* bypass.conf has a line per virtual host and scope: mass hosting can make
 * it large, but megabytes mean it is something else. */
#define BYPASS_CONF_MAX (16 * 1024 * 1024)

/* What httpd recorded at startup in STATE_DIR/bypass.conf: the token is
 * there, so this needs no secret, and it is the one httpd accepts.
 * `quiet` (after maintenance and readonly, as artisan down --secret
 * does): the URLs when there are any, and no complaint otherwise. */
static int print_bypass_urls(apr_pool_t *p, const ctl_args_t *a,
                             const char *scope, int as_json, int quiet)
{
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
    if (quiet && rv != APR_SUCCESS) {
        return EXIT_SUCCESS;
    }
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
        if (strcmp(line + 4, scope) == 0 && as_json) {
            json = apr_pstrcat(p, json, printed++ ? "," : "",
                               upkeep_json_str(p, url), NULL);
        }
        else if (strcmp(line + 4, scope) == 0) {
            printf("%s%s\n", quiet ? "staff bypass: " : "", url);
            printed++;
        }
    }
    if (printed && as_json) {
        printf("{\"scope\":%s,\"urls\":[%s]}\n", upkeep_json_str(p, scope),
               json);
    }
    if (printed || quiet) {
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

static int bypass_url(apr_pool_t *p, ctl_args_t *a)
{
    const char *scope = a->scope ? a->scope : UPKEEP_DEFAULT_SCOPE;

    return print_bypass_urls(p, a, scope, a->json, 0);
}

/* A layer holds one record: what is in force now, or one window that has
 * not started.  So a window is scheduled only over a normal layer, cancel
 * needs a pending window, and a flip that replaces a pending window says
 * so.  Fails (nothing written) when the command does not fit. */
static void check_window(apr_pool_t *p, const ctl_args_t *a,
                         const char *scope, const upkeep_record_t *old,
                         int64_t now)
{
    const char *cl = layer_option(a, a->cluster);
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

/* The record a flip asks for.  Without --for, --until, --at or --no-end
 * the end of the window in force is kept (an operator who changes the
 * reason, or the mode, keeps the end); *kept_end says whether it was.
 * The same mode again keeps its start time too. */
static void new_record(apr_pool_t *p, const ctl_args_t *a,
                       const upkeep_record_t *old, int64_t now,
                       upkeep_record_t *rec, int *kept_end)
{
    int cancel = strcmp(a->command, "cancel") == 0;
    int same = !cancel && !a->at && !upkeep_window_pending(old, now)
               && upkeep_mode_at(old, now) == upkeep_mode_from_name(a->command)
               && old->mode != UPKEEP_MODE_NORMAL;

    memset(rec, 0, sizeof(*rec));
    rec->mode = cancel ? UPKEEP_MODE_NORMAL
                       : upkeep_mode_from_name(a->command);
    rec->since = same ? old->since : now;
    rec->starts = a->at;
    rec->retry_after = a->retry_after;
    rec->hold_max_ms = (int32_t)apr_time_as_msec(a->hold_max);
    if (a->reason) {
        apr_cpystrn(rec->reason, a->reason, UPKEEP_REASON_MAX);
    }
    *kept_end = 0;
    if (a->duration) {
        rec->until = (a->at ? a->at : now) + apr_time_sec(a->duration);
    }
    else if (a->until) {
        rec->until = a->until;
    }
    else if (!(a->given & O_NO_END) && rec->mode != UPKEEP_MODE_NORMAL
             && !a->at && !upkeep_window_pending(old, now)
             && upkeep_mode_at(old, now) != UPKEEP_MODE_NORMAL
             && old->until > now) {
        rec->until = old->until;
        *kept_end = 1;
    }
    who_am_i(p, rec->changed_by);
}

/* A flip that would change nothing users see. */
static int same_record(const upkeep_record_t *a, const upkeep_record_t *b)
{
    return a->mode == b->mode && a->starts == b->starts
           && a->until == b->until && a->retry_after == b->retry_after
           && a->hold_max_ms == b->hold_max_ms
           && strcmp(a->reason, b->reason) == 0;
}

/* Where a layer's mode holds, in words. */
static const char *where(int layer)
{
    return layer == UPKEEP_LAYER_CLUSTER ? "on every node" : "on this node";
}

/* The command that sets a layer back to normal. */
static const char *ender(apr_pool_t *p, const ctl_args_t *a, int layer,
                         const char *scope)
{
    return apr_psprintf(p, "upkeepctl%s%s%s normal",
                        layer_option(a, layer == UPKEEP_LAYER_CLUSTER),
                        strcmp(scope, UPKEEP_DEFAULT_SCOPE) ? " --scope " : "",
                        strcmp(scope, UPKEEP_DEFAULT_SCOPE) ? scope : "");
}

/* "readonly on every node since T, until T (in 30m); Retry-After 1800" */
static const char *describe(apr_pool_t *p, const upkeep_effective_t *e,
                            const upkeep_served_scope_t *conf, int64_t now)
{
    const upkeep_record_t *r = &e->rec[e->layer];
    upkeep_client_view_t cv;
    const char *out;

    if (e->mode == UPKEEP_MODE_NORMAL) {
        out = "normal";
        if (e->pending >= 0) {
            const upkeep_record_t *w = &e->rec[e->pending];

            out = apr_psprintf(p, "normal now; %s %s from %s%s%s",
                               upkeep_mode_name(w->mode), where(e->pending),
                               upkeep_when(p, w->starts, now),
                               w->until ? " until " : ", no end",
                               w->until ? upkeep_when(p, w->until, now) : "");
        }
        return out;
    }
    out = apr_psprintf(p, "%s %s since %s", upkeep_mode_name(e->mode),
                       where(e->layer), upkeep_iso_time(p, r->since));
    if (r->until) {
        out = apr_psprintf(p, "%s, until %s", out,
                           upkeep_when(p, r->until, now));
    }
    upkeep_client_view(e, conf, now, &cv);
    return apr_psprintf(p, "%s; clients get Retry-After %d%s", out,
                        cv.retry_after, e->mode == UPKEEP_MODE_HOLD
                        ? apr_psprintf(p, ", writes wait up to %d ms",
                                       cv.hold_max_ms) : "");
}

/* After a flip: what this node serves for the scope now, read back from
 * the files and the live slot, in one line.  0 when it is what was asked;
 * 3, with the reason, when another layer holds a stricter mode or httpd
 * does not run. */
static int read_back(apr_pool_t *p, const ctl_args_t *a, const char *scope,
                     const upkeep_slot_t *slot, int layer,
                     const upkeep_record_t *asked, const char *done,
                     const char *tail)
{
    int64_t now = apr_time_sec(apr_time_now());
    upkeep_record_t rec[UPKEEP_LAYER_COUNT];
    upkeep_effective_t e;
    char err[UPKEEP_ERRMSG_MAX];
    const upkeep_served_t *sv = served(p, a->state_dir);
    const upkeep_served_scope_t *conf = upkeep_served_scope(sv, scope);
    int other = !layer, want = upkeep_mode_at(asked, now);

    if (upkeep_scope_records(p, a->state_dir, scope, slot, rec, err)
        != APR_SUCCESS) {
        fail("%s", err);
    }
    upkeep_effective(rec, now, &e);
    if (upkeep_window_pending(asked, now)) {
        printf("scope %s: %s%s scheduled %s from %s%s%s%s\n", scope,
               done, upkeep_mode_name(asked->mode), where(layer),
               upkeep_when(p, asked->starts, now),
               asked->until ? " until " : ", no end",
               asked->until ? upkeep_when(p, asked->until, now) : "", tail);
    }
    else if (*done && e.mode != want && e.layer == other) {
        /* "already normal" must not read as the mode in force */
        printf("scope %s: %s%s %s%s; it serves %s\n", scope, done,
               upkeep_mode_name(want), where(layer), tail,
               describe(p, &e, conf, now));
    }
    else {
        printf("scope %s: %s%s%s\n", scope, done, describe(p, &e, conf, now),
               tail);
    }
    if (e.mode != want && e.layer == other
        && !upkeep_window_pending(asked, now)) {
        printf("note: the %s layer holds %s (set by %s, version %"
               APR_UINT64_T_FMT "), which is stricter: %s ends it\n",
               upkeep_layer_names[other], upkeep_mode_name(e.mode),
               rec[other].changed_by, (apr_uint64_t)rec[other].version,
               ender(p, a, other, scope));
        return EXIT_UNCONFIRMED;
    }
    if (!httpd_runs(p, a->state_dir)) {
        printf("note: no httpd runs on %s: it applies this when it starts\n",
               a->state_dir);
        return EXIT_UNCONFIRMED;
    }
    return EXIT_SUCCESS;
}


static int flip(apr_pool_t *p, ctl_args_t *a)
{
    const char *scope = a->scope ? a->scope : UPKEEP_DEFAULT_SCOPE;
    int cancel = strcmp(a->command, "cancel") == 0;
    int layer, kept_end, rc;
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
    const char *tail = "";

    check_access(a->state_dir, 1);
    check_scope(p, a, scope);
    choose_layer(p, a);
    if (cancel && !(a->given & (O_CLUSTER | O_LOCAL)) && a->cluster) {
        /* cancel finds the window in whichever layer holds it */
        upkeep_record_t mine;

        if (upkeep_state_load(p, a->state_dir, scope, UPKEEP_LAYER_LOCAL,
                              &mine, err) == APR_SUCCESS
            && upkeep_window_pending(&mine, now)) {
            a->cluster = 0;
        }
    }
    layer = a->cluster ? UPKEEP_LAYER_CLUSTER : UPKEEP_LAYER_LOCAL;
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
    new_record(p, a, &old, now, &rec, &kept_end);
    if (!cancel && old.version && same_record(&old, &rec)) {
        /* nothing to change: no version, no write */
        apr_file_close(lock);
        rc = read_back(p, a, scope, slot, layer, &old, "already ",
                       apr_psprintf(p, " (version %" APR_UINT64_T_FMT ")",
                                    (apr_uint64_t)old.version));
        if (rc == EXIT_SUCCESS && a->wait) {
            rc = wait_for_writes(p, a, scope, slot, a->cluster ? &cc : NULL,
                                 old.version);
        }
        return rc;
    }
    if (old.version >= (uint64_t)APR_INT64_MAX) {
        fail("scope '%s' is at the largest version there is; not changed",
             scope);
    }
    rec.version = old.version + 1;
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
        if (a->cluster) {
            fprintf(stderr, "upkeepctl: %s; published to memcached, but not "
                    "applied here (the poller applies it within "
                    "UpkeepSyncInterval)\n", err);
            apr_file_close(lock);
            return EXIT_UNCONFIRMED;
        }
        fail("%s; not changed", err);
    }
    if (slot) {
        upkeep_slot_publish(slot, layer, &rec);
    }
    apr_file_close(lock);
    if (kept_end) {
        fprintf(stderr, "upkeepctl: note: the end of the window in force is "
                "kept (%s); --no-end removes it\n",
                upkeep_iso_time(p, rec.until));
    }
    tail = a->cluster
           ? apr_psprintf(p, " (version %" APR_UINT64_T_FMT ", stored on %d "
                          "of %d memcached servers)", (apr_uint64_t)rec.version,
                          stored, cc.nservers)
           : apr_psprintf(p, " (version %" APR_UINT64_T_FMT ")",
                          (apr_uint64_t)rec.version);
    rc = read_back(p, a, scope, slot, layer, &rec,
                   cancel ? apr_psprintf(p, "the %s window scheduled for %s "
                                         "is cancelled; ",
                                         upkeep_mode_name(old.mode),
                                         upkeep_iso_time(p, old.starts))
                          : "", tail);
    fflush(stdout);
    if ((rec.mode == UPKEEP_MODE_MAINTENANCE
         || rec.mode == UPKEEP_MODE_READONLY) && !cancel) {
        print_bypass_urls(p, a, scope, 0, 1);
    }
    if (a->wait) {
        int wrc = wait_for_writes(p, a, scope, slot, a->cluster ? &cc : NULL,
                                  rec.version);

        rc = wrc != EXIT_SUCCESS ? wrc : rc;
    }
    return rc;
}

/* forget --scope NAME: the state of a scope httpd no longer serves. */
static int forget(apr_pool_t *p, ctl_args_t *a)
{
    const upkeep_served_t *sv;
    apr_file_t *lock;
    char err[UPKEEP_ERRMSG_MAX];
    int l, removed = 0;

    check_access(a->state_dir, 1);
    sv = served(p, a->state_dir);
    if (!sv) {
        fail("httpd has not recorded its scopes in %s (start it first): "
             "cannot tell whether it serves scope '%s'; nothing changed",
             a->state_dir, a->scope);
    }
    if (upkeep_served_scope(sv, a->scope)) {
        fail("httpd's configuration names scope '%s': set it with upkeepctl "
             "--scope %s normal instead; nothing changed", a->scope,
             a->scope);
    }
    if (upkeep_lock_acquire(p, a->state_dir, &lock, err) != APR_SUCCESS) {
        fail("%s", err);
    }
    for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
        apr_status_t rv = apr_file_remove(upkeep_state_path(p, a->state_dir,
                                                            a->scope, l), p);

        if (rv == APR_SUCCESS) {
            removed++;
        }
        else if (!APR_STATUS_IS_ENOENT(rv)) {
            fail("cannot remove %s: %pm", upkeep_state_path(p, a->state_dir,
                                                            a->scope, l),
                 &rv);
        }
    }
    apr_file_close(lock);
    if (!removed) {
        printf("scope %s: already forgotten (no state file)\n", a->scope);
    }
    else {
        printf("scope %s: forgotten (%d state file%s removed)\n", a->scope,
               removed, removed == 1 ? "" : "s");
    }
    return EXIT_SUCCESS;
}

/* --- journal ------------------------------------------------------- */

/* One journal file opened for reading, with where its replay stands. */
typedef struct {
    const char *scope;
    int fd;
    apr_off_t size;
    char token[UPKEEP_JOURNAL_TOKEN_LEN + 1];
    upkeep_jstate_t st;
    int st_unknown;             /* SCOPE.jstate unreadable or damaged */
} ctl_journal_t;

/* 0 when the scope has no journal (or an empty one). */
static int journal_load(apr_pool_t *p, const char *dir, const char *scope,
                        ctl_journal_t *j)
{
    const char *path = apr_pstrcat(p, dir, "/" UPKEEP_JOURNAL_SUBDIR "/",
                                   scope, UPKEEP_JOURNAL_SUFFIX, NULL);
    char head[UPKEEP_JOURNAL_HDR_MAX], *text = NULL;
    char err[UPKEEP_ERRMSG_MAX];
    const char *why;
    apr_status_t rv;
    apr_size_t head_len, len;
    struct stat sb;
    ssize_t n;

    memset(j, 0, sizeof(*j));
    j->scope = scope;
    if ((j->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        if (errno == ENOENT) {
            return 0;
        }
        fail("cannot read %s: %s (the journal is readable by httpd's user "
             "and root only)", path, strerror(errno));
    }
    /* an entry being appended is whole once the writer lets go */
    if (flock(j->fd, LOCK_SH) != 0 || fstat(j->fd, &sb) != 0) {
        fail("cannot read %s: %s", path, strerror(errno));
    }
    flock(j->fd, LOCK_UN);
    j->size = sb.st_size;
    if (!j->size) {
        close(j->fd);
        return 0;
    }
    n = pread(j->fd, head, sizeof(head), 0);
    if (n <= 0 || !(head_len = upkeep_journal_parse_head(
                        head, (apr_size_t)n, j->token))) {
        fail("%s is not a journal", path);
    }
    path = apr_pstrcat(p, dir, "/" UPKEEP_JOURNAL_SUBDIR "/", scope,
                       UPKEEP_JSTATE_SUFFIX, NULL);
    rv = upkeep_file_read_all(p, path, UPKEEP_JSTATE_MAX, &text, &len, err);
    if (rv != APR_SUCCESS) {
        text = NULL;
    }
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        upkeep_jstate_parse(p, NULL, &j->st);
        j->st_unknown = 1;
        fprintf(stderr, "upkeepctl: warning: %s; where the replay of scope "
                "'%s' stands is unknown (entries below are all pending)\n",
                err, scope);
    }
    else if ((why = upkeep_jstate_parse(p, text, &j->st))) {
        j->st_unknown = 1;
        fprintf(stderr, "upkeepctl: warning: %s: %s; the replay of scope "
                "'%s' waits until it is fixed or removed (entries below are "
                "as if it were removed: all pending)\n", path, why, scope);
    }
    if (strcmp(j->st.token, j->token) != 0) {
        apr_cpystrn(j->st.token, j->token, sizeof(j->st.token));
        j->st.cursor = (int64_t)head_len;
        j->st.attempts = j->st.last = 0;
        j->st.first = j->st.next = 0;
        apr_array_clear(j->st.dead);
        apr_array_clear(j->st.again);
    }
    return 1;
}

/* "pending", "dead" or NULL (done) for entry e, with its attempts and
 * last answer. */
static const char *journal_state(const ctl_journal_t *j,
                                 const upkeep_jentry_t *e, int *attempts,
                                 int *last)
{
    int i;

    for (i = 0; i < j->st.dead->nelts; i++) {
        const upkeep_jdead_t *d = &APR_ARRAY_IDX(j->st.dead, i,
                                                 upkeep_jdead_t);

        if (d->off == e->off) {
            *attempts = d->attempts;
            *last = d->last;
            return "dead";
        }
    }
    for (i = 0; i < j->st.again->nelts; i++) {
        if (APR_ARRAY_IDX(j->st.again, i, int64_t) == e->off) {
            *attempts = i == 0 ? j->st.attempts : 0;
            *last = i == 0 ? j->st.last : 0;
            return "pending";
        }
    }
    if (e->off < j->st.cursor) {
        return NULL;
    }
    *attempts = e->off == j->st.cursor && !j->st.again->nelts
                ? j->st.attempts : 0;
    *last = e->off == j->st.cursor && !j->st.again->nelts ? j->st.last : 0;
    return "pending";
}

static int redacted(const char *line)
{
    static const char *const names[] = {
        "Authorization:", "Proxy-Authorization:", "Cookie:"
    };
    apr_size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strncasecmp(line, names[i], strlen(names[i])) == 0) {
            return (int)strlen(names[i]);
        }
    }
    return 0;
}

/* Writes n bytes of an entry; on a terminal, control characters (but
 * newline and tab, with `lines`) as \xHH, so a request cannot drive the
 * operator's terminal. */
static void put_entry_text(const char *t, apr_size_t n, int lines, int tty)
{
    apr_size_t i;

    if (!tty) {
        fwrite(t, 1, n, stdout);
        return;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];

        if ((c < 0x20 && !(lines && (c == '\n' || c == '\t'))) || c == 0x7f) {
            printf("\\x%02x", c);
        }
        else {
            putchar(c);
        }
    }
}

/* journal retry|drop on one scope, under the replay's own lock (so the
 * replay never saves over the change), SCOPE.jstate replaced whole and
 * owned as before.  Returns how many entries it changed. */
static int journal_change(apr_pool_t *p, ctl_args_t *a, const char *scope)
{
    const char *dir = apr_pstrcat(p, a->state_dir, "/" UPKEEP_JOURNAL_SUBDIR,
                                  NULL);
    const char *lock = apr_pstrcat(p, dir, "/", scope, UPKEEP_JLOCK_SUFFIX,
                                   NULL);
    const char *path = apr_pstrcat(p, dir, "/", scope, UPKEEP_JSTATE_SUFFIX,
                                   NULL);
    const char *tmp = apr_pstrcat(p, path, ".upkeepctl", NULL);
    int retry = strcmp(a->journal_verb, "retry") == 0;
    int all = strcmp(a->journal_id, "--dead") == 0;
    int lfd, fd, tries, changed = 0, i;
    ctl_journal_t j;
    struct stat owner;
    const char *text;

    if ((lfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        return 0;       /* no replay ever stood anywhere: nothing dead */
    }
    if (fstat(lfd, &owner) != 0) {
        fail("cannot read %s: %s; nothing changed", path, strerror(errno));
    }
    close(lfd);
    if ((lfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600))
        < 0 || fchown(lfd, owner.st_uid, owner.st_gid) != 0) {
        fail("cannot open %s: %s; nothing changed", lock, strerror(errno));
    }
    for (tries = 0; flock(lfd, LOCK_EX | LOCK_NB) != 0; tries++) {
        if (tries == 50) {
            fail("the replay of scope '%s' is busy (%s is locked); nothing "
                 "changed, try again", scope, lock);
        }
        apr_sleep(apr_time_from_msec(100));
    }
    if (!journal_load(p, a->state_dir, scope, &j)) {
        close(lfd);
        return 0;
    }
    if (j.st_unknown) {
        fail("%s cannot be read or does not parse; nothing changed", path);
    }
    for (i = 0; i < j.st.dead->nelts; i++) {
        upkeep_jdead_t *d = &APR_ARRAY_IDX(j.st.dead, i, upkeep_jdead_t);
        upkeep_jentry_t e;
        int skipped;

        if (!all && (!upkeep_journal_next(j.fd, j.size, j.token, d->off, 0,
                                          &e, &skipped)
                     || e.off != d->off || strcmp(e.id, a->journal_id))) {
            continue;
        }
        if (retry) {
            APR_ARRAY_PUSH(j.st.again, int64_t) = d->off;
        }
        printf("scope %s: entry %s: dead -> %s\n", scope,
               upkeep_journal_next(j.fd, j.size, j.token, d->off, 0, &e,
                                   &skipped) ? e.id : "?",
               retry ? "pending (sent again next)" : "dropped");
        memmove(d, d + 1, (size_t)(j.st.dead->nelts - i - 1) * sizeof(*d));
        j.st.dead->nelts--;
        i--;
        changed++;
    }
    close(j.fd);
    if (!changed) {
        close(lfd);
        return 0;
    }
    text = upkeep_jstate_encode(p, &j.st);
    unlink(tmp);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   0600)) < 0
        || write(fd, text, strlen(text)) != (ssize_t)strlen(text)
        || fchown(fd, owner.st_uid, owner.st_gid) != 0 || fsync(fd) != 0
        || close(fd) != 0 || rename(tmp, path) != 0) {
        int err = errno;

        unlink(tmp);
        fail("cannot write %s: %s; nothing changed", path, strerror(err));
    }
    close(lfd);
    return changed;
}

static int journal(apr_pool_t *p, ctl_args_t *a)
{
    int tty = isatty(STDOUT_FILENO);
    const upkeep_served_t *sv;
    apr_array_header_t *scopes = apr_array_make(p, 8, sizeof(const char *));
    int i, found = 0;

    check_access(a->state_dir, 0);
    if (a->scope) {
        APR_ARRAY_PUSH(scopes, const char *) = a->scope;
    }
    else if ((sv = served(p, a->state_dir)) != NULL) {
        for (i = 0; i < sv->nscopes; i++) {
            APR_ARRAY_PUSH(scopes, const char *) = sv->scopes[i].name;
        }
    }
    else {
        APR_ARRAY_PUSH(scopes, const char *) = UPKEEP_DEFAULT_SCOPE;
    }
    if (a->journal_verb && strcmp(a->journal_verb, "show") != 0) {
        check_access(a->state_dir, 1);
        for (i = 0; i < scopes->nelts; i++) {
            found += journal_change(p, a, APR_ARRAY_IDX(scopes, i,
                                                        const char *));
        }
        if (!found && strcmp(a->journal_id, "--dead") != 0) {
            fail("no dead journal entry %s (only dead entries can be sent "
                 "again or dropped: see upkeepctl journal)", a->journal_id);
        }
        if (!found) {
            printf("no dead journal entry\n");
        }
        return EXIT_SUCCESS;
    }
    if (!a->journal_verb) {
        printf("%-30s %-12s %-8s %-20s %8s %4s %s\n", "ID", "SCOPE", "STATE",
               "RECEIVED", "ATTEMPTS", "LAST", "REQUEST");
    }
    for (i = 0; i < scopes->nelts; i++) {
        ctl_journal_t j;
        upkeep_jentry_t e;
        apr_off_t at;
        int skipped;

        if (!journal_load(p, a->state_dir,
                          APR_ARRAY_IDX(scopes, i, const char *), &j)) {
            continue;
        }
        at = (apr_off_t)strlen(UPKEEP_JOURNAL_MAGIC)
             + UPKEEP_JOURNAL_TOKEN_LEN + 1;
        for (; at < j.size
             && upkeep_journal_next(j.fd, j.size, j.token, at, 1, &e,
                                    &skipped); at = e.end) {
            upkeep_jpayload_t pl;
            int attempts = 0, last = 0, h;
            const char *state = journal_state(&j, &e, &attempts, &last);

            if (!state || (a->journal_id && strcmp(a->journal_id, e.id))) {
                continue;
            }
            if (upkeep_journal_read(p, j.fd, &e, &pl) != 0) {
                fprintf(stderr, "upkeepctl: warning: entry %s of scope '%s' "
                        "does not parse\n", e.id, j.scope);
                continue;
            }
            found++;
            if (!a->journal_verb) {
                printf("%-30s %-12s %-8s %-20s %8d %4d ", e.id, j.scope,
                       state, upkeep_iso_time(p, apr_time_sec(pl.received)),
                       attempts, last);
                put_entry_text(pl.method, strlen(pl.method), 0, tty);
                putchar(' ');
                put_entry_text(pl.uri, strlen(pl.uri), 0, tty);
                putchar('\n');
                continue;
            }
            printf("Id: %s\nScope: %s\nState: %s\nReceived: %s\n"
                   "Attempts: %d\nLast: %d\n\n", e.id, j.scope, state,
                   upkeep_iso_time(p, apr_time_sec(pl.received)), attempts,
                   last);
            put_entry_text(pl.method, strlen(pl.method), 0, tty);
            putchar(' ');
            put_entry_text(pl.uri, strlen(pl.uri), 0, tty);
            fputs(" HTTP/1.1\n", stdout);
            for (h = 0; h < pl.headers->nelts; h++) {
                const char *line = APR_ARRAY_IDX(pl.headers, h,
                                                 const char *);
                int name = redacted(line);

                if (name && !(a->given & O_UNREDACTED)) {
                    printf("%.*s [redacted]\n", name, line);
                }
                else {
                    put_entry_text(line, strlen(line), 0, tty);
                    putchar('\n');
                }
            }
            putchar('\n');
            put_entry_text(pl.body, pl.body_len, 1, tty);
        }
        close(j.fd);
    }
    if (a->journal_verb && !found) {
        fail("no pending or dead journal entry %s", a->journal_id);
    }
    return EXIT_SUCCESS;
}

static int help(apr_pool_t *p, ctl_args_t *a)
{
    const ctl_command_t *c = NULL;

    (void)p;
    if (a->help_topic && !(c = find_command(a->help_topic))) {
        fail_usage("help: unknown command '%s'", a->help_topic);
    }
    print_usage(stdout, c);
    return EXIT_SUCCESS;
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

/* Every scope httpd serves (else every one with a live slot) and every
 * one with a state file, sorted. */
static apr_array_header_t *known_scopes(apr_pool_t *p, const char *dir,
                                        const upkeep_live_t *live,
                                        const upkeep_served_t *sv)
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
    for (i = 0; sv && i < sv->nscopes; i++) {
        add_name(p, names, sv->scopes[i].name, strlen(sv->scopes[i].name));
    }
    for (i = 0; !sv && live && i < UPKEEP_MAX_SCOPES; i++) {
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

/* What status finds: gathered once, then rendered as text or JSON. */
typedef struct {
    const char *name;
    upkeep_effective_t eff;
    const upkeep_served_scope_t *conf;  /* NULL: built-in defaults */
    int has_slot;
    int64_t inflight, held;
    const char *live_state;     /* the files against the live slot */
    const char **memcached;     /* per server, with --cluster; else NULL */
} scope_report_t;

typedef struct {
    const char *node;
    int runs;                   /* an httpd runs on this state directory */
    const upkeep_served_t *sv;
    upkeep_live_t *live;
    int have_cluster;
    upkeep_cluster_conf_t httpd_cc;     /* httpd's servers (failing mask) */
    upkeep_mc_t *mc;            /* --cluster: the servers asked */
    int nservers;
    apr_array_header_t *scopes; /* scope_report_t */
    int failed;                 /* a scope's files could not be read */
} status_report_t;

/* What each memcached server holds for a scope (status --cluster). */
static const char **memcached_values(apr_pool_t *p, upkeep_mc_t *mc,
                                     const upkeep_cluster_conf_t *cc,
                                     const char *scope)
{
    const char *key = upkeep_cluster_key(p, cc, scope);
    const char **out = apr_pcalloc(p, sizeof(*out) * cc->nservers);
    upkeep_mc_reply_t r[UPKEEP_MAX_SERVERS];
    char err[UPKEEP_ERRMSG_MAX];
    int i;

    upkeep_mc_each(mc, p, key, NULL, 0, NULL, r);
    for (i = 0; i < cc->nservers; i++) {
        upkeep_record_t rec;

        if (r[i].got == UPKEEP_GET_ERROR) {
            out[i] = "no answer";
        }
        else if (r[i].got == UPKEEP_GET_MISSING) {
            out[i] = "missing";
        }
        else if (upkeep_value_decode(p, cc, scope, r[i].value, r[i].len, &rec,
                                     err) != APR_SUCCESS) {
            out[i] = apr_pstrcat(p, "invalid: it ", err, NULL);
        }
        else {
            out[i] = apr_psprintf(p, "%s (version %" APR_UINT64_T_FMT ")",
                                  upkeep_mode_name(rec.mode),
                                  (apr_uint64_t)rec.version);
        }
    }
    return out;
}

static void gather_status(apr_pool_t *p, ctl_args_t *a, int64_t now,
                          status_report_t *st)
{
    upkeep_live_map_t map;
    upkeep_cluster_conf_t *cc = NULL;
    apr_array_header_t *names;
    char err[UPKEEP_ERRMSG_MAX];
    int i;

    memset(st, 0, sizeof(*st));
    check_access(a->state_dir, 0);
    st->sv = served(p, a->state_dir);
    st->node = st->sv ? st->sv->node : upkeep_host_name(p);
    st->runs = httpd_runs(p, a->state_dir);
    if (a->scope) {
        check_scope(p, a, a->scope);
    }
    if (upkeep_live_attach(p, a->state_dir, &map, err) == APR_SUCCESS) {
        st->live = map.live;
    }
    st->have_cluster = upkeep_cluster_conf_load(p, a->state_dir,
                                                &st->httpd_cc, err)
                       == APR_SUCCESS;
    if (!st->have_cluster && cluster_unrecorded(p, a->state_dir)) {
        fprintf(stderr, "upkeepctl: warning: httpd has UpkeepMemcached, but "
                "%s/%s is missing (see UPK0030 in its error log): cluster "
                "flips fail until httpd can write it\n", a->state_dir,
                UPKEEP_CLUSTER_CONF);
        st->have_cluster = 1;   /* its layers still count */
    }
    if (a->given & O_CLUSTER) {
        cc = apr_pcalloc(p, sizeof(*cc));
        cluster_conf(p, a, cc);
        st->have_cluster = 1;
        st->nservers = cc->nservers;
        if (upkeep_mc_open(p, cc, &st->mc, err) != APR_SUCCESS) {
            fail("%s", err);
        }
    }
    if (a->scope) {
        names = apr_array_make(p, 1, sizeof(const char *));
        APR_ARRAY_PUSH(names, const char *) = a->scope;
    }
    else {
        names = known_scopes(p, a->state_dir, st->live, st->sv);
    }
    st->scopes = apr_array_make(p, names->nelts, sizeof(scope_report_t));
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        upkeep_slot_t *slot = st->live ? upkeep_live_slot(st->live, name, 0)
                                       : NULL;
        upkeep_record_t rec[UPKEEP_LAYER_COUNT];
        scope_report_t *sr;

        /* reported on stderr, left out of the report */
        if (upkeep_scope_records(p, a->state_dir, name, slot, rec, err)
            != APR_SUCCESS) {
            fprintf(stderr, "upkeepctl: %s\n", err);
            st->failed = 1;
            continue;
        }
        sr = apr_array_push(st->scopes);
        sr->name = name;
        sr->live_state = "none";
        if (slot) {
            upkeep_record_t seen[UPKEEP_LAYER_COUNT];
            int mode, layer;

            upkeep_slot_read(slot, now, &mode, &layer, seen, 1);
            sr->live_state = seen[0].version == rec[0].version
                             && seen[1].version == rec[1].version
                             ? "in sync"
                             : "differs (httpd applies the files when it "
                               "starts)";
            sr->has_slot = 1;
            sr->inflight = atomic_load(&slot->inflight_writes);
            sr->held = atomic_load(&slot->held_now);
        }
        upkeep_effective(rec, now, &sr->eff);
        sr->conf = upkeep_served_scope(st->sv, name);
        sr->memcached = st->mc ? memcached_values(p, st->mc, cc, name) : NULL;
    }
}

/* One scope, in words (status without --json). */
static void print_scope(apr_pool_t *p, const status_report_t *st,
                        const scope_report_t *sr, int64_t now)
{
    const upkeep_effective_t *e = &sr->eff;
    const upkeep_record_t *r = &e->rec[e->layer];
    upkeep_client_view_t cv;
    int l, i;

    if (e->mode == UPKEEP_MODE_NORMAL && e->pending >= 0) {
        printf("scope %s: %s", sr->name, describe(p, e, sr->conf, now));
    }
    else {
        printf("scope %s: %s", sr->name, upkeep_mode_name(e->mode));
    }
    if (e->expired) {
        printf(" (%s ended at %s)", upkeep_mode_name(r->mode),
               upkeep_iso_time(p, r->until));
    }
    for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
        if (upkeep_window_pending(&e->rec[l], now)) {
            printf("\n  scheduled:   %s from %s%s%s (in %s)%s%s",
                   upkeep_mode_name(e->rec[l].mode),
                   upkeep_iso_time(p, e->rec[l].starts),
                   e->rec[l].until ? " to " : ", no end",
                   upkeep_iso_time(p, e->rec[l].until),
                   upkeep_human_duration(p, e->rec[l].starts - now),
                   st->have_cluster ? ", " : "",
                   st->have_cluster ? upkeep_layer_names[l] : "");
        }
    }
    printf("\n  reason:      %s\n", r->reason[0] ? r->reason : "-");
    printf("  since:       %s\n", r->since ? upkeep_iso_time(p, r->since)
                                           : "-");
    printf("  until:       %s\n", r->until && !e->expired
                                  ? upkeep_when(p, r->until, now) : "-");
    upkeep_client_view(e, sr->conf, now, &cv);
    if (e->mode != UPKEEP_MODE_NORMAL) {
        /* what refused clients get, whatever set it */
        printf("  retry-after: %d\n", cv.retry_after);
        printf("  refusal:     %d\n", cv.refusal_status);
    }
    else {
        printf("  retry-after: -\n");
    }
    if (e->mode == UPKEEP_MODE_HOLD) {
        printf("  hold-max:    %d ms\n", cv.hold_max_ms);
    }
    printf("  version:     %" APR_UINT64_T_FMT "\n", (apr_uint64_t)r->version);
    printf("  changed-by:  %s\n", r->changed_by[0] ? r->changed_by : "-");
    if (st->have_cluster) {
        printf("  layer:       %s\n", upkeep_layer_names[e->layer]);
        for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
            printf("  %s:%s%s (version %" APR_UINT64_T_FMT ")\n",
                   upkeep_layer_names[l], l ? "     " : "       ",
                   upkeep_mode_name(upkeep_mode_at(&e->rec[l], now)),
                   (apr_uint64_t)e->rec[l].version);
        }
    }
    if (sr->has_slot) {
        printf("  writes:      %" APR_INT64_T_FMT " in flight, %"
               APR_INT64_T_FMT " held\n",
               (apr_int64_t)sr->inflight, (apr_int64_t)sr->held);
    }
    printf("  live:        %s\n", sr->live_state);
    for (i = 0; sr->memcached && i < st->nservers; i++) {
        printf("  memcached:   %s %s\n", upkeep_mc_server_name(st->mc, i),
               sr->memcached[i]);
    }
}

static void render_status_text(apr_pool_t *p, const ctl_args_t *a,
                               const status_report_t *st, int64_t now)
{
    upkeep_live_t *live = st->live;
    int i;

    if (!st->runs) {
        printf("no httpd runs on %s%s: what follows is what it will serve "
               "when it starts\n", a->state_dir,
               st->sv ? apr_psprintf(p, " (its PidFile %s names no running "
                                     "process)", st->sv->pidfile)
                      : " (none has started with it)");
    }
    for (i = 0; i < st->scopes->nelts; i++) {
        print_scope(p, st, &APR_ARRAY_IDX(st->scopes, i, scope_report_t),
                    now);
    }
    if (st->have_cluster) {
        int64_t ok = live ? atomic_load(&live->sync.last_ok) : 0;
        const char *bad = live && st->httpd_cc.nservers
                          ? upkeep_cluster_server_list(
                                p, &st->httpd_cc,
                                atomic_load(&live->sync.failing_servers), 0)
                          : "";

        if (ok) {
            printf("cluster sync: last good poll %s (%" APR_INT64_T_FMT
                   "s ago)%s\n", upkeep_iso_time(p, ok), now - ok,
                   atomic_load(&live->sync.failing) ? "; no memcached "
                   "server answers now" : "");
        }
        else {
            printf("cluster sync: no good poll yet\n");
        }
        if (*bad) {
            printf("cluster sync: failing memcached servers (skipped, tried "
                   "again with backoff): %s\n", bad);
        }
    }
    if (live && atomic_load(&live->drain.drained)) {
        printf("drain: on since %s (the health check answers 503)\n",
               upkeep_iso_time(p, atomic_load(&live->drain.since)));
    }
}

static void render_status_json(apr_pool_t *p, const ctl_args_t *a,
                               const status_report_t *st, int64_t now)
{
    upkeep_live_t *live = st->live;
    int i, j;

    printf("{%s,\"state_dir\":%s,\"httpd_running\":%s,\"scopes\":[",
           upkeep_status_json_head(p, st->node, now),
           upkeep_json_str(p, a->state_dir), st->runs ? "true" : "false");
    for (i = 0; i < st->scopes->nelts; i++) {
        const scope_report_t *sr = &APR_ARRAY_IDX(st->scopes, i,
                                                  scope_report_t);
        upkeep_scope_view_t v;
        const char *mc = "";

        for (j = 0; sr->memcached && j < st->nservers; j++) {
            mc = apr_psprintf(p, "%s%s{\"server\":%s,\"value\":%s}", mc,
                              j ? "," : "",
                              upkeep_json_str(p, upkeep_mc_server_name(
                                                     st->mc, j)),
                              upkeep_json_str(p, sr->memcached[j]));
        }
        v.name = sr->name;
        v.eff = &sr->eff;
        v.conf = sr->conf;
        v.inflight = sr->inflight;
        v.held = sr->held;
        v.extra = apr_psprintf(p, ",\"live\":%s%s%s%s",
                               upkeep_json_str(p, sr->live_state),
                               sr->memcached ? ",\"memcached\":[" : "", mc,
                               sr->memcached ? "]" : "");
        printf("%s%s", i ? "," : "", upkeep_scope_json(p, &v, now));
    }
    printf("]");
    if (live) {
        printf(",\"drained\":%s,\"drained_since\":%s",
               atomic_load(&live->drain.drained) ? "true" : "false",
               upkeep_json_time(p, atomic_load(&live->drain.since)));
    }
    if (live && st->have_cluster) {
        int64_t ok = atomic_load(&live->sync.last_ok);

        printf(",\"sync\":{\"last_ok\":%s,\"age\":%s,\"failing\":%s,"
               "\"failing_servers\":[%s]}",
               upkeep_json_time(p, ok),
               ok ? apr_psprintf(p, "%" APR_INT64_T_FMT, now - ok) : "null",
               atomic_load(&live->sync.failing) ? "true" : "false",
               st->httpd_cc.nservers ? upkeep_cluster_server_list(
                   p, &st->httpd_cc, atomic_load(&live->sync.failing_servers),
                   1) : "");
    }
    printf("}\n");
}

static int status(apr_pool_t *p, ctl_args_t *a)
{
    int64_t now = apr_time_sec(apr_time_now());
    status_report_t st;

    gather_status(p, a, now, &st);
    if (a->json) {
        render_status_json(p, a, &st, now);
    }
    else {
        render_status_text(p, a, &st, now);
    }
    return st.failed ? EXIT_FAILURE
           : st.runs ? EXIT_SUCCESS : EXIT_UNCONFIRMED;
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
    /* generated files (make upkeepctl.8 upkeepctl.bash-completion) */
    if (argc == 2 && strcmp(argv[1], "--man") == 0) {
        print_man(stdout);
        return EXIT_SUCCESS;
    }
    if (argc == 2 && strcmp(argv[1], "--bash-completion") == 0) {
        print_completion(stdout);
        return EXIT_SUCCESS;
    }
    parse_args(p, argc, argv, &args);
    return args.cmd->run(p, &args);
}
