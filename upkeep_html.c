/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_html.c: finds the first <body> tag of an HTML page that arrives
 * in pieces, wherever they are cut.  Apart from the banner filter so that
 * fuzz/fuzz_body_scan can run it without httpd.
 *
 * A small cut of the HTML tokenizer (WHATWG HTML, 13.2.5), enough that
 * "<body" counts only where a browser would see the body tag: not inside
 * another tag's attribute values, comments ("<!-->" and "--!>" included),
 * doctypes and other "<!...>" or "<?...>" declarations, or the text of
 * script, style, title, textarea and the other raw-text elements.
 */

#include <string.h>

#include "upkeep_private.h"

/* Scanner states: where in the markup the last byte left us. */
typedef enum {
    S_TEXT,             /* text */
    S_LT,               /* after '<' */
    S_END_OPEN,         /* after "</" */
    S_TAG_NAME,         /* in a tag's name */
    S_BEFORE_ATTR,      /* where an attribute's name may start */
    S_ATTR_NAME,        /* in or after an attribute's name */
    S_EQ,               /* after its '=' */
    S_QUOTED,           /* in a quoted value */
    S_UNQUOTED,         /* in an unquoted value */
    S_BANG,             /* after "<!" */
    S_BANG_DASH,        /* after "<!-" */
    S_BOGUS,            /* in a declaration "<!x", "<?x", "</ x": to '>' */
    S_COMMENT_START,    /* after "<!--" */
    S_COMMENT_START_DASH,
    S_COMMENT,          /* in a comment; `n` dashes in a row just seen */
    S_COMMENT_BANG,     /* after "--!" in a comment */
    S_RAW,              /* in raw text: `n` bytes of "</NAME" matched */
    S_RAW_END,          /* after "</NAME": a delimiter makes it the end */
    S_PLAINTEXT,        /* after <plaintext>: all the rest is text */
    S_FOUND             /* tag_end(): that was the body tag */
} scan_state_e;

/* Elements whose content is text up to their end tag (and plaintext:
 * all the rest). */
static const struct {
    const char *name;
    int len;
    scan_state_e state;
} text_elements[] = {
    { "script", 6, S_RAW }, { "style", 5, S_RAW }, { "title", 5, S_RAW },
    { "textarea", 8, S_RAW }, { "xmp", 3, S_RAW }, { "iframe", 6, S_RAW },
    { "noembed", 7, S_RAW }, { "noframes", 8, S_RAW },
    { "noscript", 8, S_RAW }, { "plaintext", 9, S_PLAINTEXT }
};

/* HTML's own character classes, ASCII only, whatever the locale; and
 * cheaper than <ctype.h>'s calls, byte by byte. */
static int html_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r';
}

