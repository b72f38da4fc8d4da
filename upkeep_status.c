/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_status.c: what mod_upkeep shows: the load balancer's health check
 * (answered from shared memory, in every mode, without the backend) and
 * the `upkeep-status` handler (HTML, ?json, ?metrics for Prometheus).
 */

#include <string.h>

#include "apr_strings.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"

#include "upkeep_private.h"

static const char *const counter_names[UPKEEP_COUNTER_COUNT] = {
    "refused", "held", "released", "timed_out", "bypassed", "exempted"
};

/* Whether counter c can move in mode m: nothing is refused or let through
 * in normal mode, and only hold holds.  Metrics leave the others out. */
static int counter_possible(int c, int m)
{
    if (m == UPKEEP_MODE_NORMAL) {
        return 0;
    }
    return (c != UPKEEP_COUNT_HELD && c != UPKEEP_COUNT_RELEASED
            && c != UPKEEP_COUNT_TIMED_OUT) || m == UPKEEP_MODE_HOLD;
}

/* One scope as the status page sees it. */
typedef struct {
    const char *name;
    int index, mode, layer;
    upkeep_record_t rec[UPKEEP_LAYER_COUNT];
    int64_t inflight, held;
    uint64_t count[UPKEEP_COUNTER_COUNT][UPKEEP_MODE_COUNT];
    upkeep_jstats_t journal;    /* zero without UpkeepJournal */
} scope_view_t;

static int view_scope(apr_pool_t *p, int i, int64_t now, scope_view_t *v)
{
    upkeep_slot_t *slot = upkeep_scope_slot(i);
    int c, m;

    if (!slot) {
        return 0;
    }
    v->name = upkeep_scope_name(i);
    v->index = i;
    upkeep_slot_read(slot, now, &v->mode, &v->layer, v->rec, 1);
    memset(&v->journal, 0, sizeof(v->journal));
    if (upkeep_journal_configured) {
        upkeep_journal_stats(p, i, &v->journal);
    }
    v->inflight = atomic_load(&slot->inflight_writes);
    v->held = atomic_load(&slot->held_now);
    for (c = 0; c < UPKEEP_COUNTER_COUNT; c++) {
        for (m = 0; m < UPKEEP_MODE_COUNT; m++) {
            v->count[c][m] = atomic_load(&slot->count[c][m]);
        }
    }
    return 1;
}

static int scope_mode(request_rec *r)
{
    const upkeep_dir_conf *dc = ap_get_module_config(r->per_dir_config,
                                                     &upkeep_module);
    upkeep_slot_t *slot = upkeep_scope_slot(upkeep_conf_scope(dc));
    upkeep_record_t rec;
    int mode = UPKEEP_MODE_NORMAL, layer;

    if (slot) {
        upkeep_slot_read(slot, apr_time_sec(r->request_time), &mode, &layer,
                         &rec, 0);
    }
    return mode;
}

/* Quick handler: before <Location> walks, authentication and the gate, so
 * health checks pass in every mode (a balancer must not pull every node
 * when the site goes read-only) and only drain makes them fail. */
int upkeep_health_check(request_rec *r, int lookup_uri)
{
    const char *path, *mode;
    upkeep_live_t *live;
    int drained;

    if (!upkeep_health_configured) {
        return DECLINED;
    }
    path = upkeep_health_path(r->server);
    live = upkeep_live();
    if (!path || lookup_uri || r->main || !r->parsed_uri.path
        || strcmp(r->parsed_uri.path, path) != 0) {
        return DECLINED;
    }
    mode = upkeep_mode_name(scope_mode(r));
    drained = live && atomic_load(&live->drain.drained);
    apr_table_setn(r->subprocess_env, "UPKEEP_MODE", mode);
    apr_table_setn(r->headers_out, "Upkeep-Mode", mode);
    apr_table_setn(r->headers_out, "Upkeep-Drain", drained ? "on" : "off");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/plain; charset=utf-8");
    r->status = drained ? HTTP_SERVICE_UNAVAILABLE : HTTP_OK;
    ap_rprintf(r, "%s\nmode=%s\n", drained ? "draining" : "ok", mode);
    return OK;
}

