/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_config.c: mod_upkeep's directives, per-server and per-directory
 * configuration, and the getters that resolve their defaults.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_user.h"
#include "http_core.h"
#include "ap_mpm.h"
#include "mpm_common.h"

#include "upkeep_private.h"

/* What a directive not given anywhere (-1 after the merges) means. */
#define GIVEN_OR(value, dflt) ((value) == -1 ? (dflt) : (value))

/* --- scope registry -------------------------------------------------- */

static const char *scope_names[UPKEEP_MAX_SCOPES];
static int scope_count;

/* Set when any virtual host has UpkeepHealthCheck, UpkeepBypassSecret:
 * most requests of most servers then skip that work. */
int upkeep_health_configured;
int upkeep_bypass_configured;
int upkeep_journal_configured;

void upkeep_config_reset(void)
{
    upkeep_health_configured = 0;
    upkeep_bypass_configured = 0;
    upkeep_journal_configured = 0;
    scope_names[0] = UPKEEP_DEFAULT_SCOPE;
    scope_count = 1;
}

int upkeep_scope_count(void)
{
    return scope_count;
}

const char *upkeep_scope_name(int index)
{
    return scope_names[index];
}

static int scope_register(apr_pool_t *p, const char *name)
{
    int i;

    for (i = 0; i < scope_count; i++) {
        if (strcmp(scope_names[i], name) == 0) {
            return i;
        }
    }
    if (scope_count == UPKEEP_MAX_SCOPES) {
        return -1;
    }
    scope_names[scope_count] = apr_pstrdup(p, name);
    return scope_count++;
}

/* --- create / merge -------------------------------------------------- */

void *upkeep_create_server_conf(apr_pool_t *p, server_rec *s)
{
    upkeep_server_conf *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->state_dir = NULL;
    sc->control_group = (gid_t)-1;
    sc->control_group_set = 0;
    sc->memcached = NULL;
    sc->sync_interval = -1;
    sc->key_prefix = NULL;
    sc->secret_file = NULL;
    sc->secret = NULL;
    sc->timeout_ms = -1;
    sc->health_path = NULL;
    sc->hold_limit = -1;
    sc->bypass = NULL;
    sc->bypass_ttl = -1;
    sc->bypass_path = NULL;
    return sc;
}

void *upkeep_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    upkeep_server_conf *base = basev, *add = addv;
    upkeep_server_conf *sc = apr_pcalloc(p, sizeof(*sc));

    sc->state_dir = add->state_dir ? add->state_dir : base->state_dir;
    sc->control_group_set = add->control_group_set
                            || base->control_group_set;
    sc->control_group = add->control_group_set ? add->control_group
                                               : base->control_group;
    sc->memcached = add->memcached ? add->memcached : base->memcached;
    sc->sync_interval = add->sync_interval != -1 ? add->sync_interval
                                                 : base->sync_interval;
    sc->key_prefix = add->key_prefix ? add->key_prefix : base->key_prefix;
    sc->secret_file = add->secret_file ? add->secret_file
                                       : base->secret_file;
    sc->secret = add->secret ? add->secret : base->secret;
    sc->timeout_ms = add->timeout_ms != -1 ? add->timeout_ms
                                           : base->timeout_ms;
    sc->health_path = add->health_path ? add->health_path
                                       : base->health_path;
    sc->hold_limit = add->hold_limit != -1 ? add->hold_limit
                                           : base->hold_limit;
    sc->bypass = add->bypass ? add->bypass : base->bypass;
    sc->bypass_ttl = add->bypass_ttl != -1 ? add->bypass_ttl
                                           : base->bypass_ttl;
    sc->bypass_path = add->bypass_path ? add->bypass_path
                                       : base->bypass_path;
    return sc;
}

void *upkeep_create_dir_conf(apr_pool_t *p, char *dir)
{
    upkeep_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));

    (void)dir;
    dc->enabled = -1;
    dc->scope = -1;
    dc->exempt = NULL;
    dc->allow_from = NULL;
    dc->safe_methods = NULL;
    dc->retry_after = -1;
    dc->page = NULL;
    dc->hold_max_ms = -1;
    dc->hold_release = -1;
    dc->allow_writes = NULL;
    dc->readonly_status = -1;
    dc->announce = -1;
    dc->refresh = -1;
    dc->banner = NULL;
    dc->languages = NULL;
    dc->site_name = NULL;
    dc->journal = NULL;
    dc->journal_max = -1;
    dc->journal_body_max = -1;
    dc->journal_retry = -1;
    dc->journal_concurrency = -1;
    return dc;
}

/* Exemption lists add up from the outer context to the inner one. */
static apr_array_header_t *merge_lists(apr_pool_t *p,
                                       apr_array_header_t *base,
                                       apr_array_header_t *add)
{
    if (!base || !add) {
        return base ? base : add;
    }
    return apr_array_append(p, base, add);
}

