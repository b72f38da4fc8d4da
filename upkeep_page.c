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
    { "refresh",     UPKEEP_FIELD_REFRESH },
    { "starts",      UPKEEP_FIELD_STARTS },
    { "starts_http", UPKEEP_FIELD_STARTS_HTTP },
    { "lang",        UPKEEP_FIELD_LANG },
    { "dir",         UPKEEP_FIELD_DIR },
    { "site",        UPKEEP_FIELD_SITE },
};

#define NPLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

static void push_segment(apr_array_header_t *segs, upkeep_field_e field,
                         const char *text, char section)
{
    upkeep_segment_t *seg = apr_array_push(segs);

    seg->field = field;
    seg->text = text;
    seg->section = section;
    seg->end = 0;
}

static const char *unknown_placeholder(apr_pool_t *p, const char *source,
                                       int line, const char *name, int len)
{
    const char *known = placeholders[0].name;
    apr_size_t i;

    for (i = 1; i < NPLACEHOLDERS; i++) {
        known = apr_pstrcat(p, known, ", ", placeholders[i].name, NULL);
    }
    return apr_psprintf(p, "%s line %d: unknown placeholder {{%.*s}} "
                        "(known: %s)", source, line, len, name, known);
}

/* An open {{#name}} or {{^name}}: where, for its {{/name}}. */
typedef struct {
    int segment;
    int line;
} open_section_t;

const char *upkeep_template_parse(apr_pool_t *p, const char *source,
                                  const char *text,
                                  const upkeep_template_t **out)
{
    upkeep_template_t *t = apr_pcalloc(p, sizeof(*t));
    apr_array_header_t *open = apr_array_make(p, 4, sizeof(open_section_t));
    const char *lit = text, *c = text;
    int line = 1;

    t->source = source;
    t->segments = apr_array_make(p, 16, sizeof(upkeep_segment_t));
    while (*c) {
        const char *name, *end;
        char section = 0;
        apr_size_t i, len;

        if (*c == '\n') {
            line++;
        }
        if (c[0] != '{' || c[1] != '{') {
            c++;
            continue;
        }
        /* {{identifier}}, {{#identifier}}, {{^identifier}} and
         * {{/identifier}} are placeholders; any other "{{" is text. */
        name = c + 2;
        if (*name == '#' || *name == '^' || *name == '/') {
            section = *name++;
        }
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
            return unknown_placeholder(p, source, line, name, (int)len);
        }
        t->uses_lang |= placeholders[i].field == UPKEEP_FIELD_LANG;
        if (c > lit) {
            push_segment(t->segments, UPKEEP_FIELD_LITERAL,
                         apr_pstrmemdup(p, lit, (apr_size_t)(c - lit)), 0);
        }
        if (section == '/') {
            open_section_t *o = apr_array_pop(open);
            upkeep_segment_t *start;

            if (!o) {
                return apr_psprintf(p, "%s line %d: {{/%s}} closes no "
                                    "section", source, line,
                                    placeholders[i].name);
            }
            start = &APR_ARRAY_IDX(t->segments, o->segment,
                                   upkeep_segment_t);
            if (start->field != placeholders[i].field) {
                return apr_psprintf(p, "%s line %d: {{/%s}} does not close "
                                    "{{%c%s}} of line %d", source, line,
                                    placeholders[i].name, start->section,
                                    start->text, o->line);
            }
            start->end = t->segments->nelts;
        }
        else if (section) {
            open_section_t *o = apr_array_push(open);

            o->segment = t->segments->nelts;
            o->line = line;
        }
        push_segment(t->segments, placeholders[i].field,
                     section ? placeholders[i].name : NULL, section);
        c = lit = end + 2;
    }
    if (open->nelts) {
        const open_section_t *o = &APR_ARRAY_IDX(open, open->nelts - 1,
                                                 open_section_t);
        const upkeep_segment_t *start = &APR_ARRAY_IDX(
            t->segments, o->segment, upkeep_segment_t);

        return apr_psprintf(p, "%s line %d: {{%c%s}} is not closed "
                            "(with {{/%s}})", source, o->line,
                            start->section, start->text, start->text);
    }
    if (c > lit) {
        push_segment(t->segments, UPKEEP_FIELD_LITERAL, apr_pstrdup(p, lit),
                     0);
    }
    *out = t;
    return NULL;
}