/* The servers the poller finds failing: JSON strings, or HTML words. */
static const char *failing_servers(request_rec *r,
                                   const upkeep_cluster_conf_t *cc, int json)
{
    const char *list = upkeep_cluster_server_list(
        r->pool, cc, atomic_load(&upkeep_live()->sync.failing_servers), json);

    return json ? list : ap_escape_html(r->pool, list);
}

/* The same document as `upkeepctl status --json` (one renderer in the
 * core), with the counters this process can see. */
static void json_status(request_rec *r, scope_view_t *views, int n,
                        int64_t now)
{
    upkeep_live_t *live = upkeep_live();
    const upkeep_cluster_conf_t *cc = upkeep_cluster_conf(r->pool,
                                                          r->server);
    int64_t last_ok = atomic_load(&live->sync.last_ok);
    int i, c, m;

    ap_set_content_type(r, "application/json");
    ap_rprintf(r, "{%s,\"drained\":%s,\"drained_since\":%s,\"held\":%"
               APR_INT64_T_FMT ",\"hold_limit\":%d,",
               upkeep_status_json_head(r->pool, upkeep_host_name(r->pool),
                                       now),
               atomic_load(&live->drain.drained) ? "true" : "false",
               upkeep_json_time(r->pool, atomic_load(&live->drain.since)),
               (apr_int64_t)atomic_load(&live->held_total),
               upkeep_hold_limit(r->server));
    if (cc) {
        ap_rprintf(r, "\"sync\":{\"last_ok\":%s,\"age\":%s,\"failing\":%s,"
                   "\"failing_servers\":[%s]},",
                   upkeep_json_time(r->pool, last_ok),
                   last_ok ? apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                          now - last_ok) : "null",
                   atomic_load(&live->sync.failing) ? "true" : "false",
                   failing_servers(r, cc, 1));
    }
    ap_rputs("\"scopes\":[", r);
    for (i = 0; i < n; i++) {
        scope_view_t *v = &views[i];
        upkeep_effective_t eff;
        upkeep_scope_view_t sv;
        upkeep_served_scope_t conf;
        const char *counters = ",\"counters\":{";

        for (c = 0; c < UPKEEP_COUNTER_COUNT; c++) {
            counters = apr_psprintf(r->pool, "%s%s\"%s\":{", counters,
                                    c ? "," : "", counter_names[c]);
            for (m = 0; m < UPKEEP_MODE_COUNT; m++) {
                counters = apr_psprintf(r->pool, "%s%s\"%s\":%"
                                        APR_UINT64_T_FMT, counters,
                                        m ? "," : "", upkeep_mode_name(m),
                                        (apr_uint64_t)v->count[c][m]);
            }
            counters = apr_pstrcat(r->pool, counters, "}", NULL);
        }
        upkeep_effective(v->rec, now, &eff);
        /* each scope's own figures, as served.conf gives upkeepctl */
        upkeep_scope_figures(ap_server_conf, v->index, &conf);
        sv.name = v->name;
        sv.eff = &eff;
        sv.conf = &conf;
        sv.inflight = v->inflight;
        sv.held = v->held;
        sv.extra = apr_pstrcat(r->pool, counters, "}", NULL);
        if (upkeep_journal_configured) {
            sv.extra = apr_psprintf(r->pool, "%s,\"journal\":{\"pending\":%"
                                    APR_INT64_T_FMT ",\"dead\":%"
                                    APR_INT64_T_FMT ",\"bytes\":%"
                                    APR_OFF_T_FMT "}", sv.extra,
                                    (apr_int64_t)v->journal.pending,
                                    (apr_int64_t)v->journal.dead,
                                    v->journal.bytes);
        }
        ap_rprintf(r, "%s%s", i ? "," : "",
                   upkeep_scope_json(r->pool, &sv, now));
    }
    ap_rputs("]}\n", r);
}