static int html_alpha(char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static char html_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

/* Moves *i to the next `c` in the piece; 0 when there is none. */
static int skip_to(const char *data, apr_size_t len, apr_size_t *i, char c)
{
    const char *p = memchr(data + *i, c, len - *i);

    if (!p) {
        return 0;
    }
    *i = (apr_size_t)(p - data);
    return 1;
}

/* The state after a tag's '>': S_FOUND when it closed <body ...>. */
static scan_state_e tag_end(const upkeep_body_scan_t *st)
{
    apr_size_t i;

    if (st->end_tag) {
        return S_TEXT;
    }
    if (st->name_len == 4 && memcmp(st->name, "body", 4) == 0) {
        return S_FOUND;
    }
    for (i = 0; i < sizeof(text_elements) / sizeof(text_elements[0]); i++) {
        if (st->name_len == text_elements[i].len
            && st->name[0] == text_elements[i].name[0]
            && memcmp(st->name, text_elements[i].name,
                      (apr_size_t)st->name_len) == 0) {
            return text_elements[i].state;
        }
    }
    return S_TEXT;
}

static void name_add(upkeep_body_scan_t *st, char c)
{
    /* a longer name is none we look for: it keeps a length of max + 1 */
    if (st->name_len < (int)sizeof(st->name)) {
        st->name[st->name_len] = html_lower(c);
    }
    if (st->name_len <= (int)sizeof(st->name)) {
        st->name_len++;
    }
}

/* state and n live in registers while the piece is scanned */
apr_ssize_t upkeep_body_scan(upkeep_body_scan_t *st, const char *data,
                             apr_size_t len)
{
    scan_state_e state = (scan_state_e)st->state;
    int n = st->n;
    apr_ssize_t found = -1;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        char c = data[i];
        int space = html_space(c);

        switch (state) {
        case S_TEXT:
            if (!skip_to(data, len, &i, '<')) {
                goto leave;
            }
            state = S_LT;
            break;
        case S_LT:
            st->end_tag = 0;
            st->name_len = 0;
            if (html_alpha(c)) {
                name_add(st, c);
                state = S_TAG_NAME;
            }
            else {
                state = c == '/' ? S_END_OPEN : c == '!' ? S_BANG
                        : c == '?' ? S_BOGUS : c == '<' ? S_LT : S_TEXT;
            }
            break;
        case S_END_OPEN:
            if (html_alpha(c)) {
                st->end_tag = 1;
                name_add(st, c);
                state = S_TAG_NAME;
            }
            else {
                state = c == '>' ? S_TEXT : S_BOGUS;
            }
            break;
        case S_TAG_NAME:
        case S_BEFORE_ATTR:
        case S_ATTR_NAME:
        case S_EQ:
        case S_UNQUOTED:
            if (c == '>') {
                state = tag_end(st);
                if (state == S_FOUND) {
                    found = (apr_ssize_t)i + 1;
                    goto leave;
                }
                n = 0;
            }
            else if (state == S_TAG_NAME) {
                if (space || c == '/') {
                    state = S_BEFORE_ATTR;
                }
                else {
                    name_add(st, c);
                }
            }
            else if (state == S_EQ) {
                if (c == '"' || c == '\'') {
                    st->quote = c;
                    state = S_QUOTED;
                }
                else if (!space) {
                    state = S_UNQUOTED;
                }
            }
            else if (state == S_UNQUOTED) {
                state = space ? S_BEFORE_ATTR : S_UNQUOTED;
            }
            else if (c == '/') {
                state = S_BEFORE_ATTR;
            }
            else if (state == S_ATTR_NAME) {
                /* "=" starts a value only after a name: <p =x> is a
                 * name "=x" */
                state = c == '=' ? S_EQ : S_ATTR_NAME;
            }
            else if (!space) {
                state = S_ATTR_NAME;
            }
            break;
        case S_QUOTED:
            if (!skip_to(data, len, &i, st->quote)) {
                goto leave;
            }
            state = S_BEFORE_ATTR;
            break;
        case S_BANG:
            state = c == '-' ? S_BANG_DASH : c == '>' ? S_TEXT : S_BOGUS;
            break;
        case S_BANG_DASH:
            state = c == '-' ? S_COMMENT_START : c == '>' ? S_TEXT : S_BOGUS;
            break;
        case S_BOGUS:
            if (!skip_to(data, len, &i, '>')) {
                goto leave;
            }
            state = S_TEXT;
            break;
        case S_COMMENT_START:
        case S_COMMENT_START_DASH:
            /* "<!-->" and "<!--->" are whole comments */
            if (c == '>') {
                state = S_TEXT;
            }
            else if (c == '-') {
                n = 2;
                state = state == S_COMMENT_START ? S_COMMENT_START_DASH
                                                 : S_COMMENT;
            }
            else {
                n = 0;
                state = S_COMMENT;
            }
            break;
        case S_COMMENT:
            /* only dashes can start its end */
            if (n == 0) {
                if (!skip_to(data, len, &i, '-')) {
                    goto leave;
                }
                n = 1;
            }
            else if (n >= 2 && c == '>') {
                state = S_TEXT;
            }
            else if (n >= 2 && c == '!') {
                state = S_COMMENT_BANG;
            }
            else {
                n = c == '-' ? n + (n < 2) : 0;
            }
            break;
        case S_COMMENT_BANG:
            state = c == '>' ? S_TEXT : S_COMMENT;
            n = c == '-' ? 1 : 0;
            break;
        case S_RAW:
            /* n: 0 nothing, 1 "<", 2 + k "</" and k bytes of the name */
            if (n == 0) {
                if (!skip_to(data, len, &i, '<')) {
                    goto leave;
                }
                n = 1;
            }
            else if (n == 1 && c == '/') {
                n = 2;
            }
            else if (n >= 2 && html_lower(c) == st->name[n - 2]) {
                if (++n - 2 == st->name_len) {
                    state = S_RAW_END;
                }
            }
            else {
                n = c == '<';
            }
            break;
        case S_RAW_END:
            if (space || c == '/' || c == '>') {
                st->end_tag = 1;
                state = c == '>' ? S_TEXT : S_BEFORE_ATTR;
            }
            else {
                state = S_RAW;
                n = c == '<';
            }
            break;
        case S_PLAINTEXT:
        case S_FOUND:
            goto leave;
        }
    }
leave:
    st->state = (int)state;
    st->n = n;
    return found;
}

/* --- banner text ------------------------------------------------------- */

const char *upkeep_html_ascii(apr_pool_t *p, const char *s)
{
    const unsigned char *c = (const unsigned char *)s;
    char *out, *o;

    while (*c && *c < 0x80) {
        c++;
    }
    if (!*c) {
        return s;
    }
    /* at most 4 bytes out per byte in: "&#x7FF;" (7) for 2 bytes */
    out = apr_palloc(p, strlen(s) * 4 + 1);
    o = out + (c - (const unsigned char *)s);
    memcpy(out, s, (apr_size_t)(o - out));
    while (*c) {
        uint32_t cp;
        int n = *c < 0x80 ? 0 : upkeep_utf8_decode(c, &cp);

        if (n) {
            o += apr_snprintf(o, 11, "&#x%X;", (unsigned int)cp);
            c += n;
        }
        else {
            *o++ = (char)*c++;
        }
    }
    *o = '\0';
    return out;
}