/*
 * The built-in pages: self-contained (no external fonts, images or
 * scripts, so they work when everything behind httpd is down and leak no
 * visitor to a third party), readable without CSS or JS, light and dark,
 * right-to-left ready (dir from the language, logical CSS properties).
 * One skeleton; the words come from upkeep_i18n.c, one page per language
 * and mode, put together and parsed at startup.  The script only adds a
 * countdown, the end in the visitor's time zone, and on the maintenance
 * page a reload when the countdown reaches zero.  The read-only page
 * never reloads itself: it answers a write, and the visitor's form would
 * be lost.
 */
#define PAGE_HEAD \
    "<!DOCTYPE html>\n" \
    "<html lang=\"{{lang}}\" dir=\"{{dir}}\">\n" \
    "<head>\n" \
    "<meta charset=\"utf-8\">\n" \
    "<meta name=\"viewport\" content=\"width=device-width, " \
    "initial-scale=1\">\n" \
    "<meta name=\"robots\" content=\"noindex\">\n"

#define PAGE_STYLE \
    "<style>\n" \
    ":root{color-scheme:light dark;--bg:#eef1f5;--card:#fff;" \
    "--fg:#16191d;--muted:#434c57;--accent:#1d5fbf;--line:#d3dae3}\n" \
    "@media (prefers-color-scheme:dark){:root{--bg:#101317;" \
    "--card:#1b1f25;--fg:#eceff3;--muted:#b6bfca;--accent:#80b4ff;" \
    "--line:#2f353e}}\n" \
    "*{box-sizing:border-box}\n" \
    "body{margin:0;min-block-size:100vh;display:grid;place-items:center;" \
    "padding:1rem;background:var(--bg);color:var(--fg);" \
    "font:1.0625rem/1.6 system-ui,-apple-system,\"Segoe UI\",Roboto," \
    "\"Helvetica Neue\",Arial,sans-serif}\n" \
    "main{inline-size:100%;max-inline-size:36rem;background:var(--card);" \
    "border:1px solid var(--line);border-radius:12px;" \
    "box-shadow:0 10px 30px rgba(0,0,0,.08);text-align:start;" \
    "padding:clamp(1.25rem,6vw,2.75rem)}\n" \
    "svg{display:block;inline-size:3rem;block-size:3rem;" \
    "color:var(--accent);margin-block-end:1rem}\n" \
    ".site{margin-block:0 .25rem;color:var(--muted);font-weight:600;" \
    "overflow-wrap:anywhere}\n" \
    "h1{margin-block:0 .75rem;font-size:clamp(1.6rem,5vw,2.1rem);" \
    "line-height:1.2}\n" \
    "p{margin-block:.75rem}\n" \
    "main>:last-child{margin-block-end:0}\n" \
    ".reason{font-size:1.2rem}\n" \
    ".when{color:var(--muted)}\n" \
    "time,#countdown{color:var(--fg);font-weight:600}\n" \
    "#countdown{font-variant-numeric:tabular-nums}\n" \
    "</style>\n"

/* Counts down from the server's figure (data-left), not from the
 * visitor's clock, which may be wrong; Retry-After stops at a day, so a
 * longer window falls back to the clock.  The times read in the page's
 * language and the visitor's time zone; the HTTP-date stays as the
 * title (and is all there is without a script).  The units come from
 * the language, between PAGE_SCRIPT_A and PAGE_SCRIPT_B. */
#define PAGE_SCRIPT_A \
    "<script>\n" \
    "(function(){\n" \
    "var U='"