/* A Prometheus label value: backslash, double quote and newline escaped
 * (scope names cannot hold them; UpkeepMemcached host names might). */
static const char *label_value(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n') {
            *o++ = '\\';
        }
        *o++ = *s == '\n' ? 'n' : *s;
    }
    *o = '\0';
    return out;
}

/* The journal of every scope (UpkeepJournal), as view_scope() read it
 * from its files. */
static void metrics_journal(request_rec *r, const scope_view_t *views,
                            int n)
{
    static const char *const results[3] = { "ok", "client_error", "retry" };
    int i, k;

    ap_rputs("# HELP upkeep_journal_entries Journaled writes not yet "
             "applied (pending) or given up (dead).\n"
             "# TYPE upkeep_journal_entries gauge\n", r);
    for (i = 0; i < n; i++) {
        ap_rprintf(r, "upkeep_journal_entries{scope=\"%s\",state="
                   "\"pending\"} %" APR_INT64_T_FMT "\n"
                   "upkeep_journal_entries{scope=\"%s\",state=\"dead\"} %"
                   APR_INT64_T_FMT "\n", views[i].name,
                   views[i].journal.pending, views[i].name,
                   views[i].journal.dead);
    }
    ap_rputs("# HELP upkeep_journal_bytes Size of the journal file.\n"
             "# TYPE upkeep_journal_bytes gauge\n", r);
    for (i = 0; i < n; i++) {
        ap_rprintf(r, "upkeep_journal_bytes{scope=\"%s\"} %" APR_OFF_T_FMT
                   "\n", views[i].name, views[i].journal.bytes);
    }
    ap_rputs("# HELP upkeep_journal_replayed_total Replays of journaled "
             "writes, by outcome.\n"
             "# TYPE upkeep_journal_replayed_total counter\n", r);
    for (i = 0; i < n; i++) {
        const apr_uint64_t v[3] = { views[i].journal.ok,
                                    views[i].journal.client_error,
                                    views[i].journal.retry };

        for (k = 0; k < 3; k++) {
            ap_rprintf(r, "upkeep_journal_replayed_total{scope=\"%s\","
                       "result=\"%s\"} %" APR_UINT64_T_FMT "\n",
                       views[i].name, results[k], v[k]);
        }
    }
}

