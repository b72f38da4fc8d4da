/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_upkeep: put a site into maintenance or read-only mode without a
 * restart.
 *
 * The request gate reads the mode of its scope from a shared-memory
 * slot (upkeep_state.h) and passes the request, refuses a write
 * (read-only) or serves the maintenance page.  upkeepctl flips the mode
 * by writing the durable state file and the same shared slot.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mpm_common.h"

#include "upkeep_private.h"

/* Whether mod_cache is loaded: its quick handler answers before the
 * gate (before_cache). */
static int cache_loaded;

static int upkeep_quick_handler(request_rec *r, int lookup_uri);

/* Whether the configuration httpd has read names directive `name`
 * anywhere (inside <IfModule> and the like too: a guess on the safe
 * side). */
static int conftree_names(const ap_directive_t *d, const char *name)
{
    for (; d; d = d->next) {
        if (ap_cstr_casecmp(d->directive, name) == 0
            || conftree_names(d->first_child, name)) {
            return 1;
        }
    }
    return 0;
}

static int upkeep_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    static const char *const before_cache_mod[] = { "mod_cache.c", NULL };

    (void)plog;
    (void)ptemp;
    upkeep_config_reset();
    /* LoadModule has run by now */
    cache_loaded = ap_find_linked_module("mod_cache.c") != NULL;
    /* Every request pays for each hook a module registers: the quick
     * handler only where it has work (hooks added now are sorted with
     * the others once the configuration is processed).  First: a health
     * check must not wait for any other module. */
    if (cache_loaded || conftree_names(ap_conftree, "UpkeepHealthCheck")
        || conftree_names(ap_conftree, "UpkeepBypassSecret")) {
        ap_hook_quick_handler(upkeep_quick_handler, NULL, before_cache_mod,
                              APR_HOOK_FIRST);
    }
    upkeep_default_pages_init(pconf);
    upkeep_live_reset();
    return OK;
}

/* Start-up, in the order the steps depend on each other; the first of
 * the two start-up passes only checks the configuration. */
static int upkeep_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    const char *dir = upkeep_state_dir(s);
    apr_file_t *lock;

    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (upkeep_live_open(pconf, ptemp, dir, s, &lock) != APR_SUCCESS
        || upkeep_live_publish(ptemp, dir, s) != APR_SUCCESS
        || upkeep_cluster_record(pconf, ptemp, dir, s) != APR_SUCCESS
        || upkeep_bypass_record(pconf, ptemp, dir, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    upkeep_served_record(ptemp, dir, s);
    upkeep_live_secure_files(ptemp, dir, s);
    apr_file_close(lock);
    upkeep_reporter_start(pconf, s);
    upkeep_sync_start(pconf, s, dir, upkeep_live(), upkeep_slots);
    if (upkeep_journal_start(pconf, ptemp, dir, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* --- the request gate ------------------------------------------------- */

/* Marks a request this module refused (r->notes). */
#define UPKEEP_REFUSED_NOTE "upkeep-refused"

/* Decodes the valid %XX escapes of p in place and keeps a stray '%'
 * as it is, as lenient backends do (httpd's unescapers refuse the whole
 * path).  -1 for an escaped NUL, which no backend reads as a path. */
static int unescape_lenient(char *p)
{
    char *dst = p;

    for (; *p; p++) {
        if (*p == '%' && apr_isxdigit(p[1]) && apr_isxdigit(p[2])) {
            int hi = apr_isdigit(p[1]) ? p[1] - '0'
                                       : (apr_toupper(p[1]) - 'A' + 10);
            int lo = apr_isdigit(p[2]) ? p[2] - '0'
                                       : (apr_toupper(p[2]) - 'A' + 10);

            if (!(*dst++ = (char)(hi << 4 | lo))) {
                return -1;
            }
            p += 2;
        }
        else {
            *dst++ = *p;
        }
    }
    *dst = '\0';
    return 0;
}

/* A path as the most decoding backend could read it: ;parameters
 * dropped from every segment, percent-escapes (%2f too) decoded, "." and
 * ".." resolved, slashes merged; repeated until it settles, so double
 * encodings unfold.  NULL when it does not settle or leaves the root. */
static const char *canonical_path(apr_pool_t *pool, const char *uri)
{
    char *p, *src, *dst, *before;
    int round;

    if (!strpbrk(uri, "%;\\") && !strstr(uri, "//") && !strstr(uri, "/.")) {
        return uri;
    }
    p = apr_pstrdup(pool, uri);
    before = apr_palloc(pool, strlen(uri) + 1);
    for (round = 0; round < 4; round++) {
        strcpy(before, p);
        for (src = dst = p; *src; ) {
            if (*src == ';') {
                while (*src && *src != '/') {
                    src++;
                }
                continue;
            }
            *dst++ = (*src == '\\') ? '/' : *src;
            src++;
        }
        *dst = '\0';
        if (unescape_lenient(p) != 0
            || !ap_normalize_path(p, AP_NORMALIZE_NOT_ABOVE_ROOT
                                     | AP_NORMALIZE_MERGE_SLASHES)) {
            return NULL;
        }
        if (strcmp(before, p) == 0) {
            return p;
        }
    }
    return NULL;
}

/* UpkeepExempt /static covers /static and /static/..., not /staticx. */
static int prefix_covers(const char *prefix, const char *path)
{
    apr_size_t n = strlen(prefix);

    return strncmp(path, prefix, n) == 0
           && (path[n] == '\0' || path[n] == '/' || prefix[n - 1] == '/');
}

/* Whether a prefix of `list` covers `uri` as it is and in its canonical
 * form. */
static int path_listed(apr_pool_t *pool, const apr_array_header_t *list,
                       const char *uri)
{
    const char *canon = NULL;
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        const char *prefix = APR_ARRAY_IDX(list, i, const char *);

        if (!prefix_covers(prefix, uri)) {
            continue;
        }
        if (!canon && !(canon = canonical_path(pool, uri))) {
            return 0;
        }
        if (prefix_covers(prefix, canon)) {
            return 1;
        }
    }
    return 0;
}

/* The configuration httpd gives `uri` in r's virtual host, and the path
 * it reads there (*looked, when asked for): a lookup (a sub-request,
 * which the gate skips), so nested <Location>s and <LocationMatch>es are
 * honoured exactly.  Only asked in a mode other than normal, for a
 * request that would otherwise pass. */
static const upkeep_dir_conf *conf_for(request_rec *r, const char *uri,
                                       const char **looked)
{
    request_rec *sub = ap_sub_req_lookup_uri(uri, r, NULL);
    /* a merged configuration may live in sub's pool; what it points to
     * is the server's */
    const upkeep_dir_conf *dc = apr_pmemdup(r->pool,
        ap_get_module_config(sub->per_dir_config, &upkeep_module),
        sizeof(*dc));

    if (looked) {
        *looked = apr_pstrdup(r->pool, sub->uri ? sub->uri : uri);
    }
    ap_destroy_sub_req(sub);
    return dc;
}

/* Whether 'Upkeep off' (from dc, the configuration httpd chose for
 * `uri`) holds: the path must read the same once normalised, or the
 * normalised path must be off too. */
static int off_holds(request_rec *r, const char *uri)
{
    const char *canon = canonical_path(r->pool, uri);

    if (!canon) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "UPK0106: 'Upkeep "
                      "off' not applied to %s: it does not normalise", uri);
        return 0;
    }
    if (strcmp(canon, uri) != 0
        && upkeep_conf_enabled(conf_for(r, canon, NULL))) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "UPK0101: 'Upkeep off' "
                      "not applied to %s: it normalises to %s, which is "
                      "gated", uri, canon);
        return 0;
    }
    return 1;
}

