/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_banner.c: a banner right after <body> of HTML pages while writes
 * are paused (readonly and hold), in front of any backend.  An output
 * filter finds the <body> tag as the response streams past, wherever
 * bucket and brigade boundaries split it, inserts the banner and steps
 * out of the chain; nothing is buffered.
 */

/* first: APR's ring macros then use offsetof, not a NULL-pointer
 * subtraction that clang rejects */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "apr_lib.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_filter.h"

#include "upkeep_private.h"

#define BANNER_FILTER "UPKEEP_BANNER"

/* A page whose <body> comes later than this gets no banner: the filter
 * stops looking rather than scan a large non-page to its end. */
#define BANNER_SCAN_MAX (64 * 1024)

/* The address is the value of UpkeepBanner off. */
const upkeep_template_t upkeep_banner_off;

static ap_filter_rec_t *banner_filter_handle;

/* Short, self-contained (inline style, no assets, no script), announced
 * politely to screen readers, in the visitor's language (upkeep_i18n.c),
 * which it declares: the page around it may speak another. */
#define BANNER_OPEN \
    "<div id=\"upkeep-banner\" role=\"status\" lang=\"{{lang}}\" " \
    "dir=\"{{dir}}\" style=\"box-sizing:border-box;margin:0;" \
    "padding:.6em 1em;border-block-end:1px solid #d4a72c;" \
    "background:#fff8c5;color:#1f2328;font:15px/1.4 system-ui,sans-serif;" \
    "text-align:center\">"
/* Edge to edge whatever the page's body margin and padding (measured
 * again once the page's styles have loaded, and on resize), and the end
 * in the visitor's own time and words; without script (or where the
 * page's CSP refuses it) it stays inside the body, with the HTTP-date.
 * No '<' or '&' in it: an XHTML page must still parse. */
#define BANNER_CLOSE "</div>\n<script>(function(){" \
    "var c=document.currentScript,b=c?c.previousElementSibling:null;" \
    "if(!b)return;if(b.id!=='upkeep-banner')return;" \
    "var f=function(){var s=getComputedStyle(document.body)," \
    "n=function(p){return -(parseFloat(s['margin'+p])" \
    "+parseFloat(s['padding'+p]))+'px'};" \
    "b.style.marginLeft=n('Left');b.style.marginRight=n('Right');" \
    "b.style.marginTop=n('Top')};f();" \
    "addEventListener('load',f);addEventListener('resize',f);" \
    "b.querySelectorAll('time').forEach(function(t){" \
    "var d=new Date(t.getAttribute('datetime'));if(!isNaN(d))" \
    "t.textContent=d.toLocaleString(b.lang,{dateStyle:'full'," \
    "timeStyle:'short'})})})()</script>\n"

/* [language][0] read-only: writes are refused; [1] hold: writes wait,
 * then go through.  The reason and the end when set. */
static const upkeep_template_t *default_banner[UPKEEP_LANG_COUNT][2];
/* Ahead of a scheduled window (UpkeepAnnounce): [language][0]
 * maintenance, [1] writes paused (read-only, hold).  The times are
 * HTTP-dates, which read without a script; the reason when one was
 * given. */
static const upkeep_template_t *default_announce[UPKEEP_LANG_COUNT][2];

static int banner_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    int l, i;

    (void)plog;
    (void)ptemp;
    /* Constant text: the parse cannot fail. */
    for (l = 0; l < UPKEEP_LANG_COUNT; l++) {
        for (i = 0; i < 2; i++) {
            upkeep_template_parse(
                pconf, "built-in banner",
                apr_pstrcat(pconf, BANNER_OPEN, upkeep_langs[l].banner[i],
                            BANNER_CLOSE, NULL),
                &default_banner[l][i]);
            upkeep_template_parse(
                pconf, "built-in banner",
                apr_pstrcat(pconf, BANNER_OPEN, upkeep_langs[l].announce[i],
                            BANNER_CLOSE, NULL),
                &default_announce[l][i]);
        }
    }
    return OK;
}

/* The window of r's scope that UpkeepAnnounce says to announce now
 * (its record in *rec), or 0. */
