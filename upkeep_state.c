/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_state.c: encoding, persistence and the live file, shared by
 * mod_upkeep and upkeepctl (APR only).  The layout is in upkeep_state.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apr_lib.h"
#include "apr_network_io.h"
#include "apr_portable.h"
#include "apr_strings.h"

#include "upkeep_state.h"

/* A durable file is a few hundred bytes; anything larger is not ours. */
#define UPKEEP_STATE_FILE_MAX 4096

const char *const upkeep_mode_names[UPKEEP_MODE_COUNT] = {
    "normal", "hold", "readonly", "maintenance"
};

const char *const upkeep_layer_names[UPKEEP_LAYER_COUNT] = {
    "local", "cluster"
};

int upkeep_has_suffix(const char *name, const char *suffix, apr_size_t *stem)
{
    apr_size_t n = strlen(name), sl = strlen(suffix);

    if (stem) {
        *stem = n - sl;
    }
    return n > sl && strcmp(name + n - sl, suffix) == 0;
}

int upkeep_mode_from_name(const char *name)
{
    int m;

    for (m = 0; m < UPKEEP_MODE_COUNT; m++) {
        if (strcmp(name, upkeep_mode_names[m]) == 0) {
            return m;
        }
    }
    return UPKEEP_MODE_COUNT;
}

const char *upkeep_check_scope_name(const char *name)
{
    const char *c;

    if (!*name) {
        return "is empty";
    }
    if (strlen(name) >= UPKEEP_SCOPE_NAME_MAX) {
        return "is longer than 63 bytes";
    }
    if (name[0] == '.') {
        return "starts with '.'";
    }
    for (c = name; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_' && *c != '-' && *c != '.') {
            return "may only contain letters, digits, '_', '-' and '.'";
        }
    }
    return NULL;
}

static int utf8_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

int upkeep_utf8_decode(const unsigned char *c, uint32_t *cp)
{
    if (c[0] < 0x80) {
        *cp = c[0];
        return 1;
    }
    if (c[0] >= 0xC2 && c[0] <= 0xDF && utf8_cont(c[1])) {
        *cp = ((uint32_t)(c[0] & 0x1F) << 6) | (c[1] & 0x3F);
        return 2;
    }
    if (c[0] >= 0xE0 && c[0] <= 0xEF && utf8_cont(c[1]) && utf8_cont(c[2])) {
        *cp = ((uint32_t)(c[0] & 0x0F) << 12)
              | ((uint32_t)(c[1] & 0x3F) << 6) | (c[2] & 0x3F);
        return *cp >= 0x800 && (*cp < 0xD800 || *cp > 0xDFFF) ? 3 : 0;
    }
    if (c[0] >= 0xF0 && c[0] <= 0xF4 && utf8_cont(c[1]) && utf8_cont(c[2])
        && utf8_cont(c[3])) {
        *cp = ((uint32_t)(c[0] & 0x07) << 18)
              | ((uint32_t)(c[1] & 0x3F) << 12)
              | ((uint32_t)(c[2] & 0x3F) << 6) | (c[3] & 0x3F);
        return *cp >= 0x10000 && *cp <= 0x10FFFF ? 4 : 0;
    }
    return 0;
}

uint32_t upkeep_fnv1a(const void *data, apr_size_t len)
{
    const unsigned char *c = data;
    uint32_t h = 2166136261u;

    while (len--) {
        h = (h ^ *c++) * 16777619u;
    }
    return h;
}

const char *upkeep_host_name(apr_pool_t *p)
{
    char host[APRMAXHOSTLEN + 1] = "localhost";

    apr_gethostname(host, sizeof(host), p);
    return apr_pstrdup(p, host);
}

const char *upkeep_check_reason(const char *reason)
{
    const unsigned char *s = (const unsigned char *)reason;

    if (strlen(reason) >= UPKEEP_REASON_MAX) {
        return "is longer than 511 bytes";
    }
    while (*s) {
        uint32_t cp;
        int n = upkeep_utf8_decode(s, &cp);

        if (n == 0) {
            return "is not valid UTF-8";
        }
        /* C0, DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F) */
        if ((n == 1 && (*s < 0x20 || *s == 0x7f))
            || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)) {
            return "contains a control character";
        }
        s += n;
    }
    return NULL;
}