void *upkeep_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    upkeep_dir_conf *base = basev, *add = addv;
    upkeep_dir_conf *dc = apr_pcalloc(p, sizeof(*dc));

    dc->enabled = add->enabled != -1 ? add->enabled : base->enabled;
    dc->scope = add->scope != -1 ? add->scope : base->scope;
    dc->exempt = merge_lists(p, base->exempt, add->exempt);
    dc->allow_from = merge_lists(p, base->allow_from, add->allow_from);
    dc->safe_methods = add->safe_methods ? add->safe_methods
                                         : base->safe_methods;
    dc->retry_after = add->retry_after != -1 ? add->retry_after
                                             : base->retry_after;
    dc->page = add->page ? add->page : base->page;
    dc->hold_max_ms = add->hold_max_ms != -1 ? add->hold_max_ms
                                             : base->hold_max_ms;
    dc->hold_release = add->hold_release != -1 ? add->hold_release
                                               : base->hold_release;
    dc->allow_writes = merge_lists(p, base->allow_writes, add->allow_writes);
    dc->readonly_status = add->readonly_status != -1 ? add->readonly_status
                                                     : base->readonly_status;
    dc->announce = add->announce != -1 ? add->announce : base->announce;
    dc->refresh = add->refresh != -1 ? add->refresh : base->refresh;
    dc->banner = add->banner ? add->banner : base->banner;
    dc->languages = add->languages ? add->languages : base->languages;
    dc->site_name = add->site_name ? add->site_name : base->site_name;
    dc->journal = merge_lists(p, base->journal, add->journal);
    dc->journal_max = add->journal_max != -1 ? add->journal_max
                                             : base->journal_max;
    dc->journal_body_max = add->journal_body_max != -1
                           ? add->journal_body_max : base->journal_body_max;
    dc->journal_retry = add->journal_retry != -1 ? add->journal_retry
                                                 : base->journal_retry;
    dc->journal_concurrency = add->journal_concurrency != -1
                              ? add->journal_concurrency
                              : base->journal_concurrency;
    return dc;
}

/* --- getters: directory -> server -> built-in ------------------------- */

const char *upkeep_state_dir(server_rec *s)
{
    upkeep_server_conf *sc = ap_get_module_config(s->module_config,
                                                  &upkeep_module);

    return sc->state_dir ? sc->state_dir : UPKEEP_DEFAULT_STATE_DIR;
}

upkeep_cluster_conf_t *upkeep_cluster_conf(apr_pool_t *p, server_rec *s)
{
    upkeep_server_conf *sc = ap_get_module_config(s->module_config,
                                                  &upkeep_module);
    upkeep_cluster_conf_t *cc;

    if (!sc->memcached) {
        return NULL;
    }
    cc = apr_pcalloc(p, sizeof(*cc));
    if (sc->secret) {
        *cc = *sc->secret;
    }
    /* checked when the directive was read */
    upkeep_cluster_parse_servers(p, sc->memcached, cc);
    cc->key_prefix = sc->key_prefix ? sc->key_prefix
                                    : UPKEEP_DEFAULT_KEY_PREFIX;
    cc->timeout_ms = GIVEN_OR(sc->timeout_ms, UPKEEP_DEFAULT_TIMEOUT_MS);
    return cc;
}

apr_interval_time_t upkeep_sync_interval(server_rec *s)
{
    upkeep_server_conf *sc = ap_get_module_config(s->module_config,
                                                  &upkeep_module);

    return GIVEN_OR(sc->sync_interval, UPKEEP_DEFAULT_SYNC_INTERVAL);
}

int upkeep_conf_enabled(const upkeep_dir_conf *dc)
{
    return dc->enabled != 0;
}

int upkeep_conf_retry_after(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->retry_after, UPKEEP_DEFAULT_RETRY_AFTER);
}

int upkeep_conf_hold_release(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->hold_release, UPKEEP_DEFAULT_HOLD_RELEASE);
}

apr_off_t upkeep_conf_journal_max(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->journal_max, UPKEEP_DEFAULT_JOURNAL_MAX);
}

apr_off_t upkeep_conf_journal_body_max(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->journal_body_max, UPKEEP_DEFAULT_JOURNAL_BODY_MAX);
}

apr_interval_time_t upkeep_conf_journal_retry(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->journal_retry, UPKEEP_DEFAULT_JOURNAL_RETRY);
}

int upkeep_conf_journal_concurrency(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->journal_concurrency,
                    UPKEEP_DEFAULT_JOURNAL_CONCURRENCY);
}

int upkeep_conf_hold_max_ms(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->hold_max_ms, UPKEEP_DEFAULT_HOLD_MAX_MS);
}

int upkeep_conf_readonly_status(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->readonly_status, HTTP_SERVICE_UNAVAILABLE);
}

int upkeep_conf_announce(const upkeep_dir_conf *dc)
{
    return GIVEN_OR(dc->announce, UPKEEP_DEFAULT_ANNOUNCE);
}

const char *upkeep_conf_safe_methods(apr_pool_t *p,
                                     const upkeep_dir_conf *dc)
{
    return dc->safe_methods ? apr_array_pstrcat(p, dc->safe_methods, ',')
                            : "GET,HEAD,OPTIONS";
}

/* Default: when the client is told to retry, but at least every
 * UPKEEP_MAX_DEFAULT_REFRESH (a window of 30 minutes that ends early must
 * not leave open tabs on the page for half an hour) and never faster than
 * UPKEEP_MIN_REFRESH: a window about to end (Retry-After: 1) must not make
 * every open tab reload every second. */