static int window_announced(request_rec *r, upkeep_record_t *rec)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    upkeep_slot_t *slot = upkeep_scope_slot(upkeep_conf_scope(dc));
    int64_t now = apr_time_sec(r->request_time);
    int64_t ahead = upkeep_conf_announce(dc);
    upkeep_record_t both[UPKEEP_LAYER_COUNT];
    int mode, layer, l, found = 0;

    /* a pending window keeps the slot active: quiet means none */
    if (!slot || !ahead || upkeep_slot_quiet(slot)) {
        return 0;
    }
    upkeep_slot_read(slot, now, &mode, &layer, both, 1);
    for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
        if (upkeep_window_pending(&both[l], now)
            && both[l].starts - now <= ahead
            && (!found || both[l].starts < rec->starts)) {
            *rec = both[l];
            found = 1;
        }
    }
    return found;
}


/* The gate asks, for requests it let through while the scope is not
 * quietly normal: a quiet site never gets here. */
const upkeep_banner_t *upkeep_banner_wanted(request_rec *r, int mode)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    upkeep_banner_t *b;
    const upkeep_lang_t *lang;
    int varies, l;

    if (dc->banner == &upkeep_banner_off) {
        return NULL;
    }
    if (mode == UPKEEP_MODE_READONLY || mode == UPKEEP_MODE_HOLD) {
        lang = upkeep_conf_lang(r, dc, &varies);
        b = apr_palloc(r->pool, sizeof(*b));
        b->tmpl = dc->banner ? dc->banner
                             : default_banner[lang - upkeep_langs]
                                             [mode == UPKEEP_MODE_HOLD];
        b->mode = mode;
        b->window = NULL;
        b->lang = lang;
        b->varies = varies;
        return b;
    }
    /* A window ahead: the built-in announcement, whatever UpkeepBanner
     * says of paused writes (its text would tell users they are paused
     * now); UpkeepBanner off or UpkeepAnnounce off silence it. */
    if (mode == UPKEEP_MODE_NORMAL) {
        upkeep_record_t *rec = apr_palloc(r->pool, sizeof(*rec));

        if (window_announced(r, rec)) {
            lang = upkeep_conf_lang(r, dc, &varies);
            l = (int)(lang - upkeep_langs);
            b = apr_palloc(r->pool, sizeof(*b));
            b->tmpl = default_announce[l][rec->mode
                                          != UPKEEP_MODE_MAINTENANCE];
            b->mode = rec->mode;
            b->window = rec;
            b->lang = lang;
            b->varies = varies;
            return b;
        }
    }
    return NULL;
}

typedef struct {
    const upkeep_banner_t *banner;
    int started;            /* the response was checked and its headers
                               fixed */
    upkeep_body_scan_t scan;
    apr_size_t scanned;
    apr_bucket_brigade *rest;
} banner_ctx;

static int is_html(const char *type)
{
    static const char *const types[] = { "text/html",
                                         "application/xhtml+xml" };
    apr_size_t i, n;

    for (i = 0; type && i < sizeof(types) / sizeof(types[0]); i++) {
        n = strlen(types[i]);
        if (ap_cstr_casecmpn(type, types[i], n) == 0
            && (type[n] == '\0' || type[n] == ';' || apr_isspace(type[n]))) {
            return 1;
        }
    }
    return 0;
}

static const char *header_out(const request_rec *r, const char *name)
{
    const char *v = apr_table_get(r->headers_out, name);

    return v ? v : apr_table_get(r->err_headers_out, name);
}

/* Why this response must go out as it is, or NULL when it gets a banner:
 * only a whole, unencoded HTML page may change. */
static const char *unfit(request_rec *r)
{
    const char *enc = r->content_encoding ? r->content_encoding
                                          : header_out(r, "Content-Encoding");
    const char *cc = header_out(r, "Cache-Control");

    if (r->status != HTTP_OK) {
        return "not a 200";
    }
    /* the operators' own page says the mode better */
    if (r->handler && strcmp(r->handler, UPKEEP_STATUS_HANDLER) == 0) {
        return "the status page";
    }
    if (!is_html(r->content_type)) {
        return "not HTML";
    }
    if (enc && ap_cstr_casecmp(enc, "identity") != 0) {
        return "encoded";
    }
    /* the byte-range filter comes later: a banner would shift the ranges
     * of a download resumed across a flip */
    if (apr_table_get(r->headers_in, "Range")
        || header_out(r, "Content-Range")) {
        return "a range";
    }
    if (cc && ap_find_token(r->pool, cc, "no-transform")) {
        return "no-transform";
    }
    return NULL;
}