static void metrics_status(request_rec *r, scope_view_t *views, int n,
                           int64_t now)
{
    upkeep_live_t *live = upkeep_live();
    const upkeep_cluster_conf_t *cc = upkeep_cluster_conf(r->pool,
                                                          r->server);
    int64_t last_ok = atomic_load(&live->sync.last_ok);
    int i, c, m;

    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    ap_rprintf(r, "# HELP upkeep_build_info The mod_upkeep version.\n"
               "# TYPE upkeep_build_info gauge\n"
               "upkeep_build_info{version=\"%s\"} 1\n", UPKEEP_VERSION);
    ap_rputs("# HELP upkeep_mode 1 for the mode each scope is in.\n"
             "# TYPE upkeep_mode gauge\n", r);
    for (i = 0; i < n; i++) {
        for (m = 0; m < UPKEEP_MODE_COUNT; m++) {
            ap_rprintf(r, "upkeep_mode{scope=\"%s\",mode=\"%s\"} %d\n",
                       views[i].name, upkeep_mode_name(m),
                       views[i].mode == m);
        }
    }
    /* for alerts: a window that overran is until < time() while the
     * mode is not normal */
    ap_rputs("# HELP upkeep_mode_since_timestamp_seconds When the mode in "
             "force was set (Unix time).\n"
             "# TYPE upkeep_mode_since_timestamp_seconds gauge\n", r);
    for (i = 0; i < n; i++) {
        const upkeep_record_t *rec = &views[i].rec[views[i].layer];

        if (rec->since) {
            ap_rprintf(r, "upkeep_mode_since_timestamp_seconds{scope=\"%s\"} "
                       "%" APR_INT64_T_FMT "\n", views[i].name,
                       (apr_int64_t)rec->since);
        }
    }
    ap_rputs("# HELP upkeep_mode_until_timestamp_seconds When the mode in "
             "force ends (Unix time); absent without an end.\n"
             "# TYPE upkeep_mode_until_timestamp_seconds gauge\n", r);
    for (i = 0; i < n; i++) {
        const upkeep_record_t *rec = &views[i].rec[views[i].layer];

        if (rec->until && views[i].mode != UPKEEP_MODE_NORMAL) {
            ap_rprintf(r, "upkeep_mode_until_timestamp_seconds{scope=\"%s\"} "
                       "%" APR_INT64_T_FMT "\n", views[i].name,
                       (apr_int64_t)rec->until);
        }
    }
    ap_rputs("# HELP upkeep_requests_total Requests the gate refused, held, "
             "released after a hold, timed out in a hold, or let through by "
             "a staff bypass cookie (bypassed) or an exemption (exempted).\n"
             "# TYPE upkeep_requests_total counter\n", r);
    for (i = 0; i < n; i++) {
        for (c = 0; c < UPKEEP_COUNTER_COUNT; c++) {
            for (m = 0; m < UPKEEP_MODE_COUNT; m++) {
                if (!counter_possible(c, m)) {
                    continue;
                }
                ap_rprintf(r, "upkeep_requests_total{scope=\"%s\",mode=\"%s\","
                           "outcome=\"%s\"} %" APR_UINT64_T_FMT "\n",
                           views[i].name, upkeep_mode_name(m),
                           counter_names[c],
                           (apr_uint64_t)views[i].count[c][m]);
            }
        }
    }
    ap_rputs("# HELP upkeep_inflight_writes Write requests running now.\n"
             "# TYPE upkeep_inflight_writes gauge\n", r);
    for (i = 0; i < n; i++) {
        ap_rprintf(r, "upkeep_inflight_writes{scope=\"%s\"} %"
                   APR_INT64_T_FMT "\n", views[i].name,
                   (apr_int64_t)views[i].inflight);
    }
    ap_rputs("# HELP upkeep_held_writes Writes waiting in hold now.\n"
             "# TYPE upkeep_held_writes gauge\n", r);
    for (i = 0; i < n; i++) {
        ap_rprintf(r, "upkeep_held_writes{scope=\"%s\"} %" APR_INT64_T_FMT
                   "\n", views[i].name, (apr_int64_t)views[i].held);
    }
    if (upkeep_journal_configured) {
        metrics_journal(r, views, n);
    }
    ap_rprintf(r, "# HELP upkeep_hold_limit Most writes held at once on "
               "this node (UpkeepHoldLimit).\n"
               "# TYPE upkeep_hold_limit gauge\nupkeep_hold_limit %d\n",
               upkeep_hold_limit(r->server));
    ap_rprintf(r, "# HELP upkeep_drained 1 while this node is drained.\n"
               "# TYPE upkeep_drained gauge\nupkeep_drained %u\n",
               (unsigned)atomic_load(&live->drain.drained));
    if (cc) {
        uint32_t failing = atomic_load(&live->sync.failing_servers);

        ap_rprintf(r, "# HELP upkeep_sync_age_seconds Seconds since the last "
                   "good cluster poll (-1: none yet).\n"
                   "# TYPE upkeep_sync_age_seconds gauge\n"
                   "upkeep_sync_age_seconds %" APR_INT64_T_FMT "\n",
                   last_ok ? now - last_ok : (apr_int64_t)-1);
        if (last_ok) {
            ap_rprintf(r, "# HELP upkeep_sync_last_success_timestamp_seconds "
                       "When a cluster poll last succeeded (Unix time).\n"
                       "# TYPE upkeep_sync_last_success_timestamp_seconds "
                       "gauge\nupkeep_sync_last_success_timestamp_seconds %"
                       APR_INT64_T_FMT "\n", (apr_int64_t)last_ok);
        }
        ap_rprintf(r, "# HELP upkeep_sync_lost 1 while no memcached server "
                   "answers (the last known cluster mode is kept).\n"
                   "# TYPE upkeep_sync_lost gauge\n"
                   "upkeep_sync_lost %u\n"
                   "# HELP upkeep_sync_failing 1 while a memcached server "
                   "misses its deadline or errs (the poller skips it and "
                   "tries it again with backoff).\n"
                   "# TYPE upkeep_sync_failing gauge\n",
                   (unsigned)atomic_load(&live->sync.failing));
        for (i = 0; i < cc->nservers; i++) {
            ap_rprintf(r, "upkeep_sync_failing{server=\"%s\"} %d\n",
                       label_value(r->pool,
                                   upkeep_cluster_server_name(r->pool, cc, i)),
                       (failing >> i) & 1);
        }
    }
}

