/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_page.c: the pages of refusals.  Templates are parsed once, at
 * configuration time; a request only fills in the values.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "upkeep_private.h"

static const struct {
    const char *name;
    upkeep_field_e field;
} placeholders[] = {
    { "reason",      UPKEEP_FIELD_REASON },
    { "retry_after", UPKEEP_FIELD_RETRY_AFTER },
    { "until",       UPKEEP_FIELD_UNTIL },
    { "until_http",  UPKEEP_FIELD_UNTIL_HTTP },
    { "since",       UPKEEP_FIELD_SINCE },
    { "scope",       UPKEEP_FIELD_SCOPE },
    { "mode",        UPKEEP_FIELD_MODE },
};

#define NPLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

static void push_segment(apr_array_header_t *segs, upkeep_field_e field,
                         const char *text)
{
    upkeep_segment_t *seg = apr_array_push(segs);

    seg->field = field;
    seg->text = text;
}

const char *upkeep_template_parse(apr_pool_t *p, const char *source,
                                  const char *text,
                                  const upkeep_template_t **out)
{
    upkeep_template_t *t = apr_pcalloc(p, sizeof(*t));
    const char *lit = text, *c = text;
    int line = 1;

    t->source = source;
    t->segments = apr_array_make(p, 16, sizeof(upkeep_segment_t));
    while (*c) {
        const char *name, *end;
        apr_size_t i, len;

        if (*c == '\n') {
            line++;
        }
        if (c[0] != '{' || c[1] != '{') {
            c++;
            continue;
        }
        /* {{identifier}} is a placeholder; any other "{{" is text. */
        name = c + 2;
        for (end = name; apr_isalnum(*end) || *end == '_'; end++)
            ;
        if (end == name || end[0] != '}' || end[1] != '}') {
            c++;
            continue;
        }
        len = (apr_size_t)(end - name);
        for (i = 0; i < NPLACEHOLDERS; i++) {
            if (strlen(placeholders[i].name) == len
                && strncmp(placeholders[i].name, name, len) == 0) {
                break;
            }
        }
        if (i == NPLACEHOLDERS) {
            return apr_psprintf(p, "%s line %d: unknown placeholder "
                                "{{%.*s}} (known: reason, retry_after, "
                                "until, until_http, since, scope, mode)",
                                source, line, (int)len, name);
        }
        if (c > lit) {
            push_segment(t->segments, UPKEEP_FIELD_LITERAL,
                         apr_pstrmemdup(p, lit, (apr_size_t)(c - lit)));
        }
        push_segment(t->segments, placeholders[i].field, NULL);
        c = lit = end + 2;
    }
    if (c > lit) {
        push_segment(t->segments, UPKEEP_FIELD_LITERAL, apr_pstrdup(p, lit));
    }
    *out = t;
    return NULL;
}

/* Self-contained: no external assets, readable without CSS or JS. */
static const char default_maintenance_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, "
    "initial-scale=1\">\n"
    "<meta http-equiv=\"refresh\" content=\"{{retry_after}}\">\n"
    "<title>Down for maintenance</title>\n"
    "<style>body{font-family:system-ui,sans-serif;max-width:36rem;"
    "margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a;"
    "background:#fff}h1{font-size:1.6rem}</style>\n"
    "</head>\n"
    "<body>\n"
    "<main>\n"
    "<h1>We&#39;ll be back soon</h1>\n"
    "<p class=\"reason\">{{reason}}</p>\n"
    "<p>This page will try again in {{retry_after}} seconds.</p>\n"
    "</main>\n"
    "</body>\n"
    "</html>\n";