/* What lets a request through the gate (exempt()): nothing, an exemption
 * of the configuration, or a staff bypass cookie. */
enum { PASS_NONE = 0, PASS_EXEMPT = 1, PASS_STAFF = 2 };

/* Whether the gate lets r through to `uri` (r->uri, or the script part
 * of it) in `mode`, dc being the configuration of `uri` (PASS_*).  An exemption
 * by path holds only if `uri` and its canonical form are both exempt, so
 * no encoding trick reaches a gated path through an exempt one.  A
 * rewrite ([PT]) is judged by its target, which is what runs. */
static int exempt(request_rec *r, const upkeep_dir_conf *dc,
                  const char *uri, int scope, int mode)
{
    request_rec *top = r;
    int i;

    if (!upkeep_conf_enabled(dc)) {
        return off_holds(r, uri);
    }
    if (dc->allow_from) {
        for (i = 0; i < dc->allow_from->nelts; i++) {
            if (apr_ipsubnet_test(APR_ARRAY_IDX(dc->allow_from, i,
                                                apr_ipsubnet_t *),
                                  r->useragent_addr)) {
                return PASS_EXEMPT;
            }
        }
    }
    if (path_listed(r->pool, dc->exempt, uri)
        || (mode != UPKEEP_MODE_MAINTENANCE
            && path_listed(r->pool, dc->allow_writes, uri))) {
        return PASS_EXEMPT;
    }
    /* the staff cookie was taken from the client's request */
    while (top->main) {
        top = top->main;
    }
    return upkeep_bypass_allows(top, scope) ? PASS_STAFF : PASS_NONE;
}

static void count(int scope, int counter, int mode);

/* r->notes of a refusal for the UPKEEP_REFUSAL filter */
#define UPKEEP_TYPE_NOTE  "upkeep-content-type"
#define UPKEEP_ALLOW_NOTE "upkeep-allow"

/* Refusals go through httpd's error path, so that ErrorDocument-free
 * custom text, "Header always" (CORS) and the error log behave as for any
 * other error; but that path labels every body text/html.  This filter,
 * inserted on our refusals only, puts the negotiated type (and the Allow
 * of a read-only 405) back before the headers go out. */
static apr_status_t refusal_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    request_rec *r = f->r;
    const char *allow = apr_table_get(r->notes, UPKEEP_ALLOW_NOTE);

    ap_set_content_type(r, apr_table_get(r->notes, UPKEEP_TYPE_NOTE));
    if (allow) {
        apr_table_setn(r->headers_out, "Allow", allow);
    }
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void insert_refusal_filter(request_rec *r)
{
    if (apr_table_get(r->notes, UPKEEP_TYPE_NOTE)) {
        ap_add_output_filter("UPKEEP_REFUSAL", NULL, r, r->connection);
    }
}