#define PAGE_SCRIPT_B \
    "'.split('|'),L=document.documentElement.lang||[];\n" \
    "document.querySelectorAll('time').forEach(function(t){" \
    "var u=Date.parse(t.getAttribute('datetime'));if(isNaN(u))return;\n" \
    "t.title=t.textContent;try{t.textContent=new Date(u).toLocaleString(L," \
    "{weekday:'long',month:'long',day:'numeric',hour:'numeric'," \
    "minute:'2-digit',timeZoneName:'short'});}catch(e){}});\n" \
    "var c=document.getElementById('countdown');if(!c)return;\n" \
    "var t=document.querySelector('time'),left=+c.getAttribute('data-left')," \
    "t0=Date.now(),re=document.querySelector('meta[http-equiv=refresh]');\n" \
    "if(t){var u=Date.parse(t.getAttribute('datetime'));\n" \
    "if(left>=86400&&u>t0)left=Math.round((u-t0)/1000);}\n" \
    "function fmt(s){var d=Math.floor(s/86400),h=Math.floor(s%86400/3600)," \
    "m=Math.floor(s%3600/60);s%=60;\n" \
    "return d?d+' '+U[0]+' '+h+' '+U[1]:h?h+' '+U[1]+' '+m+' '+U[2]" \
    ":m?m+' '+U[2]+' '+s+' '+U[3]:s+' '+(s==1?U[4]:U[5]);}\n" \
    "function tick(){var s=Math.max(0,Math.ceil((t0+left*1000-Date.now())" \
    "/1000));c.textContent=fmt(s);\n" \
    "if(s>0)return setTimeout(tick,1000);\n" \
    "if(re)setTimeout(function(){location.replace(location.href)}," \
    "Math.max(0,t0+" APR_STRINGIFY(UPKEEP_MIN_REFRESH) "000-Date.now()));}\n" \
    "if(c.parentNode.hidden)c.parentNode.hidden=false;tick();\n" \
    "})();\n" \
    "</script>\n"

#define PAGE_ICON(path) \
    "<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\" fill=\"none\" " \
    "stroke=\"currentColor\" stroke-width=\"2\" stroke-linecap=\"round\">" \
    "<circle cx=\"12\" cy=\"12\" r=\"10\"/><path d=\"" path "\"/></svg>\n" \
    "{{#site}}<p class=\"site\">{{site}}</p>\n{{/site}}"

/* Each says a thing once: the site, what is going on (the heading), why
 * (the operator's reason, or a default), and when it is over. */
static const char *maintenance_page(apr_pool_t *p, const upkeep_lang_t *l)
{
    return apr_pstrcat(
        p, PAGE_HEAD,
        "{{#refresh}}<meta http-equiv=\"refresh\" content=\"{{refresh}}\">\n"
        "{{/refresh}}"
        "<title>", l->maint_title, "</title>\n",
        PAGE_STYLE
        "</head>\n"
        "<body>\n"
        "<main>\n"
        PAGE_ICON("M12 6.5V12l3.5 2"),
        "<h1>", l->maint_h1, "</h1>\n"
        "<p class=\"reason\">{{reason}}</p>\n"
        "{{#until}}"
        "<p class=\"when\">", l->maint_until, "</p>\n"
        "<p class=\"when\" hidden>", l->time_left, " <span id=\"countdown\" "
        "data-left=\"{{retry_after}}\"></span></p>\n"
        "{{/until}}"
        "{{^until}}"
        "<p class=\"when\">"
        "{{#refresh}}", l->maint_refresh, "{{/refresh}}"
        "{{^refresh}}", l->maint_later, "{{/refresh}}"
        "</p>\n"
        "{{/until}}"
        "</main>\n"
        PAGE_SCRIPT_A, l->units, PAGE_SCRIPT_B
        "</body>\n"
        "</html>\n", NULL);
}

/* The default reason would repeat the heading: only the operator's is
 * shown. */
static const char *readonly_page(apr_pool_t *p, const upkeep_lang_t *l)
{
    return apr_pstrcat(
        p, PAGE_HEAD
        "<title>", l->ro_title, "</title>\n",
        PAGE_STYLE
        "</head>\n"
        "<body>\n"
        "<main>\n"
        PAGE_ICON("M10 8.5v7M14 8.5v7"),
        "<h1>", l->ro_h1, "</h1>\n"
        "<p>", l->ro_text, "</p>\n"
        "{{#reason}}<p class=\"reason\">{{reason}}</p>\n{{/reason}}"
        "{{#until}}"
        "<p class=\"when\">", l->ro_until, "</p>\n"
        "<p class=\"when\" hidden>", l->time_left, " <span id=\"countdown\" "
        "data-left=\"{{retry_after}}\"></span></p>\n"
        "{{/until}}"
        "</main>\n"
        PAGE_SCRIPT_A, l->units, PAGE_SCRIPT_B
        "</body>\n"
        "</html>\n", NULL);
}