int upkeep_conf_refresh(const upkeep_dir_conf *dc, int retry_after)
{
    if (dc->refresh != -1) {
        return dc->refresh;
    }
    return retry_after < UPKEEP_MIN_REFRESH ? UPKEEP_MIN_REFRESH
           : retry_after > UPKEEP_MAX_DEFAULT_REFRESH
             ? UPKEEP_MAX_DEFAULT_REFRESH : retry_after;
}

const upkeep_lang_t *upkeep_conf_lang(const request_rec *r,
                                      const upkeep_dir_conf *dc,
                                      int *varies)
{
    const apr_array_header_t *l = dc->languages;
    int n = l ? l->nelts : 0;

    *varies = n != 1;
    if (n == 1) {
        return &upkeep_langs[APR_ARRAY_IDX(l, 0, int)];
    }
    return &upkeep_langs[upkeep_lang_negotiate(
        apr_table_get(r->headers_in, "Accept-Language"),
        n ? (const int *)l->elts : NULL, n)];
}

const char *upkeep_conf_site(const request_rec *r,
                             const upkeep_dir_conf *dc)
{
    return dc->site_name ? dc->site_name : r->server->server_hostname;
}

/* httpd's Vary fixup (http_filters.c) drops repeated names. */
void upkeep_vary_language(request_rec *r, int varies)
{
    if (varies) {
        apr_table_mergen(r->err_headers_out, "Vary", "Accept-Language");
    }
}

/* Default: a quarter of the worker slots, so reads keep being served. */
int upkeep_hold_limit(server_rec *s)
{
    upkeep_server_conf *sc = ap_get_module_config(s->module_config,
                                                  &upkeep_module);
    int daemons = 1, threads = 1, workers;

    if (sc->hold_limit != -1) {
        return sc->hold_limit;
    }
    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons);
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    workers = (daemons > 0 ? daemons : 1) * (threads > 0 ? threads : 1);
    return workers >= 4 ? workers / 4 : 1;
}


const char *upkeep_health_path(server_rec *s)
{
    upkeep_server_conf *sc = ap_get_module_config(s->module_config,
                                                  &upkeep_module);

    return sc->health_path;
}

/* --- directive handlers ---------------------------------------------- */

static const char *set_enabled(cmd_parms *cmd, void *dcv, int on)
{
    upkeep_dir_conf *dc = dcv;

    (void)cmd;
    dc->enabled = on;
    return NULL;
}

static const char *set_scope(cmd_parms *cmd, void *dcv, const char *name)
{
    upkeep_dir_conf *dc = dcv;
    const char *why = upkeep_check_scope_name(name);

    if (why) {
        return apr_psprintf(cmd->pool, "UpkeepScope: scope name '%s' %s",
                            name, why);
    }
    dc->scope = scope_register(cmd->pool, name);
    if (dc->scope < 0) {
        return apr_psprintf(cmd->pool, "UpkeepScope: cannot add scope '%s': "
                            "at most %d scopes are supported", name,
                            UPKEEP_MAX_SCOPES);
    }
    return NULL;
}

/* cmd->info of the list directives */
enum { LIST_EXEMPT, LIST_ALLOW_WRITES, LIST_ALLOW_FROM, LIST_SAFE_METHODS,
       LIST_JOURNAL };

static apr_array_header_t *list_of(apr_pool_t *p, apr_array_header_t **l)
{
    if (!*l) {
        *l = apr_array_make(p, 4, sizeof(void *));
    }
    return *l;
}

static const char *add_allow_from(cmd_parms *cmd, upkeep_dir_conf *dc,
                                  const char *arg)
{
    apr_ipsubnet_t *subnet;
    const char *why = upkeep_parse_cidr(cmd->pool, arg, &subnet);

    if (why) {
        return apr_psprintf(cmd->pool, "UpkeepAllowFrom: '%s' %s", arg, why);
    }
    APR_ARRAY_PUSH(list_of(cmd->pool, &dc->allow_from),
                   apr_ipsubnet_t *) = subnet;
    return NULL;
}

static int is_method_token(const char *s)
{
    /* RFC 9110 token characters */
    for (; *s; s++) {
        if (!apr_isalnum(*s) && !strchr("!#$%&'*+-.^_`|~", *s)) {
            return 0;
        }
    }
    return 1;
}