static int refuse(request_rec *r, const upkeep_dir_conf *dc, int scope_index,
                  int mode, const upkeep_record_t *rec)
{
    int retry_after = upkeep_retry_after(r, dc, rec);
    int status = mode == UPKEEP_MODE_READONLY
                 ? upkeep_conf_readonly_status(dc) : HTTP_SERVICE_UNAVAILABLE;
    const char *scope = upkeep_scope_name(scope_index);
    upkeep_body_e format = upkeep_negotiate(r);
    int varies;
    const upkeep_lang_t *lang = upkeep_conf_lang(r, dc, &varies);
    const upkeep_template_t *page = upkeep_default_page(mode, lang);

    count(scope_index, UPKEEP_COUNT_REFUSED, mode);
    if (mode == UPKEEP_MODE_MAINTENANCE && dc->page) {
        page = dc->page;
    }
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_itoa(r->pool, retry_after));
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_mergen(r->err_headers_out, "Vary", "Accept");
    /* The page speaks the visitor's language; the JSON and text bodies
     * are for programs and stay English (README).  An UpkeepPage template
     * says its language only through {{lang}} (or one pinned language):
     * written in one language, it must not claim the visitor's. */
    if (format == UPKEEP_BODY_HTML) {
        if (page != dc->page || page->uses_lang || !varies) {
            apr_table_setn(r->err_headers_out, "Content-Language",
                           lang->code);
        }
        upkeep_vary_language(r, varies);
    }
    apr_table_setn(r->notes, UPKEEP_REFUSED_NOTE, "1");
    apr_table_setn(r->notes, UPKEEP_TYPE_NOTE,
                   upkeep_body_content_types[format]);
    if (status == HTTP_METHOD_NOT_ALLOWED) {
        apr_table_setn(r->notes, UPKEEP_ALLOW_NOTE,
                       upkeep_conf_safe_methods(r->pool, dc));
    }
    /* The type set by the filter says UTF-8; keep httpd from adding its
     * iso-8859-1 to the text/html it sets first. */
    apr_table_setn(r->subprocess_env, "suppress-error-charset", "1");
    /* HEAD too: without a body of our own, httpd would run the
     * ErrorDocument, which may be the very app the refusal protects. */
    {
        upkeep_page_values_t v = { scope, mode, rec, retry_after,
                                   upkeep_conf_refresh(dc, retry_after),
                                   lang, upkeep_conf_site(r, dc) };
        const char *body = upkeep_refusal_body(r->pool, format, page, status,
                                               &v);

        /* ap_custom_response() takes text that starts with '/' or looks
         * like a URL for a redirect target; a template could. */
        if (body[0] == '/' || ap_is_url(body)) {
            body = apr_pstrcat(r->pool, "\n", body, NULL);
        }
        ap_custom_response(r, status, body);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "UPK0100: refused %s %s: "
                  "scope '%s' is in %s mode (%d)", r->method, r->uri, scope,
                  upkeep_mode_name(mode), status);
    return status;
}

static int read_mode(request_rec *r, int scope, upkeep_record_t *rec)
{
    upkeep_slot_t *slot = upkeep_slots[scope];
    int mode = UPKEEP_MODE_NORMAL, layer;

    if (!slot || upkeep_slot_quiet(slot)) {
        return UPKEEP_MODE_NORMAL;
    }
    if (upkeep_slot_read(slot, apr_time_sec(r->request_time), &mode, &layer,
                         rec, 0) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "UPK0102: the state of "
                      "scope '%s' is being rewritten by a writer that "
                      "stopped half-way; using what it left (run upkeepctl "
                      "again to repair)", upkeep_scope_name(scope));
    }
    return mode;
}

/* What apps see of the mode while one is in force: UPKEEP_MODE in the
 * environment (CGI, SSI, mod_rewrite, logs) and the Upkeep-Mode and
 * Upkeep-Until request headers (proxied backends).  Normal mode sets
 * neither (absent means normal), which spares every request of a healthy
 * site a table insert.  `fresh`: nothing has been told for this request
 * and the client's own headers are gone (append, the cheap way);
 * otherwise what was told is replaced. */
static void tell_app(request_rec *r, int mode, const upkeep_record_t *rec,
                     int fresh)
{
    const char *name = upkeep_mode_name(mode);
    const char *until = mode != UPKEEP_MODE_NORMAL && rec->until
                        ? upkeep_iso_time(r->pool, rec->until) : NULL;

    if (mode == UPKEEP_MODE_NORMAL) {
        if (!fresh) {
            apr_table_unset(r->subprocess_env, "UPKEEP_MODE");
            apr_table_unset(r->headers_in, "Upkeep-Mode");
            apr_table_unset(r->headers_in, "Upkeep-Until");
        }
    }
    else if (fresh) {
        apr_table_addn(r->subprocess_env, "UPKEEP_MODE", name);
        apr_table_addn(r->headers_in, "Upkeep-Mode", name);
        if (until) {
            apr_table_addn(r->headers_in, "Upkeep-Until", until);
        }
    }
    else {
        apr_table_setn(r->subprocess_env, "UPKEEP_MODE", name);
        apr_table_setn(r->headers_in, "Upkeep-Mode", name);
        if (until) {
            apr_table_setn(r->headers_in, "Upkeep-Until", until);
        }
        else {
            apr_table_unset(r->headers_in, "Upkeep-Until");
        }
    }
    ap_set_module_config(r->request_config, &upkeep_module, (void *)name);
}

/* Apart, so the quiet path of post_read_request has no record on its
 * stack (nor the stack protector's work for one). */
static void __attribute__((noinline)) tell_app_active(request_rec *r,
                                                      int scope)
{
    upkeep_record_t rec;

    tell_app(r, read_mode(r, scope, &rec), &rec, 1);
}

/* A client must not speak for the module: its own Upkeep-Mode and
 * Upkeep-Until (also spelt with '_', which some backends fold into the
 * same variable), and its own Upkeep-Journal-Id and
 * Upkeep-Journal-Received (unless it is the journal's replay), are
 * dropped.  One pass over the request headers, which also tells whether
 * the client asks for an Upgrade; the removals only when one is there.
 * Run once per request (scan_once): while a mode is in force, before
 * anything is told; in a quiet normal mode only before a handler other
 * than core serving a file (app_handler), so a static request pays
 * nothing. */