static const char default_readonly_page[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head><meta charset=\"utf-8\"><title>Read-only mode</title></head>\n"
    "<body>\n"
    "<h1>Changes are paused</h1>\n"
    "<p>The site is read-only for a short while, so this change was not "
    "saved. Please try again in {{retry_after}} seconds.</p>\n"
    "<p class=\"reason\">{{reason}}</p>\n"
    "</body>\n"
    "</html>\n";

static const upkeep_template_t *default_pages[UPKEEP_MODE_COUNT];

void upkeep_default_pages_init(apr_pool_t *pconf)
{
    /* Constant text: the parse cannot fail. */
    upkeep_template_parse(pconf, "built-in page", default_readonly_page,
                          &default_pages[UPKEEP_MODE_READONLY]);
    upkeep_template_parse(pconf, "built-in page", default_maintenance_page,
                          &default_pages[UPKEEP_MODE_MAINTENANCE]);
}

const upkeep_template_t *upkeep_default_page(int mode)
{
    /* hold refuses writes like read-only mode does */
    return default_pages[mode == UPKEEP_MODE_MAINTENANCE
                         ? UPKEEP_MODE_MAINTENANCE : UPKEEP_MODE_READONLY];
}

static const char *reason_of(const upkeep_record_t *rec, int mode)
{
    return rec->reason[0] ? rec->reason
           : mode == UPKEEP_MODE_MAINTENANCE
             ? "Scheduled maintenance is in progress."
             : "Changes are paused while we upgrade.";
}

static const char *escape_html(apr_pool_t *p, const char *s)
{
    /* ap_escape_html2 leaves ' alone; escape it too so values are safe
     * in single-quoted attributes as well. */
    const char *esc = ap_escape_html2(p, s, 0);
    apr_array_header_t *parts;
    const char *q;

    if (!strchr(esc, '\'')) {
        return esc;
    }
    parts = apr_array_make(p, 4, sizeof(const char *));
    while ((q = strchr(esc, '\'')) != NULL) {
        APR_ARRAY_PUSH(parts, const char *) = apr_pstrmemdup(
            p, esc, (apr_size_t)(q - esc));
        APR_ARRAY_PUSH(parts, const char *) = "&#39;";
        esc = q + 1;
    }
    APR_ARRAY_PUSH(parts, const char *) = esc;
    return apr_array_pstrcat(p, parts, '\0');
}

const char *upkeep_template_render(request_rec *r,
                                   const upkeep_template_t *t,
                                   const char *scope, int mode,
                                   const upkeep_record_t *rec,
                                   int retry_after)
{
    const apr_array_header_t *segs = t->segments;
    struct iovec *iov = apr_palloc(r->pool, sizeof(*iov) * segs->nelts);
    int i;

    for (i = 0; i < segs->nelts; i++) {
        const upkeep_segment_t *seg = &APR_ARRAY_IDX(segs, i,
                                                     upkeep_segment_t);
        const char *v = "";
        char *date;

        switch (seg->field) {
        case UPKEEP_FIELD_LITERAL:
            v = seg->text;
            break;
        case UPKEEP_FIELD_REASON:
            v = escape_html(r->pool, reason_of(rec, mode));
            break;
        case UPKEEP_FIELD_RETRY_AFTER:
            v = apr_itoa(r->pool, retry_after);
            break;
        case UPKEEP_FIELD_UNTIL:
            v = upkeep_iso_time(r->pool, rec->until);
            break;
        case UPKEEP_FIELD_UNTIL_HTTP:
            if (rec->until) {
                date = apr_palloc(r->pool, APR_RFC822_DATE_LEN);
                apr_rfc822_date(date, apr_time_from_sec(rec->until));
                v = date;
            }
            break;
        case UPKEEP_FIELD_SINCE:
            v = upkeep_iso_time(r->pool, rec->since);
            break;
        case UPKEEP_FIELD_SCOPE:
            v = scope;
            break;
        case UPKEEP_FIELD_MODE:
            v = upkeep_mode_name(mode);
            break;
        }
        iov[i].iov_base = (void *)v;
        iov[i].iov_len = strlen(v);
    }
    return apr_pstrcatv(r->pool, iov, segs->nelts, NULL);
}

/* --- refusals that fit the client ------------------------------------- */

/* What each body format is offered as, in the server's order of
 * preference when the client likes several equally (a browser's
 * wildcard, curl's * / *, no Accept at all: the HTML page). */
static const char *const format_types[UPKEEP_BODY_COUNT][3] = {
    [UPKEEP_BODY_HTML] = { "text/html", "application/xhtml+xml", NULL },
    [UPKEEP_BODY_JSON] = { "application/problem+json", "application/json",
                           NULL },
    [UPKEEP_BODY_TEXT] = { "text/plain", NULL, NULL },
};

const char *const upkeep_body_content_types[UPKEEP_BODY_COUNT] = {
    [UPKEEP_BODY_HTML] = "text/html; charset=utf-8",
    [UPKEEP_BODY_JSON] = "application/problem+json",
    [UPKEEP_BODY_TEXT] = "text/plain; charset=utf-8",
};

/* "q=0.5" -> 500; anything malformed counts as 1 (RFC 9110 12.4.2 says
 * at most three decimals). */
static int parse_q(const char *v, const char *end)
{
    int q = 0, scale = 1000;

    if (v == end || *v != '0') {
        return 1000;        /* "1", "1.000", or malformed */
    }
    if (++v < end && *v == '.') {
        for (v++; v < end && apr_isdigit(*v) && scale > 1; v++) {
            scale /= 10;
            q += (*v - '0') * scale;
        }
    }
    return q;
}

/* Scores of one media type against Accept: the q of the most specific
 * range that matches, and how specific it was (3 exact, 2 type/ *,
 * 1 * / *); {0, 0} when no range matches. */
static void score_type(const char *accept, const char *type, int *q,
                       int *level)
{
    apr_size_t main_len = strcspn(type, "/");
    const char *c = accept;

    *q = 0;
    *level = 0;
    while (*c) {
        const char *range, *range_end, *params, *elem_end, *p;
        int lvl = 0, this_q = 1000;

        while (*c == ' ' || *c == '\t' || *c == ',') {
            c++;
        }
        range = c;
        range_end = range + strcspn(range, ";, \t");
        elem_end = range + strcspn(range, ",");
        if (range_end == range) {
            c = *elem_end ? elem_end + 1 : elem_end;
            continue;
        }
        if ((apr_size_t)(range_end - range) == strlen(type)
            && ap_cstr_casecmpn(range, type, strlen(type)) == 0) {
            lvl = 3;
        }
        else if ((apr_size_t)(range_end - range) == main_len + 2
                 && ap_cstr_casecmpn(range, type, main_len + 1) == 0
                 && range[main_len + 1] == '*') {
            lvl = 2;
        }
        else if (range_end - range == 3 && strncmp(range, "*/*", 3) == 0) {
            lvl = 1;
        }
        for (params = range_end; lvl && params < elem_end; params = p) {
            const char *name = params + strspn(params, "; \t");

            p = name + strcspn(name, ";,");
            if (p > elem_end) {
                p = elem_end;
            }
            if (p - name >= 2 && (name[0] == 'q' || name[0] == 'Q')
                && name[1] == '=') {
                this_q = parse_q(name + 2, p);
            }
        }
        if (lvl > *level) {
            *level = lvl;
            *q = this_q;
        }
        c = *elem_end ? elem_end + 1 : elem_end;
    }
}

upkeep_body_e upkeep_negotiate(const request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");
    int best = -1, best_q = 0, best_level = 0, f, t;

    if (!accept || !*accept) {
        return UPKEEP_BODY_HTML;
    }
    for (f = 0; f < UPKEEP_BODY_COUNT; f++) {
        for (t = 0; format_types[f][t]; t++) {
            int q, level;

            score_type(accept, format_types[f][t], &q, &level);
            /* a higher q wins; at the same q, a type the client named
             * beats one it took by wildcard; then the server's order */
            if (q > 0 && (q > best_q || (q == best_q
                                         && level > best_level))) {
                best = f;
                best_q = q;
                best_level = level;
            }
        }
    }
    /* nothing acceptable: plain text, which every client can show */
    return best < 0 ? UPKEEP_BODY_TEXT : (upkeep_body_e)best;
}

static const char *const refusal_titles[UPKEEP_MODE_COUNT] = {
    [UPKEEP_MODE_NORMAL] = "Service unavailable",
    [UPKEEP_MODE_HOLD] = "Changes are paused",
    [UPKEEP_MODE_READONLY] = "Read-only mode: changes are paused",
    [UPKEEP_MODE_MAINTENANCE] = "Down for maintenance",
};

static const char *const refusal_types[UPKEEP_MODE_COUNT] = {
    [UPKEEP_MODE_NORMAL] = "about:blank",
    [UPKEEP_MODE_HOLD] = "urn:upkeep:hold",
    [UPKEEP_MODE_READONLY] = "urn:upkeep:read-only",
    [UPKEEP_MODE_MAINTENANCE] = "urn:upkeep:maintenance",
};

const char *upkeep_refusal_body(request_rec *r, upkeep_body_e format,
                                const upkeep_template_t *page, int status,
                                const char *scope, int mode,
                                const upkeep_record_t *rec, int retry_after)
{
    const char *title = refusal_titles[mode], *reason = reason_of(rec, mode);

    switch (format) {
    case UPKEEP_BODY_JSON:
        /* RFC 9457 problem details; retry_after, until, mode and scope
         * are extension members */
        return apr_psprintf(r->pool, "{\"type\":\"%s\",\"title\":%s,"
                            "\"status\":%d,\"detail\":%s,"
                            "\"retry_after\":%d,\"until\":%s,\"mode\":\"%s\","
                            "\"scope\":%s}\n", refusal_types[mode],
                            upkeep_json_str(r->pool, title), status,
                            upkeep_json_str(r->pool, reason), retry_after,
                            upkeep_json_time(r->pool, rec->until),
                            upkeep_mode_name(mode),
                            upkeep_json_str(r->pool, scope));
    case UPKEEP_BODY_TEXT:
        return apr_psprintf(r->pool, "%s\n%s\nTry again in %d seconds%s%s."
                            "\n", title, reason, retry_after,
                            rec->until ? ", at " : "",
                            upkeep_iso_time(r->pool, rec->until));
    default:
        return upkeep_template_render(r, page, scope, mode, rec,
                                      retry_after);
    }
}