const char *upkeep_parse_duration(const char *text, apr_interval_time_t *out)
{
    static const struct {
        const char *suffix;
        apr_int64_t usec;
    } units[] = {
        { "",   APR_USEC_PER_SEC },
        { "s",  APR_USEC_PER_SEC },
        { "ms", 1000 },
        { "m",  60 * APR_USEC_PER_SEC },
        { "h",  3600 * APR_USEC_PER_SEC },
        { "d",  86400 * APR_USEC_PER_SEC },
    };
    apr_int64_t n;
    char *end;
    apr_size_t i;

    if (!apr_isdigit(*text)) {
        return "is not a duration (examples: 90s, 250ms, 15m, 2h, 1d)";
    }
    errno = 0;
    n = apr_strtoi64(text, &end, 10);
    if (errno == ERANGE) {
        return "is too large";
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            /* 400 days in microseconds fits easily; reject before the
             * multiplication can overflow. */
            if (n > (apr_int64_t)400 * 86400 * APR_USEC_PER_SEC
                      / units[i].usec) {
                return "is too large";
            }
            *out = n * units[i].usec;
            return NULL;
        }
    }
    return "has an unknown unit (use ms, s, m, h or d)";
}

/* Reads `n` digits at *c into *out; advances *c. */
static int take_digits(const char **c, int n, int *out)
{
    int v = 0;

    while (n--) {
        if (!apr_isdigit(**c)) {
            return 0;
        }
        v = v * 10 + (*(*c)++ - '0');
    }
    *out = v;
    return 1;
}