const char *upkeep_default_page_text(apr_pool_t *p, int mode,
                                     const upkeep_lang_t *lang)
{
    return mode == UPKEEP_MODE_MAINTENANCE ? maintenance_page(p, lang)
                                           : readonly_page(p, lang);
}

/* [language][0]: read-only and hold, [1]: maintenance */
static const upkeep_template_t *default_pages[UPKEEP_LANG_COUNT][2];

void upkeep_default_pages_init(apr_pool_t *pconf)
{
    int i;

    /* Constant text: the parse cannot fail. */
    for (i = 0; i < UPKEEP_LANG_COUNT; i++) {
        upkeep_template_parse(pconf, "built-in page",
                              readonly_page(pconf, &upkeep_langs[i]),
                              &default_pages[i][0]);
        upkeep_template_parse(pconf, "built-in page",
                              maintenance_page(pconf, &upkeep_langs[i]),
                              &default_pages[i][1]);
    }
}

const upkeep_template_t *upkeep_default_page(int mode,
                                             const upkeep_lang_t *lang)
{
    int i = lang ? (int)(lang - upkeep_langs) : 0;

    /* hold refuses writes like read-only mode does */
    return default_pages[i][mode == UPKEEP_MODE_MAINTENANCE];
}

static const upkeep_lang_t *lang_of(const upkeep_page_values_t *pv)
{
    return pv->lang ? pv->lang : &upkeep_langs[0];
}