/* The body changes length and content: httpd works the length out again
 * (Content-Length when it sees the whole body at once, else chunks), and
 * the validators stop naming the plain representation, so no cache serves
 * one for the other once the mode is back to normal: the ETag gets a
 * suffix, and Last-Modified goes (a revalidation by date would get a 304
 * for the other one). */
static void fix_headers(request_rec *r)
{
    const char *etag = apr_table_get(r->headers_out, "ETag");
    apr_size_t n = etag ? strlen(etag) : 0;

    apr_table_unset(r->headers_out, "Content-Length");
    apr_table_unset(r->headers_out, "Content-MD5");
    apr_table_unset(r->headers_out, "Last-Modified");
    if (n >= 2 && etag[n - 1] == '"') {
        apr_table_setn(r->headers_out, "ETag",
                       apr_pstrcat(r->pool, apr_pstrmemdup(r->pool, etag,
                                                           n - 1),
                                   "-upkeep\"", NULL));
    }
    else if (etag) {
        apr_table_unset(r->headers_out, "ETag");
    }
}

static const char *render(request_rec *r, const banner_ctx *ctx)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    int scope = upkeep_conf_scope(dc);
    const upkeep_template_t *t = ctx->banner->tmpl;
    upkeep_page_values_t v;
    upkeep_record_t rec;
    int mode, layer;

    if (ctx->banner->window) {
        rec = *ctx->banner->window;
    }
    else {
        /* a slot back in normal mode leaves rec as it is */
        memset(&rec, 0, sizeof(rec));
        upkeep_slot_read(upkeep_scope_slot(scope),
                         apr_time_sec(r->request_time), &mode, &layer, &rec,
                         0);
    }
    v.scope = upkeep_scope_name(scope);
    v.mode = ctx->banner->mode;
    v.rec = &rec;
    v.retry_after = upkeep_retry_after(r, dc, &rec);
    v.refresh = upkeep_conf_refresh(dc, v.retry_after);
    v.lang = ctx->banner->lang;
    v.site = upkeep_conf_site(r, dc);
    /* the page's charset is unknown: ASCII reads right in any */
    return upkeep_html_ascii(r->pool, upkeep_template_render(r->pool, t, &v));
}

/* Passes the buckets before `upto` (with a FLUSH when asked) and keeps
 * the others in bb. */
static apr_status_t pass_before(ap_filter_t *f, apr_bucket_brigade *bb,
                                apr_bucket *upto, int flush)
{
    banner_ctx *ctx = f->ctx;
    apr_status_t rv;

    ctx->rest = apr_brigade_split_ex(bb, upto, ctx->rest);
    if (flush) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(
                                        f->c->bucket_alloc));
    }
    rv = ap_pass_brigade(f->next, bb);
    apr_brigade_cleanup(bb);
    APR_BRIGADE_CONCAT(bb, ctx->rest);
    return rv;
}

