/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_template: UpkeepPage templates, upkeep_template_parse(), and the
 * rendering of what parses, upkeep_template_render() (upkeep_page.c).
 *
 * Input: TEMPLATE [ NUL REASON [ NUL PARAMS ] ]
 *   TEMPLATE  the page file's text;
 *   REASON    the record's reason (any bytes up to 511: the page must
 *             escape whatever it is given);
 *   PARAMS    optional bytes: mode, retry-after, since, until, scope,
 *             UpkeepRefresh (unset, off or 5..86400 s), starts, language,
 *             site.
 * Properties, against a reference written from the documented rules
 * (README "The maintenance page" and UpkeepRefresh): {{identifier}} with
 * a known name is replaced by its value, {{#name}}...{{/name}} keeps its
 * text only when the field is set and {{^name}}...{{/name}} only when it
 * is not, sections nest, any other "{{" is literal text; an unknown
 * identifier, a {{/name}} that closes nothing or another section, and a
 * section left open are errors naming the file and line(s); values are
 * HTML-escaped (& < > " and '); {{refresh}} is UpkeepRefresh, by default
 * the Retry-After but never under 5 nor over 60, empty when off; {{lang}}
 * and {{dir}} are the language's tag and direction, {{site}} the site's
 * name (set when not empty); the default reason is the language's.  The
 * built-in pages are rendered with the same record too, in every
 * language: <html lang dir>, the site, the reason, the end as <time>, and
 * a <meta> refresh on the maintenance page exactly when it reloads.
 *
 * upkeep_page.c is module code, built here alone without httpd: the
 * httpd symbols it links against, ap_escape_html2 and ap_cstr_casecmpn,
 * are stubbed below and work for real, as httpd's do.  The renderer
 * takes values, so {{refresh}} is given the reference's UpkeepRefresh.
 */

#include <time.h>

#include "apr_strings.h"

#include "upkeep_private.h"

#include "fuzz_util.h"

/* --- httpd stubs ----------------------------------------------------- */

/* httpd's ap_escape_html2: & < > " always; with toasc, non-ASCII bytes
 * as &#NNN;. */
AP_DECLARE(char *) ap_escape_html2(apr_pool_t *p, const char *s, int toasc)
{
    apr_size_t n = 0;
    const unsigned char *c;
    char *out, *o;

    for (c = (const unsigned char *)s; *c; c++) {
        n += *c == '<' || *c == '>' ? 4 : *c == '&' ? 5 : *c == '"' ? 6
             : (toasc && *c > 127) ? 6 : 1;
    }
    o = out = apr_palloc(p, n + 1);
    for (c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '<': memcpy(o, "&lt;", 4); o += 4; break;
        case '>': memcpy(o, "&gt;", 4); o += 4; break;
        case '&': memcpy(o, "&amp;", 5); o += 5; break;
        case '"': memcpy(o, "&quot;", 6); o += 6; break;
        default:
            if (toasc && *c > 127) {
                o += apr_snprintf(o, 7, "&#%3.3d;", *c);
            }
            else {
                *o++ = (char)*c;
            }
        }
    }
    *o = '\0';
    return out;
}

/* httpd's ap_cstr_casecmpn: at most n bytes, ASCII case folded whatever
 * the locale (upkeep_negotiate() matches Accept media types with it). */
AP_DECLARE(int) ap_cstr_casecmpn(const char *s1, const char *s2, apr_size_t n)
{
    const unsigned char *a = (const unsigned char *)s1;
    const unsigned char *b = (const unsigned char *)s2;

    for (; n; n--, a++, b++) {
        int ca = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;
        int cb = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;

        if (ca != cb || !ca) {
            return ca - cb;
        }
    }
    return 0;
}

/* --- reference ------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
} sbuf_t;

static void sb_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->buf = realloc(b->buf, b->cap);
        if (!b->buf) {
            abort();
        }
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_str(sbuf_t *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void ref_escape(sbuf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_str(b, "&amp;"); break;
        case '<': sb_str(b, "&lt;"); break;
        case '>': sb_str(b, "&gt;"); break;
        case '"': sb_str(b, "&quot;"); break;
        case '\'': sb_str(b, "&#39;"); break;
        default: sb_add(b, s, 1);
        }
    }
}

#define ISO_TIME  "%Y-%m-%dT%H:%M:%SZ"
#define HTTP_DATE "%a, %d %b %Y %H:%M:%S GMT"

static void ref_time(sbuf_t *b, int64_t t, const char *fmt)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[64];

    if (t == 0) {
        return;                 /* no time: empty */
    }
    gmtime_r(&tt, &tm);
    sb_add(b, buf, strftime(buf, sizeof(buf), fmt, &tm));
}