const char *upkeep_parse_time(const char *text, int64_t now, int64_t *out)
{
    static const char *const form = "is not a time (examples: "
        "2026-11-22T10:30:00Z, 2026-11-22T11:30+01:00, +30m)";
    apr_time_exp_t tm, back;
    apr_time_t t;
    const char *c = text;
    int year, mon, day, hour, min, sec = 0, oh = 0, om = 0, sign = 0;

    if (*c == '+') {
        apr_interval_time_t d;

        const char *why = upkeep_parse_duration(c + 1, &d);

        if (why) {
            return why;
        }
        if (d % APR_USEC_PER_SEC) {
            return "must be whole seconds (windows start on a second)";
        }
        *out = now + apr_time_sec(d);
        return NULL;
    }
    if (!take_digits(&c, 4, &year) || *c++ != '-'
        || !take_digits(&c, 2, &mon) || *c++ != '-'
        || !take_digits(&c, 2, &day)
        || (*c != 'T' && *c != 't' && *c != ' ')) {
        return form;
    }
    c++;
    if (!take_digits(&c, 2, &hour) || *c++ != ':'
        || !take_digits(&c, 2, &min)) {
        return form;
    }
    if (*c == ':') {
        c++;
        if (!take_digits(&c, 2, &sec)) {
            return form;
        }
        if (*c == '.' || *c == ',') {
            return "has fractional seconds (windows start on a second)";
        }
        if (sec == 60) {
            return "is a leap second (use :59 or the next minute)";
        }
    }
    if (*c == 'Z' || *c == 'z') {
        c++;
    }
    else if (*c == '+' || *c == '-') {
        sign = *c++ == '+' ? 1 : -1;
        if (!take_digits(&c, 2, &oh)) {
            return form;
        }
        /* +HH, +HHMM or +HH:MM: anything after HH is the minutes, so
         * "+01:" is refused rather than read as +01:00 */
        if (*c) {
            c += *c == ':';
            if (!take_digits(&c, 2, &om)) {
                return form;
            }
        }
    }
    else {
        return "has no time zone (end it in Z or an offset such as +01:00)";
    }
    if (*c || year < 1970 || mon < 1 || mon > 12 || day < 1 || hour > 23
        || min > 59 || sec > 59 || oh > 23 || om > 59) {
        return form;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    if (apr_time_exp_gmt_get(&t, &tm) != APR_SUCCESS) {
        return form;
    }
    /* 2026-02-30 would roll over to March: read it back to refuse it */
    apr_time_exp_gmt(&back, t);
    if (back.tm_mday != day || back.tm_mon != mon - 1) {
        return "is not a date that exists";
    }
    *out = apr_time_sec(t) - sign * (oh * 3600 + om * 60);
    return NULL;
}

const char *upkeep_parse_cidr(apr_pool_t *p, const char *text,
                              apr_ipsubnet_t **out)
{
    char *ip = apr_pstrdup(p, text);
    char *mask = strchr(ip, '/');
    const char *c;
    apr_status_t rv;
    int dots = 0;

    if (mask) {
        *mask++ = '\0';
    }
    /* Only what an admin means: a whole address, and a prefix length.
     * APR also takes "127" (a partial address) and dotted or
     * non-contiguous netmasks, where one slip exempts far too much. */
    for (c = ip; *c; c++) {
        dots += *c == '.';
    }
    if (!strchr(ip, ':') && dots != 3) {
        return "is not a whole IPv4 or IPv6 address (write 127.0.0.0/8, "
               "not 127)";
    }
    if (mask) {
        char *end;
        long bits = strtol(mask, &end, 10);

        if (!apr_isdigit(*mask) || *end) {
            return "has a mask that is not a prefix length (write "
                   "10.0.0.0/8, not 10.0.0.0/255.0.0.0)";
        }
        if (bits == 0) {
            return "would exempt every client (/0)";
        }
    }
    rv = apr_ipsubnet_create(out, ip, mask, p);
    return rv == APR_SUCCESS ? NULL
           : apr_psprintf(p, "is not an IP address or CIDR block: %pm", &rv);
}

const char *upkeep_iso_time(apr_pool_t *p, int64_t t)
{
    apr_time_exp_t tm;
    char buf[32];
    apr_size_t len;

    if (t == 0) {
        return "";
    }
    apr_time_exp_gmt(&tm, apr_time_from_sec(t));
    apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return apr_pstrmemdup(p, buf, len);
}

const char *upkeep_json_str(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i;
    char *out = apr_palloc(p, 6 * n + 3), *o = out;

    *o++ = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        }
        else if (c < 0x20) {    /* never in checked text; stay valid */
            o += apr_snprintf(o, 7, "\\u%04x", c);
        }
        else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

const char *upkeep_json_time(apr_pool_t *p, int64_t t)
{
    return t ? upkeep_json_str(p, upkeep_iso_time(p, t)) : "null";
}

/* --- durable text file ---------------------------------------------- */

const char *upkeep_record_encode(apr_pool_t *p, const char *scope,
                                 const upkeep_record_t *rec)
{
    return apr_psprintf(p,
        "# mod_upkeep state; written by upkeepctl, do not edit\n"
        "format %d\n"
        "scope %s\n"
        "mode %s\n"
        "version %" APR_UINT64_T_FMT "\n"
        "since %" APR_INT64_T_FMT "\n"
        "until %" APR_INT64_T_FMT "\n"
        "retry-after %d\n"
        "%s"
        "changed-by %s\n"
        "reason %s\n"
        "%s%s%s%s",
        UPKEEP_TEXT_FORMAT, scope, upkeep_mode_name(rec->mode),
        (apr_uint64_t)rec->version, (apr_int64_t)rec->since,
        (apr_int64_t)rec->until, (int)rec->retry_after,
        rec->hold_max_ms ? apr_psprintf(p, "hold-max-ms %d\n",
                                        (int)rec->hold_max_ms) : "",
        rec->changed_by, rec->reason,
        rec->signature[0] ? "signature " : "", rec->signature,
        rec->signature[0] ? "\n" : "",
        rec->starts ? apr_psprintf(p, "starts %" APR_INT64_T_FMT "\n",
                                   (apr_int64_t)rec->starts) : "");
}

/* Parses a decimal in [min, max] that makes up all of `value`. */
static int parse_int_field(const char *value, apr_int64_t min,
                           apr_int64_t max, apr_int64_t *out)
{
    char *end;

    if (!apr_isdigit(*value)) {
        return 0;
    }
    errno = 0;
    *out = apr_strtoi64(value, &end, 10);
    return errno == 0 && *end == '\0' && *out >= min && *out <= max;
}

enum {
    F_FORMAT, F_SCOPE, F_MODE, F_VERSION, F_SINCE, F_UNTIL, F_RETRY,
    F_WHO, F_REASON, F_HOLD_MAX, F_SIGNATURE, F_STARTS, F_COUNT
};

/* F_HOLD_MAX and later are optional (files from older versions lack them) */
#define F_REQUIRED F_HOLD_MAX

static const char *const field_names[F_COUNT] = {
    "format", "scope", "mode", "version", "since", "until", "retry-after",
    "changed-by", "reason", "hold-max-ms", "signature", "starts"
};

#define FAIL(...) do { \
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, __VA_ARGS__); \
        return APR_EINVAL; \
    } while (0)