static const char *add_to_list(cmd_parms *cmd, void *dcv, const char *arg)
{
    upkeep_dir_conf *dc = dcv;

    switch ((int)(apr_uintptr_t)cmd->info) {
    case LIST_EXEMPT:
    case LIST_ALLOW_WRITES:
    case LIST_JOURNAL:
        if (arg[0] != '/' || strpbrk(arg, "%;?#")) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a plain URL "
                                "path prefix (it must start with '/' and "
                                "hold no '%%', ';', '?' or '#')",
                                cmd->cmd->name, arg);
        }
        /* "/" covers every path: the gate would be off without saying so */
        if (strcmp(arg, "/") == 0) {
            if (cmd->info == (void *)LIST_JOURNAL) {
                return "UpkeepJournal: '/' would journal every write; list "
                       "the endpoints whose writes may be applied later";
            }
            return cmd->info == (void *)LIST_EXEMPT
                   ? "UpkeepExempt: '/' would exempt every path; to turn "
                     "the gate off here, say 'Upkeep Off'"
                   : "UpkeepAllowWrites: '/' would let every write "
                     "through in readonly and hold modes; list the paths "
                     "that must stay writable";
        }
        if (cmd->info == (void *)LIST_JOURNAL) {
            upkeep_journal_configured = 1;
            APR_ARRAY_PUSH(list_of(cmd->pool, &dc->journal),
                           const char *) = arg;
            return NULL;
        }
        APR_ARRAY_PUSH(list_of(cmd->pool, cmd->info == (void *)LIST_EXEMPT
                                          ? &dc->exempt : &dc->allow_writes),
                       const char *) = arg;
        return NULL;
    case LIST_ALLOW_FROM:
        return add_allow_from(cmd, dc, arg);
    default:
        if (!*arg || !is_method_token(arg)) {
            return apr_psprintf(cmd->pool, "UpkeepSafeMethods: '%s' is not "
                                "an HTTP method name", arg);
        }
        APR_ARRAY_PUSH(list_of(cmd->pool, &dc->safe_methods),
                       const char *) = arg;
        return NULL;
    }
}

/* A directive's duration argument, within [min, max]; else an error
 * naming the directive, the value and "must be " + range. */
static const char *duration_arg(cmd_parms *cmd, const char *arg,
                                apr_interval_time_t min,
                                apr_interval_time_t max, const char *range,
                                apr_interval_time_t *out)
{
    const char *why = upkeep_parse_duration(arg, out);

    if (!why && (*out < min || *out > max)) {
        why = apr_pstrcat(cmd->temp_pool, "must be ", range, NULL);
    }
    return why ? apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, arg,
                              why)
               : NULL;
}

static const char *set_retry_after(cmd_parms *cmd, void *dcv,
                                   const char *arg)
{
    upkeep_dir_conf *dc = dcv;
    apr_interval_time_t t;
    const char *err = duration_arg(cmd, arg, apr_time_from_sec(1),
                                   apr_time_from_sec(UPKEEP_RETRY_AFTER_MAX),
                                   "between 1s and 1d", &t);

    if (!err) {
        dc->retry_after = (int)apr_time_sec(t);
    }
    return err;
}

/* "off" (0) or a whole number of seconds in [min, max]. */
static const char *seconds_or_off(cmd_parms *cmd, const char *arg,
                                  apr_interval_time_t min,
                                  apr_interval_time_t max, const char *range,
                                  int *out)
{
    apr_interval_time_t t;
    const char *err;

    if (ap_cstr_casecmp(arg, "off") == 0) {
        *out = 0;
        return NULL;
    }
    err = duration_arg(cmd, arg, min, max, range, &t);
    if (!err) {
        *out = (int)apr_time_sec(t);
    }
    return err;
}

static const char *set_refresh(cmd_parms *cmd, void *dcv, const char *arg)
{
    upkeep_dir_conf *dc = dcv;

    return seconds_or_off(cmd, arg, apr_time_from_sec(UPKEEP_MIN_REFRESH),
                          apr_time_from_sec(UPKEEP_RETRY_AFTER_MAX),
                          "off or between 5s and 1d", &dc->refresh);
}

/* UpkeepLanguage auto | LANG ...: the first listed is the fallback. */
static const char *set_language(cmd_parms *cmd, void *dcv, const char *args)
{
    upkeep_dir_conf *dc = dcv;
    apr_array_header_t *langs = apr_array_make(cmd->pool, 4, sizeof(int));
    const char *word;
    int autos = 0, i, j;

    while (*(word = ap_getword_conf(cmd->temp_pool, &args))) {
        if (ap_cstr_casecmp(word, "auto") == 0) {
            autos++;
            continue;
        }
        if ((i = upkeep_lang_find(word)) < 0) {
            return apr_psprintf(cmd->pool, "UpkeepLanguage: unknown "
                                "language '%s' (known: %s; or auto)", word,
                                upkeep_lang_known(cmd->temp_pool));
        }
        for (j = 0; j < langs->nelts; j++) {
            if (APR_ARRAY_IDX(langs, j, int) == i) {
                return apr_psprintf(cmd->pool, "UpkeepLanguage: '%s' is "
                                    "listed twice (or under two names)",
                                    word);
            }
        }
        APR_ARRAY_PUSH(langs, int) = i;
    }
    if (autos && (autos > 1 || langs->nelts)) {
        return "UpkeepLanguage: auto stands alone (or list languages)";
    }
    if (!autos && !langs->nelts) {
        return "UpkeepLanguage takes auto or one or more languages";
    }
    dc->languages = langs;
    return NULL;
}

static const char *set_site_name(cmd_parms *cmd, void *dcv, const char *arg)
{
    upkeep_dir_conf *dc = dcv;

    (void)cmd;
    dc->site_name = arg;
    return NULL;
}

static const char *set_announce(cmd_parms *cmd, void *dcv, const char *arg)
{
    upkeep_dir_conf *dc = dcv;

    return seconds_or_off(cmd, arg, apr_time_from_sec(1),
                          apr_time_from_sec(UPKEEP_FOR_MAX),
                          "off or between 1s and 30d", &dc->announce);
}