/* Steps out of the chain and lets the rest of the response through. */
static apr_status_t done(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static apr_status_t banner_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    banner_ctx *ctx = f->ctx;
    request_rec *r = f->r;
    apr_bucket *e;
    apr_status_t rv;

    if (APR_BRIGADE_EMPTY(bb)) {
        return APR_SUCCESS;
    }
    if (!ctx->started) {
        const char *why = unfit(r);

        if (!why) {
            fix_headers(r);
            /* the page stays in its own language (no Content-Language);
             * the banner speaks the visitor's */
            upkeep_vary_language(r, ctx->banner->varies);
            /* a HEAD whose handler made no body: its headers now say what
             * a GET's would, and there is nothing to scan */
            if (APR_BUCKET_IS_EOS(APR_BRIGADE_FIRST(bb))) {
                why = "no body";
            }
        }
        if (why) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "UPK0143: no "
                          "banner for %s: %s", r->uri, why);
            return done(f, bb);
        }
        ctx->started = 1;
        ctx->rest = apr_brigade_create(r->pool, f->c->bucket_alloc);
    }
    e = APR_BRIGADE_FIRST(bb);
    while (e != APR_BRIGADE_SENTINEL(bb)) {
        const char *data;
        apr_size_t len, scan_len;
        apr_ssize_t at;

        if (APR_BUCKET_IS_EOS(e)) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "UPK0142: no "
                          "<body> tag in %s: no banner", r->uri);
            return done(f, bb);
        }
        if (APR_BUCKET_IS_FLUSH(e)) {
            /* the backend wants what it sent so far on the wire */
            e = APR_BUCKET_NEXT(e);
            rv = pass_before(f, bb, e, 0);
            if (rv != APR_SUCCESS || APR_BRIGADE_EMPTY(bb)) {
                return rv;
            }
            e = APR_BRIGADE_FIRST(bb);
            continue;
        }
        if (APR_BUCKET_IS_METADATA(e)) {
            e = APR_BUCKET_NEXT(e);
            continue;
        }
        rv = apr_bucket_read(e, &data, &len, APR_NONBLOCK_READ);
        if (APR_STATUS_IS_EAGAIN(rv)) {
            /* a slow backend: send what came so far before waiting */
            rv = pass_before(f, bb, e, 1);
            if (rv == APR_SUCCESS) {
                e = APR_BRIGADE_FIRST(bb);
                rv = apr_bucket_read(e, &data, &len, APR_BLOCK_READ);
            }
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        /* only the first BANNER_SCAN_MAX bytes are searched; the split
         * below is against the whole bucket */
        scan_len = len;
        if (scan_len > BANNER_SCAN_MAX - ctx->scanned) {
            scan_len = BANNER_SCAN_MAX - ctx->scanned;
        }
        at = upkeep_body_scan(&ctx->scan, data, scan_len);
        if (at >= 0) {
            const char *text = render(r, ctx);

            if ((apr_size_t)at < len) {
                apr_bucket_split(e, (apr_size_t)at);
            }
            APR_BUCKET_INSERT_AFTER(e, apr_bucket_pool_create(
                                           text, strlen(text), r->pool,
                                           f->c->bucket_alloc));
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "UPK0140: banner "
                          "inserted into %s", r->uri);
            return done(f, bb);
        }
        ctx->scanned += scan_len;
        if (ctx->scanned >= BANNER_SCAN_MAX) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "UPK0141: no "
                          "<body> tag in the first %d bytes of %s: no "
                          "banner", BANNER_SCAN_MAX, r->uri);
            return done(f, bb);
        }
        e = APR_BUCKET_NEXT(e);
    }
    return ap_pass_brigade(f->next, bb);
}

/* Called by the gate rather than from an insert_filter hook, so that a
 * healthy site pays nothing for the banner.  Filters added this early
 * stay with the request through a DirectoryIndex sub-request's fast
 * redirect, and an internal redirect (which starts the request's filters
 * anew) passes the gate again. */
void upkeep_banner_offer(request_rec *r, int mode)
{
    const upkeep_banner_t *b;
    const char *accept;
    banner_ctx *ctx;

    /* the banner belongs to the page, not to its parts; and never to
     * other sites' pages relayed by a forward proxy */
    if (r->main || r->proxyreq == PROXYREQ_PROXY
        || !(b = upkeep_banner_wanted(r, mode))) {
        return;
    }
    ctx = apr_pcalloc(r->pool, sizeof(*ctx));
    ctx->banner = b;
    ap_add_output_filter_handle(banner_filter_handle, ctx, r, r->connection);
    /* A browser revalidating a page it holds without the banner (or, with
     * an ETag of ours, with an older banner) would get a 304 and keep it:
     * while a banner is offered, documents (whose Accept names text/html)
     * are answered whole.  Images and scripts keep their 304s. */
    accept = apr_table_get(r->headers_in, "Accept");
    if (accept && ap_strcasestr(accept, "text/html")) {
        apr_table_unset(r->headers_in, "If-None-Match");
        apr_table_unset(r->headers_in, "If-Modified-Since");
    }
}

void upkeep_banner_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(banner_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* Below AP_FTYPE_CONTENT_SET, whatever order filters are added in:
     * after every resource filter (SSI, mod_substitute) and before any
     * compression (mod_deflate, mod_brotli), which would hide <body>. */
    banner_filter_handle = ap_register_output_filter(
        BANNER_FILTER, banner_filter, NULL, AP_FTYPE_CONTENT_SET - 1);
}