apr_status_t upkeep_record_decode(const char *text, apr_size_t len,
                                  const char *scope, upkeep_record_t *rec,
                                  char *errbuf)
{
    char line[UPKEEP_REASON_MAX + 32];
    int seen[F_COUNT] = { 0 };
    const char *pos = text, *end = text + len;
    int lineno = 0, f;

    memset(rec, 0, sizeof(*rec));
    if (len > UPKEEP_STATE_FILE_MAX) {
        FAIL("is larger than %d bytes", UPKEEP_STATE_FILE_MAX);
    }
    if (memchr(text, '\0', len)) {
        FAIL("contains a NUL byte");
    }
    /* every line ends in a newline: without one the text was cut short,
     * and a lost optional line (starts) would change what it means */
    if (len && text[len - 1] != '\n') {
        FAIL("is truncated (its last line has no newline)");
    }
    while (pos < end) {
        const char *nl = memchr(pos, '\n', (apr_size_t)(end - pos));
        apr_size_t n = nl ? (apr_size_t)(nl - pos) : (apr_size_t)(end - pos);
        const char *value;
        apr_int64_t num;
        char *sp;

        lineno++;
        if (n >= sizeof(line)) {
            FAIL("line %d is too long", lineno);
        }
        if (memchr(pos, '\r', n)) {
            FAIL("line %d ends in a carriage return (CRLF line ends?)",
                 lineno);
        }
        memcpy(line, pos, n);
        line[n] = '\0';
        pos += n + (nl ? 1 : 0);
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        sp = strchr(line, ' ');
        value = sp ? sp + 1 : "";
        if (sp) {
            *sp = '\0';
        }
        for (f = 0; f < F_COUNT; f++) {
            if (strcmp(line, field_names[f]) == 0) {
                break;
            }
        }
        if (f == F_COUNT) {
            FAIL("line %d: unknown field '%.40s'", lineno, line);
        }
        if (seen[f]++) {
            FAIL("line %d: field '%s' appears twice", lineno, line);
        }
        switch (f) {
        case F_FORMAT:
            if (!parse_int_field(value, UPKEEP_TEXT_FORMAT,
                                 UPKEEP_TEXT_FORMAT, &num)) {
                FAIL("line %d: format '%.20s' is not %d", lineno, value,
                     UPKEEP_TEXT_FORMAT);
            }
            break;
        case F_SCOPE:
            if (strcmp(value, scope) != 0) {
                FAIL("line %d: scope '%.64s' does not match the file name "
                     "(scope '%s')", lineno, value, scope);
            }
            break;
        case F_MODE:
            rec->mode = upkeep_mode_from_name(value);
            if (rec->mode == UPKEEP_MODE_COUNT) {
                FAIL("line %d: unknown mode '%.40s'", lineno, value);
            }
            break;
        case F_VERSION:
            if (!parse_int_field(value, 0, APR_INT64_MAX, &num)) {
                FAIL("line %d: bad version '%.40s'", lineno, value);
            }
            rec->version = (uint64_t)num;
            break;
        case F_SINCE:
        case F_UNTIL:
        case F_STARTS:
            /* year 9999 is plenty */
            if (!parse_int_field(value, 0, 253402300799LL, &num)) {
                FAIL("line %d: bad time '%.40s' for %s", lineno, value,
                     field_names[f]);
            }
            if (f == F_SINCE) {
                rec->since = num;
            }
            else if (f == F_UNTIL) {
                rec->until = num;
            }
            else {
                rec->starts = num;
            }
            break;
        case F_RETRY:
            if (!parse_int_field(value, 0, UPKEEP_RETRY_AFTER_MAX, &num)) {
                FAIL("line %d: bad retry-after '%.40s'", lineno, value);
            }
            rec->retry_after = (int32_t)num;
            break;
        case F_WHO:
            if (strlen(value) >= UPKEEP_WHO_MAX || upkeep_check_reason(value)) {
                FAIL("line %d: bad changed-by value", lineno);
            }
            apr_cpystrn(rec->changed_by, value, UPKEEP_WHO_MAX);
            break;
        case F_REASON: {
            const char *why = upkeep_check_reason(value);

            if (why) {
                FAIL("line %d: reason %s", lineno, why);
            }
            apr_cpystrn(rec->reason, value, UPKEEP_REASON_MAX);
            break;
        }
        case F_HOLD_MAX:
            if (!parse_int_field(value, 1, UPKEEP_HOLD_MAX_MS, &num)) {
                FAIL("line %d: bad hold-max-ms '%.40s'", lineno, value);
            }
            rec->hold_max_ms = (int32_t)num;
            break;
        case F_SIGNATURE:
            if (strlen(value) != 64 || strspn(value, "0123456789abcdef")
                                       != 64) {
                FAIL("line %d: bad signature", lineno);
            }
            apr_cpystrn(rec->signature, value, UPKEEP_SIGNATURE_MAX);
            break;
        }
    }
    for (f = 0; f < F_REQUIRED; f++) {
        if (!seen[f]) {
            FAIL("field '%s' is missing", field_names[f]);
        }
    }
    if (rec->starts && rec->until && rec->until <= rec->starts) {
        FAIL("the window ends (until) before it starts");
    }
    return APR_SUCCESS;
}