static const char *set_hold_max(cmd_parms *cmd, void *dcv, const char *arg)
{
    upkeep_dir_conf *dc = dcv;
    apr_interval_time_t t;
    const char *err = duration_arg(cmd, arg, apr_time_from_msec(1),
                                   apr_time_from_msec(UPKEEP_HOLD_MAX_MS),
                                   "between 1ms and 5m", &t);

    if (!err) {
        dc->hold_max_ms = (int)apr_time_as_msec(t);
    }
    return err;
}

/* "1M", "512K", "2G", "4096" -> bytes, within [1, max]. */
static const char *set_journal_size(cmd_parms *cmd, void *dcv,
                                    const char *arg)
{
    upkeep_dir_conf *dc = dcv;
    apr_off_t max = (apr_off_t)1 << 40, n;
    char *end;

    n = (apr_off_t)apr_strtoi64(arg, &end, 10);
    if (end != arg && *end && !end[1]) {
        int shift = apr_toupper(*end) == 'K' ? 10
                    : apr_toupper(*end) == 'M' ? 20
                    : apr_toupper(*end) == 'G' ? 30 : -1;

        if (shift < 0 || n > (max >> shift)) {
            n = -1;
        }
        else {
            n <<= shift;
            end++;
        }
    }
    if (end == arg || *end || n < 1 || n > max) {
        return apr_psprintf(cmd->pool, "%s '%s': must be a size in bytes "
                            "(4096, 512K, 1M, 2G) between 1 and 1T",
                            cmd->cmd->name, arg);
    }
    if (cmd->info) {
        dc->journal_body_max = n;
    }
    else {
        dc->journal_max = n;
    }
    return NULL;
}

static const char *set_journal_retry(cmd_parms *cmd, void *dcv,
                                     const char *arg)
{
    upkeep_dir_conf *dc = dcv;

    return duration_arg(cmd, arg, apr_time_from_sec(1),
                        apr_time_from_sec(30 * 86400), "between 1s and 30d",
                        &dc->journal_retry);
}

static const char *set_journal_concurrency(cmd_parms *cmd, void *dcv,
                                           const char *arg)
{
    upkeep_dir_conf *dc = dcv;
    char *end;
    apr_int64_t n = apr_strtoi64(arg, &end, 10);

    if (end == arg || *end || n < 1 || n > UPKEEP_JOURNAL_CONCURRENCY_MAX) {
        return apr_psprintf(cmd->pool, "%s '%s': must be a number between 1 "
                            "and %d", cmd->cmd->name, arg,
                            UPKEEP_JOURNAL_CONCURRENCY_MAX);
    }
    dc->journal_concurrency = (int)n;
    return NULL;
}

static const char *set_hold_release(cmd_parms *cmd, void *dcv,
                                    const char *arg)
{
    upkeep_dir_conf *dc = dcv;
    char *end;
    apr_int64_t n;

    if (ap_cstr_casecmp(arg, "all") == 0) {
        dc->hold_release = 0;
        return NULL;
    }
    n = apr_strtoi64(arg, &end, 10);
    if (end == arg || *end || n < 1 || n > UPKEEP_RELEASE_MAX) {
        return apr_psprintf(cmd->pool, "%s '%s': must be 'all' or a number "
                            "between 1 and %d", cmd->cmd->name, arg,
                            UPKEEP_RELEASE_MAX);
    }
    dc->hold_release = (int)n;
    return NULL;
}

static const char *set_readonly_status(cmd_parms *cmd, void *dcv,
                                       const char *arg)
{
    upkeep_dir_conf *dc = dcv;

    if (strcmp(arg, "503") && strcmp(arg, "405") && strcmp(arg, "409")
        && strcmp(arg, "423")) {
        return apr_psprintf(cmd->pool, "UpkeepReadOnlyStatus: '%s' is not "
                            "one of 503, 405, 409, 423", arg);
    }
    dc->readonly_status = atoi(arg);
    return NULL;
}

static const char *set_server_value(cmd_parms *cmd, void *dummy,
                                    const char *arg)
{
    upkeep_server_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                  &upkeep_module);
    char *end;
    long n;

    (void)dummy;
    if (cmd->info) {    /* UpkeepHealthCheck */
        if (arg[0] != '/' || strpbrk(arg, "%?#")) {
            return apr_psprintf(cmd->pool, "UpkeepHealthCheck: '%s' is not "
                                "a plain URL path", arg);
        }
        sc->health_path = arg;
        upkeep_health_configured = 1;
        return NULL;
    }
    n = strtol(arg, &end, 10);
    if (!apr_isdigit(*arg) || *end || n < 1 || n > 100000) {
        return apr_psprintf(cmd->pool, "UpkeepHoldLimit: '%s' is not a "
                            "number from 1 to 100000", arg);
    }
    sc->hold_limit = (int)n;
    return NULL;
}

/* Templates are small; a bigger file is almost certainly a mistake. */
#define UPKEEP_PAGE_MAX (256 * 1024)

/* A template file (relative to ServerRoot), read and parsed at startup;
 * errors name the directive and the file.  `hint` ends a read error. */