/* Looks the same as the maintenance page, and fits a phone: one card per
 * scope, in as many columns as the window takes. */
#define STATUS_STYLE \
    "<style>\n" \
    ":root{color-scheme:light dark;--bg:#eef1f5;--card:#fff;" \
    "--fg:#16191d;--muted:#434c57;--accent:#1d5fbf;--line:#d3dae3;" \
    "--alert:#b3261e}\n" \
    "@media (prefers-color-scheme:dark){:root{--bg:#101317;" \
    "--card:#1b1f25;--fg:#eceff3;--muted:#b6bfca;--accent:#80b4ff;" \
    "--line:#2f353e;--alert:#ff8a80}}\n" \
    "*{box-sizing:border-box}\n" \
    "body{margin:0;padding:1rem;background:var(--bg);color:var(--fg);" \
    "font:1rem/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto," \
    "\"Helvetica Neue\",Arial,sans-serif}\n" \
    "main{max-width:75rem;margin:0 auto}\n" \
    "h1{margin:0;font-size:clamp(1.3rem,4vw,1.7rem);line-height:1.2}\n" \
    ".meta{color:var(--muted);margin:.25rem 0 1rem}\n" \
    ".node,section{background:var(--card);border:1px solid var(--line);" \
    "border-radius:12px;padding:1rem;margin:0 0 1rem;" \
    "overflow-wrap:anywhere}\n" \
    ".scopes{display:grid;gap:1rem;" \
    "grid-template-columns:repeat(auto-fill,minmax(min(100%,20rem),1fr))}\n" \
    ".scopes section{margin:0}\n" \
    ".alert{border-color:var(--alert);" \
    "border-inline-start:6px solid var(--alert)}\n" \
    "h2{margin:0 0 .5rem;font-size:1.15rem}\n" \
    ".badge{display:inline-block;padding:0 .6em;border-radius:999px;" \
    "font-size:.85rem;background:var(--line);vertical-align:middle}\n" \
    ".alert .badge{background:var(--alert);color:var(--card)}\n" \
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .75rem;" \
    "margin:0}\n" \
    "dt{color:var(--muted)}\n" \
    "dd{margin:0;min-width:0}\n" \
    "time{white-space:nowrap}\n" \
    "a{color:var(--accent)}\n" \
    "</style>\n"

/* A time for people: <time> with the ISO form, never split. */
static const char *html_time(apr_pool_t *p, int64_t t)
{
    const char *iso = upkeep_iso_time(p, t);

    return t ? apr_psprintf(p, "<time datetime=\"%s\">%s</time>", iso, iso)
             : "-";
}