static int scan_client_headers(request_rec *r)
{
    static const char *const names[] = {
        "Upkeep-Mode", "Upkeep-Until", "Upkeep_Mode", "Upkeep_Until"
    };
    const apr_array_header_t *h = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)h->elts;
    const apr_table_entry_t *end = e + h->nelts;
    int i, own = 0, upgrade = 0;

    /* Every request of a healthy site pays this loop: one test a header
     * (a browser sends about ten), names compared by hand. */
    for (; e < end; e++) {
        const unsigned char *k = (const unsigned char *)e->key;

        if ((k[0] | 0x20) != 'u' || (k[1] | 0x20) != 'p') {
            continue;
        }
        /* "Up...": Upkeep-*, Upkeep_*, Upgrade (browsers send
         * Upgrade-Insecure-Requests on every page) */
        if ((k[2] | 0x20) == 'k' && (k[3] | 0x20) == 'e'
            && (k[4] | 0x20) == 'e' && (k[5] | 0x20) == 'p') {
            own = 1;
        }
        else if ((k[2] | 0x20) == 'g' && (k[3] | 0x20) == 'r'
                 && (k[4] | 0x20) == 'a' && (k[5] | 0x20) == 'd'
                 && (k[6] | 0x20) == 'e' && k[7] == '\0') {
            upgrade = 1;
        }
    }
    if (own) {
        for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
            apr_table_unset(r->headers_in, names[i]);
        }
        /* the journal's headers only from its replay, which proves itself
         * with the key; the key goes no further */
        if (!upkeep_journal_is_replay(apr_table_get(r->headers_in,
                                                    "Upkeep-Journal-Token"))) {
            apr_table_unset(r->headers_in, "Upkeep-Journal-Id");
            apr_table_unset(r->headers_in, "Upkeep-Journal-Received");
        }
        apr_table_unset(r->headers_in, "Upkeep-Journal-Token");
        apr_table_unset(r->headers_in, "Upkeep_Journal_Id");
        apr_table_unset(r->headers_in, "Upkeep_Journal_Received");
        apr_table_unset(r->headers_in, "Upkeep_Journal_Token");
    }
    return upgrade;
}

static int early_look(request_rec *r);
static void count_inflight(request_rec *r, int scope);
static int opens_tunnel(const request_rec *r);
/* A request counted as a write in flight (count_inflight: once). */
#define UPKEEP_COUNTED_NOTE "upkeep-counted"

/* Set once the client's own Upkeep-* headers are gone: "1" when it asked
 * for an Upgrade, "0" when not. */
#define UPKEEP_SCANNED_NOTE "upkeep-scanned"

static int scan_once(request_rec *r)
{
    const char *done = apr_table_get(r->notes, UPKEEP_SCANNED_NOTE);
    int upgrade;

    if (done) {
        return done[0] == '1';
    }
    upgrade = scan_client_headers(r);
    apr_table_setn(r->notes, UPKEEP_SCANNED_NOTE, upgrade ? "1" : "0");
    return upgrade;
}

/* Early, so server-context mod_rewrite and log formats see the mode of
 * the virtual host's scope; the gate refines it per directory.  A quiet
 * normal mode does nothing here: no variable, no header, no scan. */
static int upkeep_post_read_request(request_rec *r)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    int scope = upkeep_conf_scope(dc);

    if (upkeep_bypass_configured) {
        upkeep_bypass_strip(r);
    }
    if (upkeep_slots[scope] && !upkeep_slot_quiet(upkeep_slots[scope])) {
        scan_once(r);
        tell_app_active(r, scope);
        return early_look(r);
    }
    return DECLINED;
}

static void count(int scope, int counter, int mode)
{
    if (upkeep_slots[scope]) {
        atomic_fetch_add_explicit(&upkeep_slots[scope]->count[counter][mode],
                                  1, memory_order_relaxed);
    }
}

static apr_status_t inflight_done(void *data)
{
    upkeep_track(data, UPKEEP_TRACK_INFLIGHT, -1);
    return APR_SUCCESS;
}

/* Counts a write until its request ends, whichever way it ends (pool
 * cleanup: aborted connections included), so `upkeepctl --wait` knows
 * when none is left.  Once per request, whichever look counts it first;
 * an internal redirect was counted as the request it came from. */
static void count_inflight(request_rec *r, int scope)
{
    upkeep_slot_t *slot = upkeep_slots[scope];

    if (slot && !r->prev && !apr_table_get(r->notes, UPKEEP_COUNTED_NOTE)) {
        apr_table_setn(r->notes, UPKEEP_COUNTED_NOTE, "1");
        upkeep_track(slot, UPKEEP_TRACK_INFLIGHT, 1);
        apr_pool_cleanup_register(r->pool, slot, inflight_done,
                                  apr_pool_cleanup_null);
    }
}

/* Set in a child of the event MPM when httpd stops or restarts hard
 * (the MPM's child_stopping hook says whether it is graceful).  A prefork
 * child stops hard at once (its signal handler exits), and stops
 * gracefully only once the request is done. */
static volatile int stopping_hard;

static void upkeep_child_stopping(apr_pool_t *pchild, int graceful)
{
    (void)pchild;
    if (!graceful) {
        stopping_hard = 1;
    }
}

/* A held write wakes at least this often to see whether httpd is
 * stopping: seldom, since every publish wakes it anyway. */
#define UPKEEP_HOLD_RECHECK apr_time_from_msec(500)

/* A released write's run place, given back when the request is over. */
typedef struct {
    upkeep_slot_t *slot;
    int place;
} run_place_t;

static apr_status_t run_place_done(void *data)
{
    run_place_t *rp = data;

    upkeep_release_done(rp->slot, rp->place);
    return APR_SUCCESS;
}

/* A write released into normal mode with UpkeepHoldRelease N waits for
 * its turn (arrival order) and one of N run places, counted as a write
 * in flight meanwhile (upkeepctl --wait) and still as held (the status
 * page).  It waits at most its hold max again, then goes on unpaced:
 * pacing spreads the load, it never fails a write. */
static void wait_turn(request_rec *r, int scope, upkeep_slot_t *slot,
                      uint32_t ticket, int limit, int64_t max_ms)
{
    run_place_t *rp = apr_palloc(r->pool, sizeof(*rp));
    apr_time_t start = apr_time_now();

    count_inflight(r, scope);
    rp->slot = slot;
    rp->place = upkeep_release_wait(slot, ticket, limit,
                                    start + apr_time_from_msec(max_ms),
                                    &stopping_hard);
    if (rp->place >= 0) {
        apr_pool_cleanup_register(r->pool, rp, run_place_done,
                                  apr_pool_cleanup_null);
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "UPK0108: %s %s waited "
                      "%" APR_INT64_T_FMT " ms for its turn after the hold "
                      "(UpkeepHoldRelease %d); going on", r->method, r->uri,
                      max_ms, limit);
    }
}