int upkeep_record_newer(const upkeep_record_t *a, const upkeep_record_t *b)
{
    int c;

    if (a->version != b->version) {
        return a->version > b->version ? 1 : -1;
    }
    if (a->since != b->since) {
        return a->since > b->since ? 1 : -1;
    }
    if (a->mode != b->mode) {
        return a->mode > b->mode ? 1 : -1;
    }
    if ((c = strcmp(a->changed_by, b->changed_by)) != 0) {
        return c;
    }
    if (a->until != b->until) {
        return a->until > b->until ? 1 : -1;
    }
    if (a->starts != b->starts) {
        return a->starts > b->starts ? 1 : -1;
    }
    if (a->retry_after != b->retry_after) {
        return a->retry_after > b->retry_after ? 1 : -1;
    }
    return strcmp(a->reason, b->reason);
}

const char *upkeep_state_path(apr_pool_t *p, const char *dir,
                              const char *scope, int layer)
{
    return apr_pstrcat(p, dir, "/", scope, layer == UPKEEP_LAYER_CLUSTER
                       ? UPKEEP_CLUSTER_SUFFIX : UPKEEP_STATE_SUFFIX, NULL);
}

apr_status_t upkeep_state_load(apr_pool_t *p, const char *dir,
                               const char *scope, int layer,
                               upkeep_record_t *rec, char *errbuf)
{
    const char *path = upkeep_state_path(p, dir, scope, layer);
    char *text;
    apr_size_t len = 0;
    apr_status_t rv;
    char why[UPKEEP_ERRMSG_MAX];

    memset(rec, 0, sizeof(*rec));
    /* The directory is the control group's to write: a link planted here
     * must not make root read (and the decode errors below quote) another
     * file, so only a regular file of our size is read. */
    rv = upkeep_file_read_all(p, path, UPKEEP_STATE_FILE_MAX, &text, &len,
                              errbuf);
    if (APR_STATUS_IS_ENOENT(rv)) {
        errbuf[0] = '\0';
        return APR_ENOENT;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = upkeep_record_decode(text, len, scope, rec, why);
    if (rv != APR_SUCCESS) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "%s %s", path, why);
    }
    return rv;
}

/* What an opened file that is not a regular one is, for the error. */
static const char *file_kind(mode_t mode)
{
    return S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode) ? "a character device"
           : S_ISBLK(mode) ? "a block device"
           : S_ISDIR(mode) ? "a directory"
           : S_ISSOCK(mode) ? "a socket" : NULL;
}