static void html_status(request_rec *r, scope_view_t *views, int n,
                        int64_t now, int refresh)
{
    upkeep_live_t *live = upkeep_live();
    const upkeep_cluster_conf_t *cc = upkeep_cluster_conf(r->pool,
                                                          r->server);
    int64_t last_ok = atomic_load(&live->sync.last_ok);
    int drained = atomic_load(&live->drain.drained) != 0;
    const char *node = ap_escape_html(r->pool, upkeep_host_name(r->pool));
    int i, l;

    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_rprintf(r, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
               "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
               "content=\"width=device-width,initial-scale=1\">\n%s"
               "<title>mod_upkeep status: %s</title>\n%s"
               "</head><body><main>\n<h1>mod_upkeep status</h1>\n"
               "<p class=\"meta\">Node <b>%s</b> &middot; as of %s &middot; "
               "%s</p>\n",
               refresh ? apr_psprintf(r->pool, "<meta http-equiv=\"refresh\" "
                                      "content=\"%d\">\n", refresh) : "",
               node, STATUS_STYLE, node, html_time(r->pool, now),
               refresh ? apr_psprintf(r->pool, "refreshes every %d s "
                                      "(<a href=\"?refresh=0\">stop</a>)",
                                      refresh)
                       : "does not refresh (<a href=\"?\">refresh</a>)");
    ap_rprintf(r, "<p class=\"node%s\">Drain: <b>%s</b>. Writes held now: "
               "%" APR_INT64_T_FMT " (limit %d).", drained ? " alert" : "",
               drained ? apr_pstrcat(r->pool, "drained since ",
                                     html_time(r->pool, atomic_load(
                                         &live->drain.since)), NULL)
                       : "serving",
               (apr_int64_t)atomic_load(&live->held_total),
               upkeep_hold_limit(r->server));
    if (cc) {
        const char *bad = failing_servers(r, cc, 0);

        ap_rprintf(r, " Cluster sync: %s%s%s%s.", last_ok
                   ? apr_psprintf(r->pool, "last good poll %" APR_INT64_T_FMT
                                  " s ago", now - last_ok) : "no good poll yet",
                   atomic_load(&live->sync.failing) ? ", no memcached server "
                   "answers" : "", *bad ? "; failing: " : "", bad);
    }
    ap_rputs("</p>\n<div class=\"scopes\">\n", r);
    for (i = 0; i < n; i++) {
        scope_view_t *v = &views[i];
        const upkeep_record_t *rec = &v->rec[v->layer];
        uint64_t total[UPKEEP_COUNTER_COUNT] = { 0 };
        int c, m;

        for (c = 0; c < UPKEEP_COUNTER_COUNT; c++) {
            for (m = 0; m < UPKEEP_MODE_COUNT; m++) {
                total[c] += v->count[c][m];
            }
        }
        ap_rprintf(r, "<section%s><h2>%s <span class=\"badge\">%s</span>"
                   "</h2>\n<dl><dt>layer</dt><dd>%s</dd>",
                   v->mode != UPKEEP_MODE_NORMAL ? " class=\"alert\"" : "",
                   ap_escape_html(r->pool, v->name),
                   upkeep_mode_name(v->mode), upkeep_layer_names[v->layer]);
        for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
            const upkeep_record_t *lr = &v->rec[l];
            const char *window = upkeep_window_pending(lr, now)
                ? apr_psprintf(r->pool, "; %s from %s",
                               upkeep_mode_name(lr->mode),
                               html_time(r->pool, lr->starts))
                : "";

            ap_rprintf(r, "<dt>%s</dt><dd>%s (v%" APR_UINT64_T_FMT ")%s</dd>",
                       upkeep_layer_names[l],
                       upkeep_mode_name(upkeep_mode_at(lr, now)),
                       (apr_uint64_t)lr->version, window);
        }
        ap_rprintf(r, "<dt>reason</dt><dd>%s</dd><dt>since</dt><dd>%s</dd>"
                   "<dt>until</dt><dd>%s</dd>\n<dt>writes in flight</dt>"
                   "<dd>%" APR_INT64_T_FMT "</dd><dt>held</dt><dd>%"
                   APR_INT64_T_FMT "</dd><dt>refused</dt><dd>%"
                   APR_UINT64_T_FMT "</dd><dt>exempted</dt><dd>%"
                   APR_UINT64_T_FMT "</dd><dt>bypassed</dt><dd>%"
                   APR_UINT64_T_FMT "</dd>%s</dl></section>\n",
                   rec->reason[0] ? ap_escape_html(r->pool, rec->reason) : "-",
                   html_time(r->pool, rec->since),
                   html_time(r->pool, rec->until), (apr_int64_t)v->inflight,
                   (apr_int64_t)v->held, total[UPKEEP_COUNT_REFUSED],
                   total[UPKEEP_COUNT_EXEMPTED], total[UPKEEP_COUNT_BYPASSED],
                   upkeep_journal_configured
                   ? apr_psprintf(r->pool, "<dt>journal</dt><dd>%"
                                  APR_INT64_T_FMT " pending, %"
                                  APR_INT64_T_FMT " dead</dd>",
                                  (apr_int64_t)v->journal.pending,
                                  (apr_int64_t)v->journal.dead) : "");
    }
    ap_rputs("</div>\n<p><a href=\"?json\">JSON</a> &middot; "
             "<a href=\"?metrics\">Prometheus metrics</a></p>\n"
             "</main></body></html>\n", r);
}