typedef struct {
    int mode, retry_after;
    int refresh;                /* UpkeepRefresh: -1 unset, 0 off, else s */
    const char *scope;
    const upkeep_record_t *rec;
    int lang;                   /* index into upkeep_langs */
    const char *site;           /* "" or a name (any bytes) */
} ref_values_t;

/* README: UpkeepRefresh's seconds; by default the Retry-After, but never
 * under 5 nor over 60; 0 when off. */
static int ref_refresh(const ref_values_t *v)
{
    if (v->refresh != -1) {
        return v->refresh;
    }
    return v->retry_after < 5 ? 5 : v->retry_after > 60 ? 60
                                                         : v->retry_after;
}

/* The languages, as the README lists them: tag, direction, and the
 * default reasons (HTML: shown as they are). */
static const struct {
    const char *tag, *dir;
} ref_langs[] = {
    { "en", "ltr" }, { "de", "ltr" }, { "fr", "ltr" }, { "es", "ltr" },
    { "it", "ltr" }, { "pt", "ltr" }, { "nl", "ltr" }, { "pl", "ltr" },
    { "ja", "ltr" }, { "zh-Hans", "ltr" },
};

#define NREF_LANGS (sizeof(ref_langs) / sizeof(ref_langs[0]))

static const char *const sites[] = { "", "localhost", "shop & <co>",
                                     "it's \"x\"" };

/* The README's table of placeholders. */
static const char *const ref_names[] = {
    "reason", "retry_after", "until", "until_http", "since", "scope",
    "mode", "starts", "starts_http", "refresh", "lang", "dir", "site",
};

#define NREF_NAMES (sizeof(ref_names) / sizeof(ref_names[0]))
#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)

static int ref_known(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < NREF_NAMES; i++) {
        if (strlen(ref_names[i]) == len && memcmp(ref_names[i], name, len)
                                           == 0) {
            return 1;
        }
    }
    return 0;
}

/* Appends the value of a known placeholder. */
static void ref_value(sbuf_t *b, const char *name, size_t len,
                      const ref_values_t *v)
{
    char num[32];

    if (IS("reason")) {
        if (v->rec->reason[0]) {
            ref_escape(b, v->rec->reason);
        }
        else {
            /* the language's default, HTML as it is */
            sb_str(b, v->mode == UPKEEP_MODE_MAINTENANCE
                      ? upkeep_langs[v->lang].maint_reason
                      : upkeep_langs[v->lang].ro_reason);
        }
    }
    else if (IS("lang")) {
        sb_str(b, ref_langs[v->lang].tag);
    }
    else if (IS("dir")) {
        sb_str(b, ref_langs[v->lang].dir);
    }
    else if (IS("site")) {
        ref_escape(b, v->site);
    }
    else if (IS("retry_after")) {
        snprintf(num, sizeof(num), "%d", v->retry_after);
        sb_str(b, num);
    }
    else if (IS("until")) {
        ref_time(b, v->rec->until, ISO_TIME);
    }
    else if (IS("until_http")) {
        ref_time(b, v->rec->until, HTTP_DATE);
    }
    else if (IS("since")) {
        ref_time(b, v->rec->since, ISO_TIME);
    }
    else if (IS("starts")) {
        ref_time(b, v->rec->starts, ISO_TIME);
    }
    else if (IS("starts_http")) {
        ref_time(b, v->rec->starts, HTTP_DATE);
    }
    else if (IS("scope")) {
        sb_str(b, v->scope);
    }
    else if (IS("mode")) {
        sb_str(b, upkeep_mode_name(v->mode));
    }
    else if (IS("refresh")) {
        if (ref_refresh(v) > 0) {
            snprintf(num, sizeof(num), "%d", ref_refresh(v));
            sb_str(b, num);
        }
    }
    else {
        fuzz_fail("reference: no value for {{%.*s}}", (int)len, name);
    }
}