apr_status_t upkeep_file_read_all(apr_pool_t *p, const char *path,
                                  apr_off_t max, char **text,
                                  apr_size_t *len, char *errbuf)
{
    apr_os_file_t fd;
    apr_file_t *f;
    struct stat st;
    apr_status_t rv;

    /* O_NOFOLLOW: whoever may write the directory must not point root at
     * another file with a link (links among the directories above are
     * followed: those are the admin's).  O_NONBLOCK: opening a FIFO must
     * not hang start-up.  The type is then checked on what was opened, so
     * nothing can be swapped in between. */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY
                    | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;

        /* ELOOP (EMLINK on FreeBSD) is also a loop further up the path */
        if ((e == ELOOP || e == EMLINK) && lstat(path, &st) == 0
            && S_ISLNK(st.st_mode)) {
            apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "%s is a symbolic link, "
                         "not a regular file (links are not followed)",
                         path);
            return APR_EINVAL;
        }
        rv = APR_FROM_OS_ERROR(e);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot read %s: %pm", path,
                     &rv);
        return rv;
    }
    if (fstat(fd, &st) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        close(fd);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot read %s: %pm", path,
                     &rv);
        return rv;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        if (file_kind(st.st_mode)) {
            apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "%s is %s, not a "
                         "regular file", path, file_kind(st.st_mode));
        }
        else {
            apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "%s is not a regular "
                         "file", path);
        }
        return APR_EINVAL;
    }
    if ((apr_off_t)st.st_size > max) {
        close(fd);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "%s is larger than %"
                     APR_OFF_T_FMT " bytes", path, max);
        return APR_ENOSPC;
    }
    /* at most the size seen: a file growing meanwhile stays under max */
    *len = (apr_size_t)st.st_size;
    *text = apr_palloc(p, *len + 1);
    rv = apr_os_file_put(&f, &fd, APR_FOPEN_READ, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(f, *text, *len, len);
        /* a file that shrank meanwhile reads short: keep what is there */
        rv = APR_STATUS_IS_EOF(rv) ? APR_SUCCESS : rv;
        apr_file_close(f);
    }
    else {
        close(fd);
    }
    (*text)[*len] = '\0';
    if (rv != APR_SUCCESS) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot read %s: %pm", path,
                     &rv);
    }
    return rv;
}

int upkeep_pid_alive(int64_t pid)
{
    char path[64], buf[256], *state;
    FILE *f;

    if (pid <= 0 || pid > INT32_MAX
        || (kill((pid_t)pid, 0) != 0 && errno != EPERM)) {
        return 0;
    }
    /* a killed process nobody has reaped yet is a zombie: gone (Linux) */
    apr_snprintf(path, sizeof(path), "/proc/%" APR_INT64_T_FMT "/stat",
                 (apr_int64_t)pid);
    if ((f = fopen(path, "r")) == NULL) {
        return 1;
    }
    state = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
    fclose(f);
    return !(state && state[1] == ' ' && state[2] == 'Z');
}

apr_status_t upkeep_file_update(apr_pool_t *p, const char *path,
                                const char *text, apr_fileperms_t perms,
                                int *kept, char *errbuf)
{
    char *old, scratch[UPKEEP_ERRMSG_MAX];
    apr_size_t len, n = strlen(text);
    apr_status_t rv;

    *kept = 0;
    if (upkeep_file_read_all(p, path, (apr_off_t)n + 1, &old, &len, scratch)
        == APR_SUCCESS) {
        if (len == n && memcmp(old, text, n) == 0) {
            /* unchanged: a full disk cannot fail what needs no write */
            return APR_SUCCESS;
        }
        *kept = 1;
    }
    rv = upkeep_file_replace(p, path, text, perms, errbuf);
    if (rv == APR_SUCCESS) {
        *kept = 0;
    }
    return rv;
}

