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
    S_PLAINTEXT         /* after <plaintext>: all the rest is text */
} scan_state_e;

/* Elements whose content is text up to their end tag. */
static const char *const raw_text[] = {
    "script", "style", "title", "textarea", "xmp", "iframe", "noembed",
    "noframes", "noscript"
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

static int name_is(const upkeep_body_scan_t *st, const char *name)
{
    return (apr_size_t)st->name_len == strlen(name)
           && memcmp(st->name, name, (apr_size_t)st->name_len) == 0;
}

/* The '>' of a tag: 1 if it closed <body ...>, else the state after it. */
static int tag_end(upkeep_body_scan_t *st)
{
    apr_size_t i;

    st->state = S_TEXT;
    if (st->end_tag) {
        return 0;
    }
    if (name_is(st, "body")) {
        return 1;
    }
    if (name_is(st, "plaintext")) {
        st->state = S_PLAINTEXT;
        return 0;
    }
    for (i = 0; i < sizeof(raw_text) / sizeof(raw_text[0]); i++) {
        if (name_is(st, raw_text[i])) {
            st->state = S_RAW;
            st->n = 0;
            break;
        }
    }
    return 0;
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

apr_ssize_t upkeep_body_scan(upkeep_body_scan_t *st, const char *data,
                             apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        char c = data[i];
        int space = html_space(c);

        switch (st->state) {
        case S_TEXT:
            if (!skip_to(data, len, &i, '<')) {
                return -1;
            }
            st->state = S_LT;
            break;
        case S_LT:
            st->end_tag = 0;
            st->name_len = 0;
            if (html_alpha(c)) {
                name_add(st, c);
                st->state = S_TAG_NAME;
            }
            else {
                st->state = c == '/' ? S_END_OPEN : c == '!' ? S_BANG
                            : c == '?' ? S_BOGUS : c == '<' ? S_LT : S_TEXT;
            }
            break;
        case S_END_OPEN:
            if (html_alpha(c)) {
                st->end_tag = 1;
                name_add(st, c);
                st->state = S_TAG_NAME;
            }
            else {
                st->state = c == '>' ? S_TEXT : S_BOGUS;
            }
            break;
        case S_TAG_NAME:
            if (c == '>') {
                if (tag_end(st)) {
                    return (apr_ssize_t)i + 1;
                }
            }
            else if (space || c == '/') {
                st->state = S_BEFORE_ATTR;
            }
            else {
                name_add(st, c);
            }
            break;
        case S_BEFORE_ATTR:
        case S_ATTR_NAME:
        case S_UNQUOTED:
            if (c == '>') {
                if (tag_end(st)) {
                    return (apr_ssize_t)i + 1;
                }
            }
            else if (st->state == S_UNQUOTED) {
                st->state = space ? S_BEFORE_ATTR : S_UNQUOTED;
            }
            else if (c == '/') {
                st->state = S_BEFORE_ATTR;
            }
            else if (st->state == S_ATTR_NAME) {
                /* "=" starts a value only after a name: <p =x> is a
                 * name "=x" */
                st->state = c == '=' ? S_EQ : S_ATTR_NAME;
            }
            else if (!space) {
                st->state = S_ATTR_NAME;
            }
            break;
        case S_EQ:
            if (c == '"' || c == '\'') {
                st->quote = c;
                st->state = S_QUOTED;
            }
            else if (c == '>') {
                if (tag_end(st)) {
                    return (apr_ssize_t)i + 1;
                }
            }
            else if (!space) {
                st->state = S_UNQUOTED;
            }
            break;
        case S_QUOTED:
            if (!skip_to(data, len, &i, st->quote)) {
                return -1;
            }
            st->state = S_BEFORE_ATTR;
            break;
        case S_BANG:
            st->state = c == '-' ? S_BANG_DASH : c == '>' ? S_TEXT : S_BOGUS;
            break;
        case S_BANG_DASH:
            st->state = c == '-' ? S_COMMENT_START : c == '>' ? S_TEXT
                        : S_BOGUS;
            break;
        case S_BOGUS:
            if (!skip_to(data, len, &i, '>')) {
                return -1;
            }
            st->state = S_TEXT;
            break;
        case S_COMMENT_START:
        case S_COMMENT_START_DASH:
            /* "<!-->" and "<!--->" are whole comments */
            if (c == '>') {
                st->state = S_TEXT;
            }
            else if (c == '-') {
                st->n = 2;
                st->state = st->state == S_COMMENT_START
                            ? S_COMMENT_START_DASH : S_COMMENT;
            }
            else {
                st->n = 0;
                st->state = S_COMMENT;
            }
            break;
        case S_COMMENT:
            /* only dashes can start its end */
            if (st->n == 0) {
                if (!skip_to(data, len, &i, '-')) {
                    return -1;
                }
                st->n = 1;
            }
            else if (st->n >= 2 && c == '>') {
                st->state = S_TEXT;
            }
            else if (st->n >= 2 && c == '!') {
                st->state = S_COMMENT_BANG;
            }
            else {
                st->n = c == '-' ? st->n + (st->n < 2) : 0;
            }
            break;
        case S_COMMENT_BANG:
            st->state = c == '>' ? S_TEXT : S_COMMENT;
            st->n = c == '-' ? 1 : 0;
            break;
        case S_RAW:
            /* n: 0 nothing, 1 "<", 2 + k "</" and k bytes of the name */
            if (st->n == 0) {
                if (!skip_to(data, len, &i, '<')) {
                    return -1;
                }
                st->n = 1;
            }
            else if (st->n == 1 && c == '/') {
                st->n = 2;
            }
            else if (st->n >= 2 && html_lower(c) == st->name[st->n - 2]) {
                if (++st->n - 2 == st->name_len) {
                    st->state = S_RAW_END;
                }
            }
            else {
                st->n = c == '<';
            }
            break;
        case S_RAW_END:
            if (space || c == '/' || c == '>') {
                st->end_tag = 1;
                st->state = c == '>' ? S_TEXT : S_BEFORE_ATTR;
            }
            else {
                st->state = S_RAW;
                st->n = c == '<';
            }
            break;
        case S_PLAINTEXT:
            return -1;
        }
    }
    return -1;
}