/* README: a field is set when the reason was given, until/until_http
 * with an end, starts/starts_http with a scheduled start, refresh when
 * not off; the others always are.  Except since: the README counts it
 * among the others, but a record may say "since 0" (upkeep_record_decode
 * takes it), and then {{since}} is empty and {{#since}} hides its text
 * like the other times do. */
static int ref_is_set(const char *name, size_t len, const ref_values_t *v)
{
    if (IS("reason")) {
        return v->rec->reason[0] != '\0';
    }
    if (IS("until") || IS("until_http")) {
        return v->rec->until != 0;
    }
    if (IS("starts") || IS("starts_http")) {
        return v->rec->starts != 0;
    }
    if (IS("since")) {
        return v->rec->since != 0;
    }
    if (IS("refresh")) {
        return ref_refresh(v) > 0;
    }
    if (IS("site")) {
        return v->site[0] != '\0';
    }
    return 1;
}

#undef IS

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_';
}

/* A tag at t: "{{", an optional '#', '^' or '/', an identifier, "}}".
 * Returns its length (0: t is no tag), with its kind (0 for a value) and
 * name. */
static size_t ref_tag(const char *t, char *kind, const char **name,
                      size_t *len)
{
    size_t j = 2;

    if (t[0] != '{' || t[1] != '{') {
        return 0;
    }
    *kind = 0;
    if (t[j] == '#' || t[j] == '^' || t[j] == '/') {
        *kind = t[j++];
    }
    *name = t + j;
    while (is_ident(t[j])) {
        j++;
    }
    *len = (size_t)(t + j - *name);
    if (!*len || t[j] != '}' || t[j + 1] != '}') {
        return 0;
    }
    return j + 2;
}

typedef struct {
    const char *t;
    size_t i;                   /* where the parser is in t */
    int line;
    const ref_values_t *v;
    sbuf_t *out;
    apr_pool_t *p;
    const char *err;            /* the error, as upkeep_template_parse()
                                   should word it */
    int unknown;                /* the error is an unknown placeholder
                                   (its message goes on to list them) */
} ref_t;

__attribute__((format(printf, 2, 3)))
static int ref_error(ref_t *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    r->err = apr_pstrcat(r->p, "fuzz.html ", apr_pvsprintf(r->p, fmt, ap),
                         NULL);
    va_end(ap);
    return -1;
}

/* Reads the template from r->i to its end or, inside a section (oname),
 * to that section's {{/name}}; appends the rendering when show.  0, or
 * -1 on a parse error (r->err). */
static int ref_block(ref_t *r, int show, char okind, const char *oname,
                     size_t olen, int oline)
{
    while (r->t[r->i]) {
        const char *name;
        size_t len, n;
        char kind;

        n = ref_tag(r->t + r->i, &kind, &name, &len);
        if (!n) {
            if (r->t[r->i] == '\n') {
                r->line++;
            }
            if (show) {
                sb_add(r->out, r->t + r->i, 1);
            }
            r->i++;
            continue;
        }
        r->i += n;
        if (!ref_known(name, len)) {
            r->unknown = 1;
            return ref_error(r, "line %d: unknown placeholder {{%.*s}}",
                             r->line, (int)len, name);
        }
        if (kind == '/') {
            if (!oname) {
                return ref_error(r, "line %d: {{/%.*s}} closes no section",
                                 r->line, (int)len, name);
            }
            if (len != olen || memcmp(name, oname, len) != 0) {
                return ref_error(r, "line %d: {{/%.*s}} does not close "
                                 "{{%c%.*s}} of line %d", r->line,
                                 (int)len, name, okind, (int)olen, oname,
                                 oline);
            }
            return 0;
        }
        if (kind) {
            int shown = ref_is_set(name, len, r->v) == (kind == '#');

            if (ref_block(r, show && shown, kind, name, len, r->line)) {
                return -1;
            }
        }
        else if (show) {
            ref_value(r->out, name, len, r->v);
        }
    }
    if (oname) {
        return ref_error(r, "line %d: {{%c%.*s}} is not closed (with "
                         "{{/%.*s}})", oline, okind, (int)olen, oname,
                         (int)olen, oname);
    }
    return 0;
}