apr_status_t upkeep_file_replace(apr_pool_t *p, const char *path,
                                 const char *text, apr_fileperms_t perms,
                                 char *errbuf)
{
    char *tmp = apr_pstrcat(p, path, ".XXXXXX", NULL);
    char *dir = apr_pstrdup(p, path), *slash = strrchr(dir, '/');
    apr_file_t *f, *d;
    apr_status_t rv;
    const char *step;

    if (slash) {
        *slash = '\0';
    }
    rv = apr_file_mktemp(&f, tmp, APR_FOPEN_CREATE | APR_FOPEN_WRITE
                         | APR_FOPEN_EXCL, p);
    if (rv != APR_SUCCESS) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX,
                     "cannot create a file in %s: %pm", dir, &rv);
        return rv;
    }
    step = "write";
    rv = apr_file_write_full(f, text, strlen(text), NULL);
    if (rv == APR_SUCCESS) {
        step = "fsync";
        rv = apr_file_sync(f);
    }
    apr_file_close(f);
    if (rv == APR_SUCCESS) {
        step = "chmod";
        rv = apr_file_perms_set(tmp, perms);
    }
    if (rv == APR_SUCCESS) {
        step = "rename";
        rv = apr_file_rename(tmp, path, p);
    }
    if (rv != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot %s %s: %pm",
                     step, path, &rv);
        return rv;
    }
    /* The rename is durable only once the directory is synced. */
    if (slash && apr_file_open(&d, dir, APR_FOPEN_READ, 0, p)
                 == APR_SUCCESS) {
        apr_file_sync(d);
        apr_file_close(d);
    }
    return APR_SUCCESS;
}

apr_status_t upkeep_state_save(apr_pool_t *p, const char *dir,
                               const char *scope, int layer,
                               const upkeep_record_t *rec,
                               apr_fileperms_t perms, char *errbuf)
{
    return upkeep_file_replace(p, upkeep_state_path(p, dir, scope, layer),
                               upkeep_record_encode(p, scope, rec), perms,
                               errbuf);
}

/* --- writer lock ----------------------------------------------------- */

apr_status_t upkeep_lock_acquire(apr_pool_t *p, const char *dir,
                                 apr_file_t **lockfile, char *errbuf)
{
    const char *path = apr_pstrcat(p, dir, "/" UPKEEP_LOCK_FILE, NULL);
    apr_status_t rv;

    rv = apr_file_open(lockfile, path, APR_FOPEN_CREATE | APR_FOPEN_WRITE,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE
                       | APR_FPROT_GREAD | APR_FPROT_GWRITE, p);
    if (rv != APR_SUCCESS) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot open %s: %pm",
                     path, &rv);
        return rv;
    }
    rv = apr_file_lock(*lockfile, APR_FLOCK_EXCLUSIVE);
    if (rv != APR_SUCCESS) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot lock %s: %pm",
                     path, &rv);
        apr_file_close(*lockfile);
    }
    return rv;
}

/* --- live file ------------------------------------------------------- */

_Static_assert(offsetof(upkeep_live_t, sync) == 4 * sizeof(uint32_t),
               "the live header starts with four uint32_t fields");

static int live_header_ok(const upkeep_live_t *live)
{
    return live->magic == UPKEEP_LIVE_MAGIC && live->format == UPKEEP_LIVE_FORMAT
           && live->slot_count == UPKEEP_MAX_SCOPES
           && live->slot_size == sizeof(upkeep_slot_t);
}

static apr_status_t live_map(apr_pool_t *p, const char *path,
                             apr_int32_t flags, upkeep_live_map_t *map,
                             char *errbuf)
{
    apr_finfo_t fi;
    apr_status_t rv;

    rv = apr_file_open(&map->file, path, flags, 0, p);
    if (rv != APR_SUCCESS) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot open %s: %pm",
                     path, &rv);
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE, map->file);
    if (rv == APR_SUCCESS && fi.size != (apr_off_t)sizeof(upkeep_live_t)) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "%s has size %" APR_OFF_T_FMT
                     ", not %" APR_SIZE_T_FMT, path, fi.size,
                     sizeof(upkeep_live_t));
        return APR_EINVAL;
    }
    if (rv == APR_SUCCESS) {
        rv = apr_mmap_create(&map->mm, map->file, 0, sizeof(upkeep_live_t),
                             APR_MMAP_READ | APR_MMAP_WRITE, p);
    }
    if (rv != APR_SUCCESS) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot map %s: %pm",
                     path, &rv);
        return rv;
    }
    map->live = map->mm->mm;
    if (!live_header_ok(map->live)) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX,
                     "%s has another format or layout", path);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t upkeep_live_attach(apr_pool_t *p, const char *dir,
                                upkeep_live_map_t *map, char *errbuf)
{
    const char *path = apr_pstrcat(p, dir, "/" UPKEEP_LIVE_FILE, NULL);
    apr_finfo_t fi;

    if (apr_stat(&fi, path, APR_FINFO_TYPE, p) != APR_SUCCESS) {
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "%s does not exist", path);
        return APR_ENOENT;
    }
    return live_map(p, path, APR_FOPEN_READ | APR_FOPEN_WRITE, map, errbuf);
}