/* hold: the write sleeps until the mode changes (a publish wakes it) or
 * its max runs out.  Returns the mode in force afterwards, or -1 when it
 * timed out or there was no room to wait.  `paced`: the gate's own
 * decision, which UpkeepHoldRelease paces. */
static int hold_write(request_rec *r, const upkeep_dir_conf *dc, int scope,
                      upkeep_record_t *rec, int paced)
{
    upkeep_slot_t *slot = upkeep_slots[scope];
    int64_t max_ms = rec->hold_max_ms ? rec->hold_max_ms
                                      : upkeep_conf_hold_max_ms(dc);
    apr_time_t deadline = apr_time_now() + apr_time_from_msec(max_ms);
    int mode = UPKEEP_MODE_HOLD, layer;
    int limit = paced ? upkeep_conf_hold_release(dc) : 0;
    uint32_t ticket = 0;

    upkeep_track(slot, UPKEEP_TRACK_HELD, 1);
    if (atomic_load(&upkeep_live()->held_total)
        > upkeep_hold_limit(r->server)) {
        upkeep_track(slot, UPKEEP_TRACK_HELD, -1);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "UPK0104: no room to "
                      "hold %s %s (UpkeepHoldLimit %d reached)", r->method,
                      r->uri, upkeep_hold_limit(r->server));
        return -1;
    }
    count(scope, UPKEEP_COUNT_HELD, UPKEEP_MODE_HOLD);
    if (limit && !upkeep_release_ticket(slot, &ticket)) {
        limit = 0;      /* too many waiting to keep their order */
    }
    for (;;) {
        apr_time_t now = apr_time_now();
        uint32_t seen = atomic_load_explicit(&slot->seq,
                                             memory_order_acquire);
        int64_t wait = deadline - now;

        upkeep_slot_read(slot, apr_time_sec(now), &mode, &layer, rec, 0);
        /* A hard stop or restart must not wait for held writes: they get
         * 503.  A graceful one lets this child finish its requests, and
         * the held write waits on, for its release or its max. */
        if (mode != UPKEEP_MODE_HOLD || wait <= 0 || stopping_hard) {
            break;
        }
        /* wake for a publish, else at the end of a --for window, at the
         * deadline, or to look for a shutdown */
        if (rec->until) {
            int64_t to_end = apr_time_from_sec(rec->until) - now;

            wait = to_end < wait ? (to_end > 0 ? to_end : 1000) : wait;
        }
        upkeep_seq_wait(&slot->seq, seen & ~1u,
                        wait < UPKEEP_HOLD_RECHECK ? wait
                                                   : UPKEEP_HOLD_RECHECK);
    }
    if (limit && mode == UPKEEP_MODE_NORMAL && !stopping_hard) {
        wait_turn(r, scope, slot, ticket, limit, max_ms);
    }
    else if (limit) {
        upkeep_release_leave(slot, ticket);
    }
    upkeep_track(slot, UPKEEP_TRACK_HELD, -1);
    if (mode == UPKEEP_MODE_HOLD && stopping_hard && apr_time_now() < deadline) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "UPK0107: %s %s held %"
                      APR_TIME_T_FMT " ms; httpd stops or restarts hard: "
                      "refusing it", r->method, r->uri,
                      apr_time_as_msec(apr_time_now() - (deadline
                                       - apr_time_from_msec(max_ms))));
        return -1;      /* refuse() counts it as refused */
    }
    if (mode == UPKEEP_MODE_HOLD) {
        count(scope, UPKEEP_COUNT_TIMED_OUT, UPKEEP_MODE_HOLD);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "UPK0105: %s %s waited "
                      "%" APR_INT64_T_FMT " ms in hold; refusing it",
                      r->method, r->uri, max_ms);
        return -1;
    }
    count(scope, UPKEEP_COUNT_RELEASED, UPKEEP_MODE_HOLD);
    return mode;
}

/* A request that asks to switch protocols (WebSocket) or to open a
 * tunnel (CONNECT) writes whatever its method: the tunnel carries
 * messages both ways for as long as it lives.  h2c is HTTP again. */
static int opens_tunnel(const request_rec *r)
{
    const char *upgrade;

    if (r->method_number == M_CONNECT) {
        return 1;
    }
    upgrade = apr_table_get(r->headers_in, "Upgrade");
    return upgrade && ap_cstr_casecmp(upgrade, "h2c") != 0;
}

/* Marks a request the gate has judged (r->notes): the value is the very
 * r->uri it judged, so a later look sees whether httpd moved it. */
#define UPKEEP_JUDGED_NOTE "upkeep-judged"

/* The 202 of a journaled write, in the client's format (as refusals). */
static int journal_accepted(request_rec *r, int scope, const char *id)
{
    upkeep_body_e format = upkeep_negotiate(r);
    const char *scope_name = upkeep_scope_name(scope);
    const char *body;

    switch (format) {
    case UPKEEP_BODY_JSON:
        body = apr_psprintf(r->pool, "{\"type\":\"about:blank\","
                            "\"title\":\"Accepted\",\"status\":202,"
                            "\"detail\":\"The request was queued; it will "
                            "be applied when the site is back.\","
                            "\"journal_id\":\"%s\",\"scope\":%s}\n", id,
                            upkeep_json_str(r->pool, scope_name));
        break;
    case UPKEEP_BODY_HTML:
        body = apr_psprintf(r->pool, "<!DOCTYPE html>\n<html lang=\"en\">"
                            "<head><meta charset=\"utf-8\"><title>Accepted"
                            "</title></head>\n<body><h1>Accepted</h1>\n<p>"
                            "Your request was queued; it will be applied "
                            "when the site is back (%s).</p></body></html>\n",
                            id);
        break;
    default:
        body = apr_psprintf(r->pool, "Accepted: the request was queued; it "
                            "will be applied when the site is back (%s).\n",
                            id);
        break;
    }
    r->status = HTTP_ACCEPTED;
    apr_table_setn(r->headers_out, "Upkeep-Journal-Id", id);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_mergen(r->headers_out, "Vary", "Accept");
    ap_set_content_type(r, upkeep_body_content_types[format]);
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return DONE;
}