static const char *load_template(cmd_parms *cmd, const char *arg,
                                 const char *hint,
                                 const upkeep_template_t **out)
{
    const char *directive = cmd->cmd->name;
    const char *path = ap_server_root_relative(cmd->temp_pool, arg);
    char why[UPKEEP_ERRMSG_MAX];
    apr_status_t rv;
    apr_size_t len;
    char *text;
    const char *err;

    if (!path) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'", directive,
                            arg);
    }
    /* read as root: a regular file only (not a link, FIFO or device) */
    rv = upkeep_file_read_all(cmd->temp_pool, path, UPKEEP_PAGE_MAX, &text,
                              &len, why);
    if (rv != APR_SUCCESS) {
        /* the hint is for a name that was meant as text, not found */
        return apr_psprintf(cmd->pool, "%s: %s%s", directive, why,
                            rv == APR_EINVAL || rv == APR_ENOSPC ? ""
                                                                 : hint);
    }
    err = upkeep_template_parse(cmd->pool, path, text, out);
    return err ? apr_pstrcat(cmd->pool, directive, ": ", err, NULL) : NULL;
}

static const char *set_page(cmd_parms *cmd, void *dcv, const char *arg)
{
    upkeep_dir_conf *dc = dcv;

    return load_template(cmd, arg, "", &dc->page);
}

/* UpkeepBanner off | <html...> | FILE: HTML starts with '<', as no file
 * name an admin writes does. */
static const char *set_banner(cmd_parms *cmd, void *dcv, const char *arg)
{
    upkeep_dir_conf *dc = dcv;
    const char *err;

    if (ap_cstr_casecmp(arg, "off") == 0) {
        dc->banner = &upkeep_banner_off;
        return NULL;
    }
    if (arg[0] != '<') {
        return load_template(cmd, arg, " (a banner given as text must "
                             "start with '<')", &dc->banner);
    }
    err = upkeep_template_parse(cmd->pool, "inline text", arg, &dc->banner);
    return err ? apr_pstrcat(cmd->pool, "UpkeepBanner: ", err, NULL) : NULL;
}

static const char *set_state_dir(cmd_parms *cmd, void *dummy,
                                 const char *arg)
{
    upkeep_server_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                  &upkeep_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dummy;
    if (err) {
        return err;
    }
    sc->state_dir = ap_server_root_relative(cmd->pool, arg);
    if (!sc->state_dir) {
        return apr_psprintf(cmd->pool, "UpkeepStateDir: invalid path '%s'",
                            arg);
    }
    return NULL;
}

static const char *set_control_group(cmd_parms *cmd, void *dummy,
                                     const char *arg)
{
    upkeep_server_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                  &upkeep_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    apr_gid_t gid;
    apr_status_t rv;

    (void)dummy;
    if (err) {
        return err;
    }
    rv = apr_gid_get(&gid, arg, cmd->temp_pool);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "UpkeepControlGroup: unknown group "
                            "'%s'", arg);
    }
    sc->control_group = gid;
    sc->control_group_set = 1;
    return NULL;
}

/* cmd->info of the cluster directives */
enum { CLUSTER_SERVERS, CLUSTER_INTERVAL, CLUSTER_KEY, CLUSTER_SECRET,
       CLUSTER_TIMEOUT };

static const char *set_cluster(cmd_parms *cmd, void *dummy, const char *arg)
{
    upkeep_server_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                  &upkeep_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *name = cmd->cmd->name;
    upkeep_cluster_conf_t probe;
    apr_interval_time_t t;

    (void)dummy;
    if (err) {
        return err;
    }
    memset(&probe, 0, sizeof(probe));
    switch ((int)(apr_uintptr_t)cmd->info) {
    case CLUSTER_SERVERS:
        err = upkeep_cluster_parse_servers(cmd->temp_pool, arg, &probe);
        sc->memcached = arg;
        break;
    case CLUSTER_INTERVAL:
        err = upkeep_parse_duration(arg, &t);
        if (!err && (t < UPKEEP_MIN_SYNC_INTERVAL
                     || t > apr_time_from_sec(3600))) {
            err = "must be between 100ms and 1h";
        }
        sc->sync_interval = t;
        break;
    case CLUSTER_KEY:
        err = upkeep_cluster_check_prefix(arg);
        sc->key_prefix = arg;
        break;
    case CLUSTER_SECRET:
        /* Read now, as root: children only ever hold it in memory. */
        sc->secret_file = ap_server_root_relative(cmd->pool, arg);
        sc->secret = apr_pcalloc(cmd->pool, sizeof(*sc->secret));
        err = sc->secret_file
              ? upkeep_cluster_read_secret(cmd->pool, sc->secret_file,
                                           sc->secret)
              : "is not a valid path";
        break;
    default:
        err = upkeep_parse_duration(arg, &t);
        if (!err && (t < apr_time_from_msec(10)
                     || t > apr_time_from_sec(10))) {
            err = "must be between 10ms and 10s";
        }
        sc->timeout_ms = (int)apr_time_as_msec(t);
        break;
    }
    return err ? apr_psprintf(cmd->pool, "%s: '%s' %s", name, arg, err)
               : NULL;
}

#define DIR_CTX (RSRC_CONF | ACCESS_CONF)