/* The parse error upkeep_template_parse() gives: the reference's, and for
 * an unknown placeholder the list of every known one after it. */
static void check_error(const ref_t *r, const char *got)
{
    size_t n = strlen(r->err), i;

    if (!got || strncmp(got, r->err, n) != 0
        || (!r->unknown && got[n] != '\0')) {
        fuzz_fail("parse: got '%s', want '%s%s'", got ? got : "(success)",
                  r->err, r->unknown ? " (known: ...)" : "");
    }
    if (!r->unknown) {
        return;
    }
    if (strncmp(got + n, " (known: ", 9) != 0) {
        fuzz_fail("parse: '%s' does not list the known placeholders", got);
    }
    for (i = 0; i < NREF_NAMES; i++) {
        const char *s = got + n + 9;
        size_t len = strlen(ref_names[i]);

        while ((s = strstr(s, ref_names[i])) != NULL
               && (is_ident(s[len]) || s[-1] != ' ')) {
            s += len;
        }
        if (!s) {
            fuzz_fail("parse: '%s' does not list {{%s}}", got, ref_names[i]);
        }
    }
}

/* --- the target ------------------------------------------------------ */

static const char *const scopes[] = { "default", "shop", "eu-1.shop", "a_b" };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_apr_init();
    upkeep_default_pages_init(fuzz_root);
    return 0;
}

static uint64_t take(const uint8_t **pp, const uint8_t *end, int nbytes)
{
    uint64_t v = 0;

    while (nbytes-- > 0 && *pp < end) {
        v = (v << 8) | *(*pp)++;
    }
    return v;
}

static void want_in(const char *page, const char *what, const char *s)
{
    if (!strstr(page, s)) {
        fuzz_fail("built-in page without %s '%s':\n%s", what, s, page);
    }
}