/* refuse(), or for an unsafe request under an UpkeepJournal prefix: the
 * journal and a 202.  Only the client's own request (not a sub-request,
 * nor an internal redirect, whose body may be gone), never a tunnel, nor
 * a replay that meets a mode that is not normal again (it is refused and
 * retried: journaling it again would apply it twice). */
static int journaled(request_rec *r, const upkeep_dir_conf *dc, int scope,
                     int safe)
{
    const char *id;

    if (dc->journal && !safe && !r->main && !r->prev
        && r->method_number != M_TRACE && r->method_number != M_OPTIONS
        && !opens_tunnel(r)
        && !apr_table_get(r->headers_in, "Upkeep-Journal-Id")
        && path_listed(r->pool, dc->journal, r->uri)
        && upkeep_journal_append(r, dc, scope, &id) == 0) {
        return journal_accepted(r, scope, id);
    }
    return DECLINED;
}

static int refuse_or_journal(request_rec *r, const upkeep_dir_conf *dc,
                             int scope, int mode, const upkeep_record_t *rec,
                             int safe)
{
    int rv = journaled(r, dc, scope, safe);

    return rv != DECLINED ? rv : refuse(r, dc, scope, mode, rec);
}

/* In normal mode, while the scope's journal holds writes not yet
 * replayed, a write under its prefixes joins them (202) rather than
 * overtake them: arrival order holds per node.  If it cannot be
 * journaled (limits, disk), it goes to the app as in any normal mode. */
static int after_journal(request_rec *r, const upkeep_dir_conf *dc,
                         int scope, int safe)
{
    if (safe || !dc->journal
        || !(atomic_load_explicit(&upkeep_slots[scope]->active,
                                  memory_order_acquire)
             & UPKEEP_ACTIVE_JOURNAL)) {
        return DECLINED;
    }
    return journaled(r, dc, scope, safe);
}

/* The decision for a request that is not quietly normal: pass, hold, or
 * refuse.  `script` is the target when it differs from r->uri (the
 * script that PATH_INFO follows), with its configuration `sdc`; both
 * must be exempt for an exemption to hold.  `judged`: the gate already
 * judged r->uri with dc (the last look only judges what changed). */
static int decide(request_rec *r, const upkeep_dir_conf *dc, int scope,
                  upkeep_record_t *rec, int mode, const char *script,
                  int judged)
{
    int safe = upkeep_conf_method_is_safe(dc, r) && !opens_tunnel(r);
    int pass;
    /* counted once, by the gate */
    int first = !judged && !script && !r->main
                && !apr_table_get(r->notes, UPKEEP_JUDGED_NOTE);

    if (mode == UPKEEP_MODE_NORMAL || (safe && mode != UPKEEP_MODE_MAINTENANCE)) {
        int rv = mode == UPKEEP_MODE_NORMAL && first
                 ? after_journal(r, dc, scope, safe) : DECLINED;

        if (rv != DECLINED) {
            return rv;
        }
        if (first && !safe) {
            count_inflight(r, scope);
        }
        return DECLINED;
    }
    pass = judged ? PASS_EXEMPT : exempt(r, dc, r->uri, scope, mode);
    if (pass && script) {
        /* the script's own path must pass too; a staff cookie passes
         * both or neither */
        pass = exempt(r, conf_for(r, script, NULL), script, scope, mode)
               ? pass : PASS_NONE;
    }
    if (pass) {
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                      "UPK0103: %s %s is exempt", r->method, r->uri);
        if (first) {
            count(scope, pass == PASS_STAFF ? UPKEEP_COUNT_BYPASSED
                                            : UPKEEP_COUNT_EXEMPTED, mode);
            if (!safe) {
                count_inflight(r, scope);
            }
        }
        return DECLINED;
    }
    if (mode == UPKEEP_MODE_HOLD && !r->main) {
        int after = hold_write(r, dc, scope, rec, first);

        if (after < 0) {
            return refuse_or_journal(r, dc, scope, UPKEEP_MODE_HOLD, rec,
                                     safe);
        }
        tell_app(r, after, rec, 0);
        if (after == UPKEEP_MODE_NORMAL) {
            /* released into normal: behind journaled writes, as any */
            int rv = after_journal(r, dc, scope, safe);

            if (rv != DECLINED) {
                return rv;
            }
            if (first) {
                count_inflight(r, scope);
            }
            return DECLINED;
        }
        mode = after;
    }
    return refuse_or_journal(r, dc, scope, mode, rec, safe);
}

/* Every mode but a quiet normal: kept apart so that the common case in
 * upkeep_gate() needs no record on its stack. */
static int gate_active(request_rec *r, const upkeep_dir_conf *dc, int scope)
{
    upkeep_record_t rec;
    int mode = read_mode(r, scope, &rec), rv;
    const char *told;

    /* post_read_request told the virtual host's scope's mode when one
     * was in force; a per-dir scope (or a flip in between) changes it */
    told = ap_get_module_config(r->request_config, &upkeep_module);
    if (!told) {
        scan_once(r);
        tell_app(r, mode, &rec, 1);
    }
    else if (told != upkeep_mode_name(mode)) {
        tell_app(r, mode, &rec, 0);
    }
    /* Sub-requests are looked up by a request that passed (mod_dir,
     * mod_negotiation, SSI): those that run a handler are judged when
     * they do (upkeep_handler).  A refusal never gets an ErrorDocument
     * (refuse() always sets the body), so a redirect from one is not
     * ours to answer twice.  Every other internal redirect (per-directory
     * mod_rewrite, mod_actions, an ErrorDocument of some other error)
     * names a new path and is judged again. */
    if (r->main || (r->prev && apr_table_get(r->prev->notes,
                                             UPKEEP_REFUSED_NOTE))) {
        return DECLINED;
    }
    rv = decide(r, dc, scope, &rec, mode, NULL, 0);
    if (rv == DECLINED) {
        apr_table_setn(r->notes, UPKEEP_JUDGED_NOTE, r->uri);
        upkeep_banner_offer(r, mode);
    }
    return rv;
}

