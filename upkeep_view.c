/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_view.c: what a scope serves (both layers, windows, the figures
 * clients get), its JSON, and STATE_DIR/served.conf.  APR only: the
 * module, its status page and upkeepctl all use these.
 */

#include <stdlib.h>
#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "upkeep_view.h"

/* --- served.conf -------------------------------------------------------- */

const char *upkeep_served_encode(apr_pool_t *p, const upkeep_served_t *sv)
{
    const char *out = apr_psprintf(p,
        "# mod_upkeep: what httpd's configuration says, for upkeepctl;\n"
        "# written by httpd when it starts and this changes; do not edit\n"
        "format %d\npidfile %s\nnode %s\nhealth %s\n"
        "cluster %d\n", UPKEEP_SERVED_FORMAT, sv->pidfile,
        sv->node, sv->health ? sv->health : "-", sv->cluster);
    int i;

    for (i = 0; i < sv->nscopes; i++) {
        const upkeep_served_scope_t *s = &sv->scopes[i];

        out = apr_psprintf(p, "%sscope %s %d %d %d\n", out, s->name,
                           s->retry_after, s->hold_max_ms,
                           s->readonly_status);
    }
    return out;
}

/* served.conf is small: a line per scope, at most UPKEEP_MAX_SCOPES */
#define SERVED_CONF_MAX (64 * 1024)