const command_rec upkeep_cmds[] = {
    AP_INIT_FLAG("Upkeep", set_enabled, NULL, DIR_CTX,
                 "On (default) to apply the maintenance/read-only gate here, "
                 "Off to exempt this context"),
    AP_INIT_TAKE1("UpkeepScope", set_scope, NULL, DIR_CTX,
                  "Name of the scope whose mode applies here "
                  "(default: 'default')"),
    AP_INIT_ITERATE("UpkeepExempt", add_to_list, (void *)LIST_EXEMPT, DIR_CTX,
                    "URL path prefixes that are never gated"),
    AP_INIT_ITERATE("UpkeepAllowWrites", add_to_list,
                    (void *)LIST_ALLOW_WRITES, DIR_CTX,
                    "URL path prefixes whose writes pass in read-only and "
                    "hold modes"),
    AP_INIT_ITERATE("UpkeepJournal", add_to_list, (void *)LIST_JOURNAL,
                    DIR_CTX, "Path prefixes whose writes are journaled (202) "
                    "in readonly and maintenance modes and replayed once "
                    "the scope is normal"),
    AP_INIT_TAKE1("UpkeepJournalMax", set_journal_size, NULL, DIR_CTX,
                  "Largest size of a scope's journal (default 256M)"),
    AP_INIT_TAKE1("UpkeepJournalBodyMax", set_journal_size, (void *)1,
                  DIR_CTX, "Largest body a journaled request may carry "
                  "(default 1M)"),
    AP_INIT_TAKE1("UpkeepJournalRetry", set_journal_retry, NULL, RSRC_CONF,
                  "How long a replay that fails with 5xx or no answer is "
                  "retried before it is kept as dead (default 1h)"),
    AP_INIT_TAKE1("UpkeepJournalConcurrency", set_journal_concurrency, NULL,
                  RSRC_CONF, "Journaled writes of a scope replayed at once, "
                  "started in arrival order (default 1)"),
    AP_INIT_TAKE1("UpkeepReadOnlyStatus", set_readonly_status, NULL, DIR_CTX,
                  "Status of read-only refusals: 503 (default), 405, 409 "
                  "or 423"),
    AP_INIT_TAKE1("UpkeepAnnounce", set_announce, NULL, DIR_CTX,
                  "How long ahead of a scheduled window the banner announces "
                  "it (default 1h; off)"),
    AP_INIT_ITERATE("UpkeepAllowFrom", add_to_list, (void *)LIST_ALLOW_FROM,
                    DIR_CTX, "Client addresses or CIDR blocks that are never "
                    "gated"),
    AP_INIT_ITERATE("UpkeepSafeMethods", add_to_list,
                    (void *)LIST_SAFE_METHODS, DIR_CTX,
                    "Methods that pass in read-only mode "
                    "(default: GET HEAD OPTIONS)"),
    AP_INIT_TAKE1("UpkeepRetryAfter", set_retry_after, NULL, DIR_CTX,
                  "Default Retry-After of refusals (default: 60s)"),
    AP_INIT_TAKE1("UpkeepPage", set_page, NULL, DIR_CTX,
                  "Template file of the maintenance page"),
    AP_INIT_TAKE1("UpkeepRefresh", set_refresh, NULL, DIR_CTX,
                  "Seconds after which the maintenance page reloads itself, "
                  "or off (default: the Retry-After, from 5s to 60s)"),
    AP_INIT_RAW_ARGS("UpkeepLanguage", set_language, NULL, DIR_CTX,
                     "Languages of the built-in pages: auto (default: "
                     "every one, from Accept-Language) or a list (the "
                     "first is the fallback; one pins it)"),
    AP_INIT_TAKE1("UpkeepSiteName", set_site_name, NULL, DIR_CTX,
                  "Name of the site on its pages ({{site}}; default: the "
                  "ServerName)"),
    AP_INIT_TAKE1("UpkeepBanner", set_banner, NULL, DIR_CTX,
                  "Banner inserted after <body> of HTML pages while writes "
                  "are paused: HTML text (starting with '<'), a template "
                  "file, or off"),
    AP_INIT_TAKE1("UpkeepHoldMax", set_hold_max, NULL, DIR_CTX,
                  "Longest wait of a held write (default 10s)"),
    AP_INIT_TAKE1("UpkeepHoldRelease", set_hold_release, NULL, DIR_CTX,
                  "Released writes of a scope running at once when a hold "
                  "ends, in arrival order: N (1 to 32) or all"),
    AP_INIT_TAKE1("UpkeepHoldLimit", set_server_value, NULL, RSRC_CONF,
                  "Most writes held at once (default: a quarter of the "
                  "worker slots)"),
    AP_INIT_TAKE1("UpkeepHealthCheck", set_server_value, (void *)1,
                  RSRC_CONF, "Path the module answers itself for load "
                  "balancer health checks"),
    AP_INIT_TAKE1("UpkeepStateDir", set_state_dir, NULL, RSRC_CONF,
                  "Directory of the persisted mode (default: "
                  UPKEEP_DEFAULT_STATE_DIR ")"),
    AP_INIT_TAKE1("UpkeepControlGroup", set_control_group, NULL, RSRC_CONF,
                  "Group whose members may run upkeepctl"),
    AP_INIT_RAW_ARGS("UpkeepMemcached", set_cluster, (void *)CLUSTER_SERVERS,
                     RSRC_CONF, "memcached servers (HOST:PORT ...) that "
                     "hold the cluster-wide mode"),
    AP_INIT_TAKE1("UpkeepSyncInterval", set_cluster, (void *)CLUSTER_INTERVAL,
                  RSRC_CONF, "How often the cluster mode is read "
                  "(default 1s, at least 100ms)"),
    AP_INIT_TAKE1("UpkeepClusterKey", set_cluster, (void *)CLUSTER_KEY,
                  RSRC_CONF, "Prefix of the memcached keys (default upkeep)"),
    AP_INIT_TAKE1("UpkeepSecretFile", set_cluster, (void *)CLUSTER_SECRET,
                  RSRC_CONF, "File with the secret that signs cluster "
                  "values"),
    AP_INIT_TAKE1("UpkeepMemcachedTimeout", set_cluster,
                  (void *)CLUSTER_TIMEOUT, RSRC_CONF, "Connect, send and "
                  "receive timeout towards memcached (default 200ms)"),
    AP_INIT_TAKE1("UpkeepBypassSecret", upkeep_set_bypass,
                  (void *)UPKEEP_BYPASS_SECRET, RSRC_CONF, "File with the "
                  "secret of the staff bypass URL and cookie"),
    AP_INIT_TAKE1("UpkeepBypassTTL", upkeep_set_bypass,
                  (void *)UPKEEP_BYPASS_TTL, RSRC_CONF, "Lifetime of a staff bypass cookie (default "
                  "12h)"),
    AP_INIT_TAKE1("UpkeepBypassPath", upkeep_set_bypass,
                  (void *)UPKEEP_BYPASS_PATH, RSRC_CONF, "URL path of the staff bypass (default "
                  "/.upkeep/bypass/)"),
    { NULL, { NULL }, NULL, 0, NO_ARGS, NULL }
};