/* A quiet normal mode, the rest: what post_read_request told of a mode
 * then in force is taken back, and a write is counted in flight. */
static int __attribute__((noinline)) gate_quiet(request_rec *r,
                                                const upkeep_dir_conf *dc,
                                                int scope)
{
    const void *told = ap_get_module_config(r->request_config,
                                            &upkeep_module);

    if (told && told != upkeep_mode_names[UPKEEP_MODE_NORMAL]) {
        tell_app(r, UPKEEP_MODE_NORMAL, NULL, 0);
    }
    if (!r->main && !upkeep_conf_method_is_safe(dc, r)) {
        count_inflight(r, scope);
    }
    return DECLINED;
}

/* Runs once <Location>/<Directory> configuration is merged and before
 * authentication, so a refusal never asks for credentials first. */
static int upkeep_gate(request_rec *r)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    int scope = upkeep_conf_scope(dc);

    if (upkeep_slots[scope] && !upkeep_slot_quiet(upkeep_slots[scope])) {
        return gate_active(r, dc, scope);
    }
    /* a quiet normal mode, nothing told, and a GET (or a sub-request):
     * the cost on every request of a healthy site, no call */
    if (!ap_get_module_config(r->request_config, &upkeep_module)
        && (r->main || (!dc->safe_methods
                        && upkeep_default_method_is_safe(r)))) {
        return DECLINED;
    }
    return gate_quiet(r, dc, scope);
}

/* TRACE and OPTIONS * are answered by core in map_to_storage, before
 * the gate: judge them here, with the configuration of TRACE's path
 * (OPTIONS * and TRACE * have none but the virtual host's). */
static int early_look(request_rec *r)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    const char *uri = r->uri;
    upkeep_record_t rec;
    int scope;

    if (r->method_number == M_TRACE) {
        if (r->uri[0] == '/') {
            dc = conf_for(r, r->uri, &uri);
        }
    }
    else if (r->method_number != M_OPTIONS || strcmp(r->uri, "*") != 0) {
        return DECLINED;
    }
    scope = upkeep_conf_scope(dc);
    if (!upkeep_slots[scope] || upkeep_slot_quiet(upkeep_slots[scope])) {
        return DECLINED;
    }
    return decide(r, dc, scope, &rec, read_mode(r, scope, &rec),
                  strcmp(uri, r->uri) != 0 ? uri : NULL, 0);
}

/* The script part of r->uri when r carries PATH_INFO
 * (/cgi-bin/app/x.css runs /cgi-bin/app), else NULL. */
static const char *script_path(request_rec *r)
{
    apr_size_t n, info;

    if (!r->path_info || !r->path_info[0]) {
        return NULL;
    }
    n = strlen(r->uri);
    info = strlen(r->path_info);
    if (info >= n || strcmp(r->uri + n - info, r->path_info) != 0) {
        return NULL;
    }
    return apr_pstrmemdup(r->pool, r->uri, n - info);
}

/* The last look, as a handler is about to run, in a mode other than
 * normal.  httpd may have handed the request to another target since
 * the gate judged it: mod_dir's FallbackResource and DirectoryIndex and
 * mod_negotiation's MultiViews look the target up as a sub-request and
 * then take its URI, handler and configuration over (a fast redirect,
 * which runs no gate); a script runs with PATH_INFO under a URI whose
 * <LocationMatch> may be exempt; a sub-request (SSI include virtual,
 * exec cgi) runs a handler of its own.  Each is judged for the target
 * that runs, with that target's configuration. */
static int __attribute__((noinline)) last_look(request_rec *r,
                                               const upkeep_dir_conf *dc,
                                               int scope)
{
    const char *judged = apr_table_get(r->notes, UPKEEP_JUDGED_NOTE);
    const char *script = script_path(r);
    const request_rec *prev;
    upkeep_record_t rec;
    int mode;

    /* a handler for a request we refused never runs (defence in depth:
     * refusals carry their own body, so no ErrorDocument follows) */
    for (prev = r->prev; prev; prev = prev->prev) {
        if (apr_table_get(prev->notes, UPKEEP_REFUSED_NOTE)) {
            return HTTP_SERVICE_UNAVAILABLE;
        }
    }
    if (judged == r->uri && !script) {
        return DECLINED;
    }
    mode = read_mode(r, scope, &rec);
    return decide(r, dc, scope, &rec, mode, script, judged == r->uri);
}

/* Whether the handler about to run may give the request to an app (CGI,
 * PHP, a proxied backend, Lua, ...), which reads its headers.  Core
 * serving a file runs under the file's content type, which
 * ap_invoke_handler makes the handler (its parameters cut off): the
 * common case, and no app but those of the types of old (AddType
 * application/x-httpd-php or application/x-httpd-cgi).  Any other
 * handler (cgi-script, proxy-server, "proxy:fcgi://...", lua-script, ...)
 * may be one, core's own default-handler aside. */
static int app_handler(const request_rec *r)
{
    const char *h = r->handler, *ct = r->content_type;

    if (!h) {
        return 0;
    }
    if (h != ct) {
        apr_size_t n = strlen(h);

        if (!ct || strncmp(ct, h, n) != 0 || (ct[n] != ';' && ct[n] != ' ')) {
            return strcmp(h, "default-handler") != 0;
        }
    }
    return strncmp(h, "application/x-httpd-", 20) == 0;
}