/* The built-in page of mode m, rendered with the fuzzer's record. */
static void check_builtin(apr_pool_t *p, int m, const ref_values_t *v)
{
    int refresh = ref_refresh(v);
    const upkeep_lang_t *lang = &upkeep_langs[v->lang];
    upkeep_page_values_t pv = { v->scope, m, v->rec, v->retry_after,
                                refresh, lang, v->site };
    const char *got = upkeep_template_render(
        p, upkeep_default_page(m, lang), &pv);
    ref_values_t vm = *v;
    sbuf_t want = { NULL, 0, 0 };

    vm.mode = m;
    if (strcmp(ref_langs[v->lang].tag, lang->code) != 0) {
        fuzz_fail("language %d is %s, the README says %s", v->lang,
                  lang->code, ref_langs[v->lang].tag);
    }
    sb_str(&want, apr_psprintf(p, "<html lang=\"%s\" dir=\"%s\">",
                               ref_langs[v->lang].tag,
                               ref_langs[v->lang].dir));
    want_in(got, "its language", want.buf);
    want.len = 0;
    if (v->site[0]) {
        sb_str(&want, "<p class=\"site\">");
        ref_escape(&want, v->site);
        sb_str(&want, "</p>");
        want_in(got, "the site", want.buf);
    }
    else if (strstr(got, "class=\"site\"")) {
        fuzz_fail("built-in page names an empty site:\n%s", got);
    }
    /* README: the read-only page shows only the operator's reason (the
     * default would repeat its heading) */
    if (m == UPKEEP_MODE_MAINTENANCE || v->rec->reason[0]) {
        want.len = 0;
        sb_str(&want, "<p class=\"reason\">");
        ref_value(&want, "reason", 6, &vm);
        sb_str(&want, "</p>");
        want_in(got, "its reason", want.buf);
    }
    else if (strstr(got, "class=\"reason\"")) {
        fuzz_fail("built-in %s page shows the default reason:\n%s",
                  upkeep_mode_name(m), got);
    }
    if (v->rec->until) {
        want.len = 0;
        sb_str(&want, "<time datetime=\"");
        ref_time(&want, v->rec->until, ISO_TIME);
        sb_str(&want, "\">");
        ref_time(&want, v->rec->until, HTTP_DATE);
        sb_str(&want, "</time>");
        want_in(got, "its end", want.buf);
    }
    else if (strstr(got, "<time")) {
        fuzz_fail("built-in %s page with a <time> but no end",
                  upkeep_mode_name(m));
    }
    /* README: only the maintenance page reloads itself */
    if (m == UPKEEP_MODE_MAINTENANCE && refresh > 0) {
        want.len = 0;
        sb_str(&want, apr_psprintf(p, "<meta http-equiv=\"refresh\" "
                                   "content=\"%d\">", refresh));
        want_in(got, "its reload", want.buf);
    }
    else if (strstr(got, "http-equiv=\"refresh\"")) {
        fuzz_fail("built-in %s page reloads itself (UpkeepRefresh %d)",
                  upkeep_mode_name(m), v->refresh);
    }
    free(want.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *end = data + size, *pp;
    const uint8_t *nul = memchr(data, '\0', size);
    char *text = fuzz_cstr(data, nul ? (size_t)(nul - data) : size);
    const upkeep_template_t *t = NULL;
    upkeep_page_values_t pv;
    upkeep_record_t rec;
    ref_values_t v;
    sbuf_t want = { NULL, 0, 0 };
    ref_t ref;
    const char *err, *got;
    uint64_t refresh;
    int m;
    apr_pool_t *p;

    /* the record, as upkeep_record_decode() could have produced it */
    memset(&rec, 0, sizeof(rec));
    pp = nul ? nul + 1 : end;
    if (pp < end) {
        const uint8_t *rnul = memchr(pp, '\0', (size_t)(end - pp));
        size_t rlen = rnul ? (size_t)(rnul - pp) : (size_t)(end - pp);

        memcpy(rec.reason, pp, rlen < UPKEEP_REASON_MAX - 1
                               ? rlen : UPKEEP_REASON_MAX - 1);
        pp = rnul ? rnul + 1 : end;
    }
    v.mode = (int)(take(&pp, end, 1) % UPKEEP_MODE_COUNT);
    v.retry_after = (int)(take(&pp, end, 3) % UPKEEP_RETRY_AFTER_MAX) + 1;
    rec.since = (int64_t)(take(&pp, end, 5) % 253402300800ULL);
    rec.until = (int64_t)(take(&pp, end, 5) % 253402300800ULL);
    v.scope = scopes[take(&pp, end, 1) % 4];
    /* UpkeepRefresh: 0 unset (as without the bytes), 1 off, else 5..1d */
    refresh = take(&pp, end, 3);
    v.refresh = refresh == 0 ? -1 : refresh == 1 ? 0
                : (int)(5 + (refresh - 2) % (UPKEEP_RETRY_AFTER_MAX - 4));
    rec.starts = (int64_t)(take(&pp, end, 5) % 253402300800ULL);
    v.lang = (int)(take(&pp, end, 1) % NREF_LANGS);
    v.site = sites[take(&pp, end, 1) % 4];
    rec.mode = v.mode;
    v.rec = &rec;

    sb_add(&want, "", 0);       /* never NULL, even when empty */
    apr_pool_create(&p, fuzz_root);
    pv.scope = v.scope;
    pv.mode = v.mode;
    pv.rec = &rec;
    pv.retry_after = v.retry_after;
    pv.refresh = ref_refresh(&v);
    pv.lang = &upkeep_langs[v.lang];
    pv.site = v.site;

    err = upkeep_template_parse(p, "fuzz.html", text, &t);
    memset(&ref, 0, sizeof(ref));
    ref.t = text;
    ref.line = 1;
    ref.v = &v;
    ref.out = &want;
    ref.p = p;
    if (ref_block(&ref, 1, 0, NULL, 0, 0)) {
        check_error(&ref, err);
    }
    else if (err) {
        fuzz_fail("parse: got '%s', want success", err);
    }
    else {
        got = upkeep_template_render(p, t, &pv);
        if (strlen(got) != want.len || memcmp(got, want.buf, want.len)) {
            fuzz_fail("render differs from the reference\n--- got:\n%s\n"
                      "--- want:\n%s", got, want.buf);
        }
    }
    /* the built-in page of every refusing mode, with the same record */
    for (m = UPKEEP_MODE_NORMAL + 1; m < UPKEEP_MODE_COUNT; m++) {
        check_builtin(p, m, &v);
    }
    apr_pool_destroy(p);
    free(want.buf);
    free(text);
    return 0;
}