/* --- what upkeepctl knows of this configuration --------------------- */

/* What clients of scope i get: the figures of the first virtual host
 * whose scope it is (it gets the traffic), else the main server's (s).
 * served.conf and the status page both give these. */
void upkeep_scope_figures(server_rec *s, int i, upkeep_served_scope_t *out)
{
    const upkeep_dir_conf *dc = ap_get_module_config(s->lookup_defaults,
                                                     &upkeep_module);
    server_rec *v;

    for (v = s->next; v; v = v->next) {
        const upkeep_dir_conf *vdc = ap_get_module_config(
            v->lookup_defaults, &upkeep_module);

        if (upkeep_conf_scope(vdc) == i) {
            dc = vdc;
            break;
        }
    }
    out->name = upkeep_scope_name(i);
    out->retry_after = upkeep_conf_retry_after(dc);
    out->hold_max_ms = upkeep_conf_hold_max_ms(dc);
    out->readonly_status = upkeep_conf_readonly_status(dc);
}

/* STATE_DIR/served.conf: the scopes httpd serves, with what clients of
 * each get (the figures of the virtual host whose scope it is; a
 * <Location> may set its own), whether it has a health check and a
 * cluster, and its PidFile (so upkeepctl can tell a running httpd from a
 * stopped one).  Checked at every start, written when it changes; a
 * failure is logged, never a failed start (upkeepctl then says it cannot
 * check). */
void upkeep_served_record(apr_pool_t *ptemp, const char *dir, server_rec *s)
{
    const char *path = apr_pstrcat(ptemp, dir, "/" UPKEEP_SERVED_CONF, NULL);
    char err[UPKEEP_ERRMSG_MAX];
    upkeep_served_t sv;
    server_rec *v;
    apr_status_t rv;
    int i, kept;

    memset(&sv, 0, sizeof(sv));
    /* as ap_log_pid() resolves it */
    sv.pidfile = ap_server_root_relative(ptemp, ap_pid_fname);
    sv.node = upkeep_host_name(ptemp);
    for (v = s; v && !sv.health; v = v->next) {
        sv.health = upkeep_health_path(v);
    }
    sv.cluster = upkeep_cluster_conf(ptemp, s) != NULL;
    sv.nscopes = upkeep_scope_count();
    sv.scopes = apr_pcalloc(ptemp, sizeof(*sv.scopes) * sv.nscopes);
    for (i = 0; i < sv.nscopes; i++) {
        upkeep_scope_figures(s, i, &sv.scopes[i]);
    }
    rv = upkeep_file_update(ptemp, path, upkeep_served_encode(ptemp, &sv),
                            APR_FPROT_UREAD | APR_FPROT_UWRITE
                            | APR_FPROT_GREAD | APR_FPROT_WREAD, &kept, err);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "UPK0060: %s (upkeepctl "
                     "cannot check scope names or tell that httpd runs)",
                     err);
    }
}

/* Seconds a refused client should wait: until the window ends when one
 * is set, else what upkeepctl asked for, else the configured default. */
int upkeep_retry_after(const request_rec *r, const upkeep_dir_conf *dc,
                       const upkeep_record_t *rec)
{
    return upkeep_retry_after_at(rec, upkeep_conf_retry_after(dc),
                                 apr_time_sec(r->request_time));
}