/* The default view reloads itself this often (seconds); ?refresh=N
 * (0 to 3600) sets it, 0 turns it off. */
#define STATUS_REFRESH 5

typedef enum { VIEW_HTML, VIEW_JSON, VIEW_METRICS } status_view_e;

/* ?json, ?metrics, ?refresh=N (words joined by '&'), else the client's
 * Accept: JSON when it prefers it to HTML. */
static status_view_e status_view(request_rec *r, int *refresh)
{
    char *args = r->args ? apr_pstrdup(r->pool, r->args) : NULL;
    char *word, *last;
    status_view_e view = VIEW_HTML;
    int asked = 0;

    *refresh = STATUS_REFRESH;
    for (word = args ? apr_strtok(args, "&", &last) : NULL; word;
         word = apr_strtok(NULL, "&", &last)) {
        if (strcmp(word, "json") == 0) {
            view = VIEW_JSON;
            asked = 1;
        }
        else if (strcmp(word, "metrics") == 0) {
            view = VIEW_METRICS;
            asked = 1;
        }
        else if (strncmp(word, "refresh=", 8) == 0) {
            char *end;
            apr_int64_t v = apr_strtoi64(word + 8, &end, 10);

            if (end != word + 8 && !*end && v >= 0 && v <= 3600) {
                *refresh = (int)v;
            }
        }
    }
    if (!asked) {
        apr_table_mergen(r->headers_out, "Vary", "Accept");
        if (upkeep_negotiate(r) == UPKEEP_BODY_JSON) {
            view = VIEW_JSON;
        }
    }
    return view;
}

int upkeep_status_handler(request_rec *r)
{
    scope_view_t *views;
    int64_t now = apr_time_sec(r->request_time);
    int i, n = 0, refresh;

    if (!r->handler || r->handler[0] != 'u'
        || strcmp(r->handler, UPKEEP_STATUS_HANDLER) != 0) {
        return DECLINED;
    }
    ap_allow_methods(r, REPLACE_ALLOW, "GET", NULL);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!upkeep_live()) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    views = apr_pcalloc(r->pool, sizeof(*views) * upkeep_scope_count());
    for (i = 0; i < upkeep_scope_count(); i++) {
        n += view_scope(r->pool, i, now, &views[n]);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    switch (status_view(r, &refresh)) {
    case VIEW_JSON:
        json_status(r, views, n, now);
        break;
    case VIEW_METRICS:
        metrics_status(r, views, n, now);
        break;
    default:
        html_status(r, views, n, now, refresh);
    }
    return OK;
}