/* Before an app gets the request in a quiet normal mode (a mode in force
 * did this already): the client's own Upkeep-* headers go, and a tunnel
 * about to open (WebSocket through mod_proxy, say) is a write in flight
 * for as long as it lives, whatever the mode becomes, so that upkeepctl
 * --wait sees it.  Counted before the mode is looked at again. */
static void __attribute__((noinline)) before_app(request_rec *r, int scope)
{
    if (scan_once(r) && !r->main && opens_tunnel(r)) {
        count_inflight(r, scope);
    }
}

/* Every handler but core serving a file in a quiet normal mode. */
static int __attribute__((noinline)) handler_look(request_rec *r,
                                                  const upkeep_dir_conf *dc,
                                                  int scope)
{
    if (app_handler(r)) {
        before_app(r, scope);
    }
    if (upkeep_slots[scope] && !upkeep_slot_quiet(upkeep_slots[scope])) {
        int rv = last_look(r, dc, scope);

        if (rv != DECLINED) {
            return rv;
        }
    }
    return upkeep_status_handler(r);     /* it checks its handler name */
}

/* First of all handlers: the last look at the target, what an app must
 * not get, then the status page.  One hook for all, as every request
 * pays for each hook.  Core serving a file (the handler is the file's
 * type, not one of old that runs an app) in a quiet normal mode costs a
 * few loads and no call. */
static int upkeep_handler(request_rec *r)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    int scope = upkeep_conf_scope(dc);
    const char *h = r->handler;

    if ((!upkeep_slots[scope] || upkeep_slot_quiet(upkeep_slots[scope]))
        && h && h == r->content_type && h[0] != 'a') {
        return DECLINED;
    }
    return handler_look(r, dc, scope);
}

/* mod_cache's quick handler serves cached pages before any request hook
 * of ours but this one: in maintenance, a cached page must not be served
 * where the gate would refuse it.  Judged with the configuration of the
 * path (looked up: none is merged yet); passing is left to the gate, which
 * counts it. */
static int __attribute__((noinline)) before_cache(request_rec *r)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    const char *uri;
    upkeep_record_t rec;
    int scope = upkeep_conf_scope(dc), mode;

    if (!upkeep_slots[scope] || upkeep_slot_quiet(upkeep_slots[scope])
        || r->main || r->uri[0] != '/') {
        return DECLINED;
    }
    dc = conf_for(r, r->uri, &uri);
    scope = upkeep_conf_scope(dc);
    if (!upkeep_slots[scope] || upkeep_slot_quiet(upkeep_slots[scope])) {
        return DECLINED;
    }
    /* a write the gate may journal: mod_cache serves no write, so the
     * gate decides it */
    if (dc->journal && !upkeep_conf_method_is_safe(dc, r)
        && path_listed(r->pool, dc->journal, r->uri)) {
        return DECLINED;
    }
    mode = read_mode(r, scope, &rec);
    if (mode != UPKEEP_MODE_MAINTENANCE
        || (exempt(r, dc, r->uri, scope, mode)
            && exempt(r, dc, uri, scope, mode))) {
        return DECLINED;
    }
    return refuse(r, dc, scope, mode, &rec);
}

/* The module's own URLs, answered before any other module: the health
 * check, then the staff bypass path; then the look ahead of mod_cache.
 * One hook for all, as every request pays for each hook a module
 * registers. */
static int __attribute__((noinline)) quick_handler_configured(
    request_rec *r, int lookup_uri)
{
    int rv = DECLINED;

    if (upkeep_health_configured) {
        rv = upkeep_health_check(r, lookup_uri);
    }
    if (rv == DECLINED && upkeep_bypass_configured) {
        rv = upkeep_bypass_handler(r, lookup_uri);
    }
    if (rv == DECLINED && cache_loaded && !lookup_uri) {
        rv = before_cache(r);
    }
    return rv;
}

/* Registered where the configuration names one of them (pre_config);
 * the flags say whether it applies after all (<IfModule>). */
static int upkeep_quick_handler(request_rec *r, int lookup_uri)
{
    return upkeep_health_configured | upkeep_bypass_configured | cache_loaded
           ? quick_handler_configured(r, lookup_uri) : DECLINED;
}

static void upkeep_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)s;
    upkeep_sync_child_init(pchild);
    upkeep_journal_child_init(pchild);
    upkeep_track_child_init();
}

static void upkeep_child_status(server_rec *s, pid_t pid,
                                ap_generation_t gen, int slot,
                                mpm_child_status state)
{
    (void)s;
    (void)gen;
    (void)slot;
    if (state == MPM_CHILD_EXITED) {
        upkeep_track_child_exited(pid);
    }
}

static void upkeep_register_hooks(apr_pool_t *p)
{
    ap_hook_child_init(upkeep_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_status(upkeep_child_status, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_stopping(upkeep_child_stopping, NULL, NULL,
                           APR_HOOK_MIDDLE);
    ap_hook_pre_config(upkeep_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(upkeep_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_read_request(upkeep_post_read_request, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_post_perdir_config(upkeep_gate, NULL, NULL, APR_HOOK_MIDDLE);
    /* the quick handler: in pre_config, where it has work */
    ap_hook_handler(upkeep_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_insert_error_filter(insert_refusal_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
    ap_register_output_filter("UPKEEP_REFUSAL", refusal_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    upkeep_bypass_register_hooks(p);
    upkeep_banner_register_hooks(p);
}

/* Not AP_DECLARE_MODULE: upkeep_private.h already does APLOG_USE_MODULE. */
module AP_MODULE_DECLARE_DATA upkeep_module = {
    STANDARD20_MODULE_STUFF,
    upkeep_create_dir_conf,     /* per-directory config */
    upkeep_merge_dir_conf,      /* merge per-directory config */
    upkeep_create_server_conf,  /* per-server config */
    upkeep_merge_server_conf,   /* merge per-server config */
    upkeep_cmds,                /* directives */
    upkeep_register_hooks,      /* hooks */
    0                           /* flags */
};
