/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_template: UpkeepPage templates, upkeep_template_parse(), and the
 * rendering of what parses, upkeep_template_render() (upkeep_page.c).
 *
 * Input: TEMPLATE [ NUL REASON [ NUL PARAMS ] ]
 *   TEMPLATE  the page file's text;
 *   REASON    the record's reason (any bytes up to 511: the page must
 *             escape whatever it is given);
 *   PARAMS    optional bytes: mode, retry-after, since, until, scope.
 * Properties, against a reference written from the documented rules
 * (README "UpkeepPage"): {{identifier}} with a known name is replaced by
 * its value, any other "{{" is literal text, an unknown identifier is an
 * error naming its line; values are HTML-escaped (& < > " and ').  The
 * built-in pages are rendered with the same record too.
 *
 * upkeep_page.c is module code, built here without httpd: the httpd
 * symbols it links against, ap_escape_html2 and ap_cstr_casecmpn, are
 * stubbed below and work for real, as httpd's do.
 */

#include <time.h>

#include "apr_strings.h"

#include "upkeep_private.h"

#include "fuzz_util.h"

/* --- httpd stub ------------------------------------------------------ */

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
    const char *scope;
    const upkeep_record_t *rec;
} ref_values_t;

/* 1 and the value appended if name is a placeholder, else 0. */
static int ref_value(sbuf_t *b, const char *name, size_t len,
                     const ref_values_t *v)
{
    char num[32];

#define IS(s) (len == sizeof(s) - 1 && memcmp(name, s, len) == 0)
    if (IS("reason")) {
        ref_escape(b, v->rec->reason[0] ? v->rec->reason
                      : v->mode == UPKEEP_MODE_MAINTENANCE
                        ? "Scheduled maintenance is in progress."
                        : "Changes are paused while we upgrade.");
    }
    else if (IS("retry_after")) {
        snprintf(num, sizeof(num), "%d", v->retry_after);
        sb_str(b, num);
    }
    else if (IS("until")) {
        ref_time(b, v->rec->until, "%Y-%m-%dT%H:%M:%SZ");
    }
    else if (IS("until_http")) {
        ref_time(b, v->rec->until, "%a, %d %b %Y %H:%M:%S GMT");
    }
    else if (IS("since")) {
        ref_time(b, v->rec->since, "%Y-%m-%dT%H:%M:%SZ");
    }
    else if (IS("scope")) {
        sb_str(b, v->scope);
    }
    else if (IS("mode")) {
        sb_str(b, upkeep_mode_name(v->mode));
    }
    else {
        return 0;
    }
#undef IS
    return 1;
}

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_';
}

/* Renders t into out; returns 0, or the line of the first unknown
 * placeholder (its name in *bad, *badlen). */
static int ref_render(const char *t, const ref_values_t *v, sbuf_t *out,
                      const char **bad, size_t *badlen)
{
    size_t i = 0;
    int line = 1;

    while (t[i]) {
        if (t[i] == '{' && t[i + 1] == '{') {
            size_t j = i + 2;

            while (is_ident(t[j])) {
                j++;
            }
            if (j > i + 2 && t[j] == '}' && t[j + 1] == '}') {
                if (!ref_value(out, t + i + 2, j - i - 2, v)) {
                    *bad = t + i + 2;
                    *badlen = j - i - 2;
                    return line;
                }
                i = j + 2;
                continue;
            }
        }
        if (t[i] == '\n') {
            line++;
        }
        sb_add(out, t + i, 1);
        i++;
    }
    return 0;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *end = data + size, *pp;
    const uint8_t *nul = memchr(data, '\0', size);
    char *text = fuzz_cstr(data, nul ? (size_t)(nul - data) : size);
    const upkeep_template_t *t = NULL;
    upkeep_record_t rec;
    ref_values_t v;
    request_rec r;
    sbuf_t want = { NULL, 0, 0 };
    const char *err, *got, *bad = NULL;
    size_t badlen = 0;
    int badline, m;
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
    rec.mode = v.mode;
    v.rec = &rec;

    sb_add(&want, "", 0);       /* never NULL, even when empty */
    apr_pool_create(&p, fuzz_root);
    memset(&r, 0, sizeof(r));
    r.pool = p;

    err = upkeep_template_parse(p, "fuzz.html", text, &t);
    badline = ref_render(text, &v, &want, &bad, &badlen);
    if (badline) {
        char *expect = apr_psprintf(p, "fuzz.html line %d: unknown "
                                    "placeholder {{%.*s}}", badline,
                                    (int)badlen, bad);

        if (!err || strncmp(err, expect, strlen(expect)) != 0) {
            fuzz_fail("parse: got '%s', want '%s ...'",
                      err ? err : "(success)", expect);
        }
    }
    else if (err) {
        fuzz_fail("parse: got '%s', want success", err);
    }
    else {
        got = upkeep_template_render(&r, t, v.scope, v.mode, &rec,
                                     v.retry_after);
        if (strlen(got) != want.len || memcmp(got, want.buf, want.len)) {
            fuzz_fail("render differs from the reference\n--- got:\n%s\n"
                      "--- want:\n%s", got, want.buf);
        }
    }
    /* the built-in page of every refusing mode, with the same record */
    for (m = UPKEEP_MODE_NORMAL + 1; m < UPKEEP_MODE_COUNT; m++) {
        got = upkeep_template_render(&r, upkeep_default_page(m), v.scope, m,
                                     &rec, v.retry_after);
        if (!strstr(got, "<p class=\"reason\">")) {
            fuzz_fail("built-in %s page without its reason",
                      upkeep_mode_name(m));
        }
    }
    apr_pool_destroy(p);
    free(want.buf);
    free(text);
    return 0;
}