apr_status_t upkeep_served_parse(apr_pool_t *p, const char *path,
                                 char *buf, upkeep_served_t *sv, char *err)
{
    apr_array_header_t *scopes = apr_array_make(p, 4, sizeof(*sv->scopes));
    char *line, *last;
    int lineno = 0, format = 0;

    memset(sv, 0, sizeof(*sv));
    for (line = apr_strtok(buf, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        char name[UPKEEP_SCOPE_NAME_MAX + 1];
        int a, b, c, n = 0;

        lineno++;
        if (line[0] == '#') {
            continue;
        }
        if (sscanf(line, "format %d%n", &format, &n) == 1 && !line[n]) {
            continue;
        }
        if (strncmp(line, "pidfile /", 9) == 0
            && !upkeep_check_reason(line + 8)) {
            sv->pidfile = line + 8;
            continue;
        }
        if (strncmp(line, "node ", 5) == 0 && !upkeep_check_reason(line + 5)) {
            sv->node = line + 5;
            continue;
        }
        if (strncmp(line, "health ", 7) == 0 && line[7] == '/'
            && !upkeep_check_reason(line + 7)) {
            sv->health = line + 7;
            continue;
        }
        if (strcmp(line, "health -") == 0) {
            continue;
        }
        if (sscanf(line, "cluster %d%n", &sv->cluster, &n) == 1 && !line[n]) {
            continue;
        }
        if (sscanf(line, "scope %64s %d %d %d%n", name, &a, &b, &c, &n) == 4
            && !line[n] && !upkeep_check_scope_name(name)
            && sv->nscopes < UPKEEP_MAX_SCOPES) {
            upkeep_served_scope_t *s = apr_array_push(scopes);

            s->name = apr_pstrdup(p, name);
            s->retry_after = a;
            s->hold_max_ms = b;
            s->readonly_status = c;
            sv->nscopes++;
            continue;
        }
        apr_snprintf(err, UPKEEP_ERRMSG_MAX, "%s: line %d is not understood "
                     "(written by another version of mod_upkeep? restart "
                     "httpd)", path, lineno);
        return APR_EGENERAL;
    }
    if (format != UPKEEP_SERVED_FORMAT || !sv->node || !sv->pidfile) {
        apr_snprintf(err, UPKEEP_ERRMSG_MAX, "%s: not format %d (written by "
                     "another version of mod_upkeep? restart httpd)", path,
                     UPKEEP_SERVED_FORMAT);
        return APR_EGENERAL;
    }
    sv->scopes = (upkeep_served_scope_t *)scopes->elts;
    return APR_SUCCESS;
}

apr_status_t upkeep_served_load(apr_pool_t *p, const char *dir,
                                upkeep_served_t *sv, char *err)
{
    const char *path = apr_pstrcat(p, dir, "/" UPKEEP_SERVED_CONF, NULL);
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    memset(sv, 0, sizeof(*sv));
    rv = upkeep_file_read_all(p, path, SERVED_CONF_MAX, &buf, &len, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (strlen(buf) != len) {
        apr_snprintf(err, UPKEEP_ERRMSG_MAX, "%s holds a NUL byte (not "
                     "written by mod_upkeep?)", path);
        return APR_EGENERAL;
    }
    return upkeep_served_parse(p, path, buf, sv, err);
}

const upkeep_served_scope_t *upkeep_served_scope(const upkeep_served_t *sv,
                                                 const char *name)
{
    int i;

    for (i = 0; sv && i < sv->nscopes; i++) {
        if (strcmp(sv->scopes[i].name, name) == 0) {
            return &sv->scopes[i];
        }
    }
    return NULL;
}

/* Edit distance of two short names (scope names are under 64 bytes). */
static int distance(const char *a, const char *b)
{
    int row[UPKEEP_SCOPE_NAME_MAX + 1];
    int n = (int)strlen(b), i, j;

    if (n > UPKEEP_SCOPE_NAME_MAX || strlen(a) > UPKEEP_SCOPE_NAME_MAX) {
        return UPKEEP_SCOPE_NAME_MAX;
    }
    for (j = 0; j <= n; j++) {
        row[j] = j;
    }
    for (i = 1; a[i - 1]; i++) {
        int diag = row[0], up;

        row[0] = i;
        for (j = 1; j <= n; j++) {
            up = row[j];
            row[j] = a[i - 1] == b[j - 1] ? diag
                     : 1 + (diag < up ? (diag < row[j - 1] ? diag
                                                          : row[j - 1])
                                      : (up < row[j - 1] ? up
                                                         : row[j - 1]));
            diag = up;
        }
    }
    return row[n];
}

const char *upkeep_served_closest(const upkeep_served_t *sv,
                                  const char *name)
{
    const char *best = NULL;
    int best_d = 3, i;  /* two edits at most: a typo, not another name */

    for (i = 0; sv && i < sv->nscopes; i++) {
        int d = distance(name, sv->scopes[i].name);

        if (d < best_d) {
            best_d = d;
            best = sv->scopes[i].name;
        }
    }
    return best;
}

int upkeep_served_running(apr_pool_t *p, const upkeep_served_t *sv)
{
    char *text, *end, err[UPKEEP_ERRMSG_MAX];
    apr_size_t len;
    apr_int64_t pid;

    /* httpd's own PidFile: written at every start, removed at a stop */
    if (upkeep_file_read_all(p, sv->pidfile, 64, &text, &len, err)
        != APR_SUCCESS) {
        return 0;
    }
    pid = apr_strtoi64(text, &end, 10);
    if (pid <= 0 || pid > INT32_MAX || (*end && *end != '\n')) {
        return 0;
    }
    return upkeep_pid_alive(pid);
}

/* --- the state a scope serves ---------------------------------------- */

void upkeep_effective(const upkeep_record_t rec[UPKEEP_LAYER_COUNT],
                      int64_t now, upkeep_effective_t *e)
{
    const upkeep_record_t *r;
    int l;

    if (e->rec != rec) {
        memcpy(e->rec, rec, sizeof(e->rec));
    }
    e->layer = upkeep_layer_in_force(e->rec, now);
    r = &e->rec[e->layer];
    e->mode = upkeep_mode_at(r, now);
    e->expired = e->mode != r->mode && !upkeep_window_pending(r, now);
    e->pending = -1;
    for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
        if (upkeep_window_pending(&e->rec[l], now)
            && (e->pending < 0
                || e->rec[l].starts < e->rec[e->pending].starts)) {
            e->pending = l;
        }
    }
}

apr_status_t upkeep_scope_records(apr_pool_t *p, const char *dir,
                                  const char *scope,
                                  const upkeep_slot_t *slot,
                                  upkeep_record_t rec[UPKEEP_LAYER_COUNT],
                                  char *err)
{
    upkeep_record_t held[UPKEEP_LAYER_COUNT];
    int l, mode, layer;

    for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
        apr_status_t rv = upkeep_state_load(p, dir, scope, l, &rec[l], err);

        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
            return rv;
        }
    }
    if (slot && upkeep_slot_read(slot, 0, &mode, &layer, held, 1) == 0
        && upkeep_record_newer(&held[UPKEEP_LAYER_CLUSTER],
                               &rec[UPKEEP_LAYER_CLUSTER]) > 0) {
        rec[UPKEEP_LAYER_CLUSTER] = held[UPKEEP_LAYER_CLUSTER];
    }
    return APR_SUCCESS;
}

int upkeep_retry_after_at(const upkeep_record_t *rec, int configured,
                          int64_t now)
{
    if (rec->until) {
        int64_t left = rec->until - now;

        return left < 1 ? 1 : left > UPKEEP_RETRY_AFTER_MAX
                              ? UPKEEP_RETRY_AFTER_MAX : (int)left;
    }
    return rec->retry_after > 0 ? rec->retry_after : configured;
}

/* --- words and JSON --------------------------------------------------- */

const char *upkeep_human_duration(apr_pool_t *p, int64_t secs)
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

const char *upkeep_when(apr_pool_t *p, int64_t t, int64_t now)
{
    if (!t) {
        return "-";
    }
    return apr_psprintf(p, "%s (%s %s%s)", upkeep_iso_time(p, t),
                        t >= now ? "in" : "",
                        upkeep_human_duration(p, t >= now ? t - now
                                                          : now - t),
                        t >= now ? "" : " ago");
}

