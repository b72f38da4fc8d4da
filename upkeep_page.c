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
            v = escape_html(r->pool, rec->reason[0] ? rec->reason
                : mode == UPKEEP_MODE_MAINTENANCE
                  ? "Scheduled maintenance is in progress."
                  : "Changes are paused while we upgrade.");
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