/* The operator's reason as written, else the language's default. */
static const char *reason_of(const upkeep_record_t *rec, int mode,
                             const upkeep_lang_t *l)
{
    return rec->reason[0] ? rec->reason
           : mode == UPKEEP_MODE_MAINTENANCE ? l->maint_reason
                                             : l->ro_reason;
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

/* Whether {{#field}} shows its text ({{^field}} the opposite). */
static int field_is_set(const upkeep_page_values_t *pv, upkeep_field_e field)
{
    switch (field) {
    case UPKEEP_FIELD_REASON:
        return pv->rec->reason[0] != '\0';
    case UPKEEP_FIELD_UNTIL:
    case UPKEEP_FIELD_UNTIL_HTTP:
        return pv->rec->until != 0;
    case UPKEEP_FIELD_SINCE:
        return pv->rec->since != 0;
    case UPKEEP_FIELD_STARTS:
    case UPKEEP_FIELD_STARTS_HTTP:
        return pv->rec->starts != 0;
    case UPKEEP_FIELD_REFRESH:
        return pv->refresh > 0;
    case UPKEEP_FIELD_SITE:
        return pv->site && pv->site[0];
    default:
        return 1;
    }
}

/* An HTTP-date ("Sun, 22 Nov 2026 04:30:00 GMT"); "" for 0. */
static const char *http_date(apr_pool_t *p, int64_t t)
{
    char *date;

    if (!t) {
        return "";
    }
    date = apr_palloc(p, APR_RFC822_DATE_LEN);
    apr_rfc822_date(date, apr_time_from_sec(t));
    return date;
}

static const char *field_value(apr_pool_t *p, const upkeep_page_values_t *pv,
                               upkeep_field_e field)
{
    const upkeep_record_t *rec = pv->rec;

    switch (field) {
    case UPKEEP_FIELD_LITERAL:
        break;
    case UPKEEP_FIELD_REASON:
        /* the defaults are HTML already (&#39;, &#160;) */
        return rec->reason[0] ? escape_html(p, rec->reason)
                              : reason_of(rec, pv->mode, lang_of(pv));
    case UPKEEP_FIELD_RETRY_AFTER:
        return apr_itoa(p, pv->retry_after);
    case UPKEEP_FIELD_UNTIL:
        return upkeep_iso_time(p, rec->until);
    case UPKEEP_FIELD_UNTIL_HTTP:
        return http_date(p, rec->until);
    case UPKEEP_FIELD_STARTS:
        return upkeep_iso_time(p, rec->starts);
    case UPKEEP_FIELD_STARTS_HTTP:
        return http_date(p, rec->starts);
    case UPKEEP_FIELD_SINCE:
        return upkeep_iso_time(p, rec->since);
    case UPKEEP_FIELD_SCOPE:
        return pv->scope;
    case UPKEEP_FIELD_MODE:
        return upkeep_mode_name(pv->mode);
    case UPKEEP_FIELD_REFRESH:
        return pv->refresh > 0 ? apr_itoa(p, pv->refresh) : "";
    case UPKEEP_FIELD_LANG:
        return lang_of(pv)->code;
    case UPKEEP_FIELD_DIR:
        return lang_of(pv)->dir;
    case UPKEEP_FIELD_SITE:
        return pv->site ? escape_html(p, pv->site) : "";
    }
    return "";
}

const char *upkeep_template_render(apr_pool_t *p,
                                   const upkeep_template_t *t,
                                   const upkeep_page_values_t *pv)
{
    const apr_array_header_t *segs = t->segments;
    struct iovec *iov = apr_palloc(p, sizeof(*iov) * segs->nelts);
    int i, n = 0;

    for (i = 0; i < segs->nelts; i++) {
        const upkeep_segment_t *seg = &APR_ARRAY_IDX(segs, i,
                                                     upkeep_segment_t);
        const char *v;

        if (seg->section == '/') {
            continue;
        }
        if (seg->section) {
            if (field_is_set(pv, seg->field) != (seg->section == '#')) {
                i = seg->end;
            }
            continue;
        }
        v = seg->field == UPKEEP_FIELD_LITERAL ? seg->text
                                               : field_value(p, pv, seg->field);
        iov[n].iov_base = (void *)v;
        iov[n].iov_len = strlen(v);
        n++;
    }
    return apr_pstrcatv(p, iov, n, NULL);
}

/* --- refusals that fit the client ------------------------------------- */

/* What each body format is offered as, in the server's order of
 * preference when the client likes several equally (a browser's
 * wildcard, curl's * / *, no Accept at all: the HTML page).  HTML is only
 * text/html: a client that refuses it (q=0) must not get it through
 * another name.  Clients that name plain JSON get the problem details as
 * RFC 9457 sends them (a +json type is JSON, RFC 6839). */
static const char *const format_types[UPKEEP_BODY_COUNT][3] = {
    [UPKEEP_BODY_HTML] = { "text/html", NULL, NULL },
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

const char *upkeep_refusal_body(apr_pool_t *p, upkeep_body_e format,
                                const upkeep_template_t *page, int status,
                                const upkeep_page_values_t *v)
{
    const upkeep_record_t *rec = v->rec;
    const char *title = refusal_titles[v->mode];
    /* machine-facing: English, whatever the page's language */
    const char *reason = reason_of(rec, v->mode, &upkeep_langs[0]);

    switch (format) {
    case UPKEEP_BODY_JSON:
        /* RFC 9457 problem details; retry_after, until, mode and scope
         * are extension members */
        return apr_psprintf(p, "{\"type\":\"%s\",\"title\":%s,"
                            "\"status\":%d,\"detail\":%s,"
                            "\"retry_after\":%d,\"until\":%s,\"mode\":\"%s\","
                            "\"scope\":%s}\n", refusal_types[v->mode],
                            upkeep_json_str(p, title), status,
                            upkeep_json_str(p, reason), v->retry_after,
                            upkeep_json_time(p, rec->until),
                            upkeep_mode_name(v->mode),
                            upkeep_json_str(p, v->scope));
    case UPKEEP_BODY_TEXT:
        return apr_psprintf(p, "%s\n%s\nTry again in %d seconds%s%s."
                            "\n", title, reason, v->retry_after,
                            rec->until ? ", at " : "",
                            upkeep_iso_time(p, rec->until));
    default:
        return upkeep_template_render(p, page, v);
    }
}