static const char *json_layer(apr_pool_t *p, const upkeep_record_t *r,
                              int64_t now)
{
    return apr_psprintf(p, "{\"mode\":%s,\"set_mode\":%s,\"reason\":%s,"
                        "\"since\":%s,\"starts\":%s,\"until\":%s,"
                        "\"pending\":%s,\"retry_after\":%d,"
                        "\"version\":%" APR_UINT64_T_FMT ",\"changed_by\":%s}",
                        upkeep_json_str(p, upkeep_mode_name(upkeep_mode_at(r,
                                                                    now))),
                        upkeep_json_str(p, upkeep_mode_name(r->mode)),
                        upkeep_json_str(p, r->reason),
                        upkeep_json_time(p, r->since),
                        upkeep_json_time(p, r->starts),
                        upkeep_json_time(p, r->until),
                        upkeep_window_pending(r, now) ? "true" : "false",
                        (int)r->retry_after, (apr_uint64_t)r->version,
                        upkeep_json_str(p, r->changed_by));
}

void upkeep_client_view(const upkeep_effective_t *e,
                        const upkeep_served_scope_t *conf, int64_t now,
                        upkeep_client_view_t *out)
{
    const upkeep_record_t *r = &e->rec[e->layer];

    out->retry_after = upkeep_retry_after_at(r, conf ? conf->retry_after
                                                     : UPKEEP_BUILTIN_RETRY_AFTER,
                                             now);
    out->hold_max_ms = r->hold_max_ms ? r->hold_max_ms
                       : conf ? conf->hold_max_ms : UPKEEP_BUILTIN_HOLD_MAX_MS;
    out->refusal_status = e->mode == UPKEEP_MODE_NORMAL ? 0
                          : e->mode == UPKEEP_MODE_READONLY && conf
                          ? conf->readonly_status : 503;
}

const char *upkeep_scope_json(apr_pool_t *p, const upkeep_scope_view_t *v,
                              int64_t now)
{
    const upkeep_effective_t *e = v->eff;
    const upkeep_record_t *r = &e->rec[e->layer];
    const upkeep_record_t *w = e->pending >= 0 ? &e->rec[e->pending] : NULL;
    upkeep_client_view_t cv;

    upkeep_client_view(e, v->conf, now, &cv);

    return apr_psprintf(p, "{\"scope\":%s,\"mode\":%s,\"layer\":%s,"
        "\"set_mode\":%s,\"reason\":%s,\"since\":%s,\"until\":%s,"
        "\"expired\":%s,\"retry_after\":%d,\"hold_max_ms\":%d,"
        "\"refusal_status\":%s,\"version\":%" APR_UINT64_T_FMT
        ",\"changed_by\":%s,\"next_window\":%s,\"local\":%s,\"cluster\":%s,"
        "\"inflight_writes\":%" APR_INT64_T_FMT ",\"held\":%"
        APR_INT64_T_FMT "%s}",
        upkeep_json_str(p, v->name), upkeep_json_str(p,
                                                     upkeep_mode_name(e->mode)),
        upkeep_json_str(p, upkeep_layer_names[e->layer]),
        upkeep_json_str(p, upkeep_mode_name(r->mode)),
        upkeep_json_str(p, r->reason), upkeep_json_time(p, r->since),
        upkeep_json_time(p, r->until), e->expired ? "true" : "false",
        cv.retry_after, cv.hold_max_ms,
        cv.refusal_status ? apr_itoa(p, cv.refusal_status) : "null", (apr_uint64_t)r->version,
        upkeep_json_str(p, r->changed_by),
        w ? apr_psprintf(p, "{\"mode\":%s,\"starts\":%s,\"until\":%s,"
                         "\"layer\":%s}",
                         upkeep_json_str(p, upkeep_mode_name(w->mode)),
                         upkeep_json_time(p, w->starts),
                         upkeep_json_time(p, w->until),
                         upkeep_json_str(p, upkeep_layer_names[e->pending]))
          : "null",
        json_layer(p, &e->rec[UPKEEP_LAYER_LOCAL], now),
        json_layer(p, &e->rec[UPKEEP_LAYER_CLUSTER], now),
        /* a count is never shown below zero, whatever a writer did */
        (apr_int64_t)(v->inflight > 0 ? v->inflight : 0),
        (apr_int64_t)(v->held > 0 ? v->held : 0),
        v->extra ? v->extra : "");
}

const char *upkeep_status_json_head(apr_pool_t *p, const char *node,
                                    int64_t now)
{
    return apr_psprintf(p, "\"schema\":1,\"node\":%s,\"generated\":%s",
                        upkeep_json_str(p, node), upkeep_json_time(p, now));
}