apr_status_t upkeep_live_create(apr_pool_t *p, const char *dir,
                                apr_fileperms_t perms,
                                upkeep_live_map_t *map, char *errbuf)
{
    const char *path = apr_pstrcat(p, dir, "/" UPKEEP_LIVE_FILE, NULL);
    char *tmp = apr_pstrcat(p, dir, "/." UPKEEP_LIVE_FILE ".XXXXXX", NULL);
    /* the four header fields, in upkeep_live_t order */
    const uint32_t header[4] = {
        UPKEEP_LIVE_MAGIC, UPKEEP_LIVE_FORMAT, UPKEEP_MAX_SCOPES,
        sizeof(upkeep_slot_t)
    };
    apr_file_t *f;
    apr_status_t rv;

    if (upkeep_live_attach(p, dir, map, errbuf) == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    /* Missing or incompatible: build a fresh one beside it and rename it
     * in.  Processes still mapping an old file (children of a previous
     * generation) keep their copy; nobody reads a half-built file. */
    rv = apr_file_mktemp(&f, tmp, APR_FOPEN_CREATE | APR_FOPEN_READ
                         | APR_FOPEN_WRITE | APR_FOPEN_EXCL, p);
    /* header first: apr_file_trunc moves the file pointer to the end */
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, header, sizeof(header), NULL);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_trunc(f, sizeof(upkeep_live_t));
    }
    /* The blocks for real, now: a sparse file on a full disk maps fine
     * and then kills whoever first writes a page of it with SIGBUS. */
    if (rv == APR_SUCCESS) {
        apr_os_file_t fd;
        int err;

        apr_os_file_get(&fd, f);
        err = posix_fallocate(fd, 0, sizeof(upkeep_live_t));
        rv = err == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(err);
        if (rv != APR_SUCCESS) {
            apr_file_close(f);
            apr_file_remove(tmp, p);
            apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot allocate the %"
                         APR_SIZE_T_FMT " bytes of %s in %s: %pm",
                         sizeof(upkeep_live_t), UPKEEP_LIVE_FILE, dir, &rv);
            return rv;
        }
    }
    if (rv == APR_SUCCESS) {
        apr_file_close(f);
        rv = apr_file_perms_set(tmp, perms);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_rename(tmp, path, p);
    }
    if (rv != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        apr_snprintf(errbuf, UPKEEP_ERRMSG_MAX, "cannot create %s: %pm",
                     path, &rv);
        return rv;
    }
    return live_map(p, path, APR_FOPEN_READ | APR_FOPEN_WRITE, map, errbuf);
}

upkeep_slot_t *upkeep_live_slot(upkeep_live_t *live, const char *scope,
                                int allocate)
{
    int i;

    for (i = 0; i < UPKEEP_MAX_SCOPES; i++) {
        upkeep_slot_t *s = &live->slots[i];

        if (!atomic_load_explicit(&s->in_use, memory_order_acquire)) {
            break;  /* slots are claimed in order: the rest are free */
        }
        if (strncmp(s->name, scope, UPKEEP_SCOPE_NAME_MAX) == 0) {
            return s;
        }
    }
    if (!allocate || i == UPKEEP_MAX_SCOPES) {
        return NULL;
    }
    apr_cpystrn(live->slots[i].name, scope, UPKEEP_SCOPE_NAME_MAX);
    atomic_store_explicit(&live->slots[i].in_use, 1, memory_order_release);
    return &live->slots[i];
}
