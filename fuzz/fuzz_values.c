/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_values: the small validators of outside text, against independent
 * reference implementations written from the documented rules:
 *  - upkeep_parse_duration() (UpkeepRetryAfter, upkeepctl --for):
 *    DIGITS followed by "", s, ms, m, h or d; at most 400 days;
 *  - upkeep_check_scope_name() (UpkeepScope, upkeepctl --scope):
 *    1..63 bytes of [A-Za-z0-9_.-], not starting with '.';
 *  - upkeep_check_reason() (upkeepctl --reason, state files):
 *    at most 511 bytes of well-formed UTF-8 (Unicode table 3-7) without
 *    C0 controls, DEL or C1 controls (U+0080..U+009F);
 *  - upkeep_json_str() (reasons and names in upkeepctl status --json and
 *    the status page): a JSON string literal that decodes to the input;
 *  - upkeep_parse_time() (upkeepctl --at): YYYY-MM-DD, then T, t or a
 *    space, HH:MM, optional :SS, then Z, z or an offset [+-]HH, [+-]HH:MM
 *    or [+-]HHMM, nothing after; year >= 1970, a day that exists,
 *    hour <= 23, minute and second <= 59, offset hours <= 23 and minutes
 *    <= 59 -> the UTC seconds of the local fields minus the offset; or
 *    '+' DURATION of whole seconds -> now plus the duration.
 * Input: one string (up to the first NUL), given to all five.
 */

#include "upkeep_state.h"

#include "fuzz_util.h"

FUZZ_INIT_APR_ONLY

/* --- references ------------------------------------------------------ */

#define MAX_USEC ((int64_t)400 * 86400 * 1000000)

/* 1: a valid duration, *usec set; 0: not one. */
static int ref_duration(const char *s, int64_t *usec)
{
    static const struct { const char *unit; int64_t usec; } units[] = {
        { "", 1000000 }, { "s", 1000000 }, { "ms", 1000 },
        { "m", 60000000 }, { "h", 3600000000LL }, { "d", 86400000000LL },
    };
    int64_t n = 0;
    int big = 0;
    size_t i;

    if (*s < '0' || *s > '9') {
        return 0;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (n > MAX_USEC) {
            big = 1;            /* sticks: no unit makes it small again */
        }
        else {
            n = n * 10 + (*s - '0');
        }
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(s, units[i].unit) == 0) {
            if (big || n > MAX_USEC / units[i].usec) {
                return 0;
            }
            *usec = n * units[i].usec;
            return 1;
        }
    }
    return 0;
}

static int ref_scope_name(const char *s)
{
    size_t n = strlen(s), i;

    if (n < 1 || n > 63 || s[0] == '.') {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'
              || c == '.')) {
            return 0;
        }
    }
    return 1;
}

static int ref_reason(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    if (strlen(str) > 511) {
        return 0;
    }
    while (*s) {
        unsigned char b = s[0];
        int len, i;
        unsigned char lo = 0x80, hi = 0xbf;     /* second byte range */

        if (b < 0x20 || b == 0x7f) {
            return 0;
        }
        if (b < 0x80) {
            s++;
            continue;
        }
        if (b >= 0xc2 && b <= 0xdf) {
            len = 2;
            if (b == 0xc2) {
                lo = 0xa0;                      /* C1 controls excluded */
            }
        }
        else if (b >= 0xe0 && b <= 0xef) {
            len = 3;
            if (b == 0xe0) {
                lo = 0xa0;
            }
            else if (b == 0xed) {
                hi = 0x9f;                      /* no surrogates */
            }
        }
        else if (b >= 0xf0 && b <= 0xf4) {
            len = 4;
            if (b == 0xf0) {
                lo = 0x90;
            }
            else if (b == 0xf4) {
                hi = 0x8f;
            }
        }
        else {
            return 0;
        }
        if (s[1] < lo || s[1] > hi) {
            return 0;
        }
        for (i = 2; i < len; i++) {
            if (s[i] < 0x80 || s[i] > 0xbf) {
                return 0;
            }
        }
        s += len;
    }
    return 1;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil), not timegm() or APR, so that the
 * reference does not share a conversion with the code under test. */
static int64_t ref_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* 1 if s starts with strlen(pat) characters fitting pat ('9': a digit,
 * '?': one of the characters in alt, anything else: itself).  The
 * terminator never fits (strchr() would find it in alt). */
static int ref_shape(const char *s, const char *pat, const char *alt)
{
    for (; *pat; pat++, s++) {
        if (*s == '\0') {
            return 0;
        }
        if (*pat == '9' ? !(*s >= '0' && *s <= '9')
            : *pat == '?' ? strchr(alt, *s) == NULL
            : *s != *pat) {
            return 0;
        }
    }
    return 1;
}

/* The number in the n digits at s (already checked by ref_shape). */
static int ref_num(const char *s, int n)
{
    int v = 0;

    while (n--) {
        v = v * 10 + (*s++ - '0');
    }
    return v;
}

/* The clock upkeepctl would pass: 2026-11-22T10:30:00Z. */
#define REF_NOW ((int64_t)1795343400)

/* 1: a valid --at TIME, *t set (unix seconds); 0: not one. */
static int ref_time(const char *s, int64_t now, int64_t *t)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };
    int year, mon, day, hour, min, sec = 0, leap, off = 0;
    const char *z;
    size_t zlen;

    if (s[0] == '+') {
        int64_t usec;

        if (!ref_duration(s + 1, &usec) || usec % 1000000) {
            return 0;
        }
        *t = now + usec / 1000000;
        return 1;
    }
    if (!ref_shape(s, "9999-99-99?99:99", "Tt ")) {
        return 0;
    }
    year = ref_num(s, 4);
    mon = ref_num(s + 5, 2);
    day = ref_num(s + 8, 2);
    hour = ref_num(s + 11, 2);
    min = ref_num(s + 14, 2);
    z = s + 16;
    if (ref_shape(z, ":99", "")) {
        sec = ref_num(z + 1, 2);
        z += 3;
    }
    zlen = strlen(z);
    if (zlen == 1 && (z[0] == 'Z' || z[0] == 'z')) {
        off = 0;
    }
    else if ((zlen == 3 && ref_shape(z, "?99", "+-"))
             || (zlen == 5 && ref_shape(z, "?9999", "+-"))
             || (zlen == 6 && ref_shape(z, "?99:99", "+-"))) {
        int oh = ref_num(z + 1, 2);
        int om = zlen == 3 ? 0 : ref_num(z + zlen - 2, 2);

        if (oh > 23 || om > 59) {
            return 0;
        }
        off = oh * 3600 + om * 60;
    }
    else {
        return 0;
    }
    if (z[0] == '-') {
        off = -off;
    }
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (year < 1970 || mon < 1 || mon > 12 || day < 1
        || day > mdays[mon - 1] + (mon == 2 && leap)
        || hour > 23 || min > 59 || sec > 59) {
        return 0;
    }
    *t = ref_days_from_civil(year, mon, day) * 86400
         + hour * 3600 + min * 60 + sec - off;
    return 1;
}

/* 1 if lit is one JSON string literal (RFC 8259 escapes) whose value is
 * exactly s. */
static int json_decodes_to(const char *lit, const char *s)
{
    const char *c = lit;
    size_t i = 0;

    if (*c++ != '"') {
        return 0;
    }
    while (*c != '"') {
        unsigned char want;

        if ((unsigned char)*c < 0x20) {
            return 0;                   /* raw control: invalid JSON */
        }
        if (*c == '\\') {
            static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
            const char *e;

            c++;
            if (*c == 'u') {
                unsigned v = 0;
                int k;

                for (k = 1; k <= 4; k++) {
                    char h = c[k];

                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f')
                          || (h >= 'A' && h <= 'F'))) {
                        return 0;
                    }
                    v = v * 16 + (unsigned)(h <= '9' ? h - '0'
                                            : (h | 0x20) - 'a' + 10);
                }
                if (v > 0xff) {
                    return 0;           /* never produced for a byte */
                }
                want = (unsigned char)v;
                c += 5;
            }
            else if (*c && (e = strchr(esc, *c)) != NULL) {
                want = (unsigned char)val[e - esc];
                c++;
            }
            else {
                return 0;
            }
        }
        else {
            want = (unsigned char)*c++;
        }
        if ((unsigned char)s[i] != want || !s[i]) {
            return 0;
        }
        i++;
    }
    return s[i] == '\0' && c[1] == '\0';
}

/* --- the target ---------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    apr_interval_time_t got = -12345;
    int64_t want = 0;
    const char *why;
    int ok;

    why = upkeep_parse_duration(s, &got);
    ok = ref_duration(s, &want);
    if ((why == NULL) != ok) {
        fuzz_fail("upkeep_parse_duration('%s'): %s, reference: %s", s,
                  why ? why : "accepted", ok ? "valid" : "invalid");
    }
    if (ok && got != want) {
        fuzz_fail("upkeep_parse_duration('%s') = %" APR_INT64_T_FMT
                  " usec, reference %" APR_INT64_T_FMT, s,
                  (apr_int64_t)got, (apr_int64_t)want);
    }

    why = upkeep_check_scope_name(s);
    ok = ref_scope_name(s);
    if ((why == NULL) != ok) {
        fuzz_fail("upkeep_check_scope_name('%s'): %s, reference: %s", s,
                  why ? why : "accepted", ok ? "valid" : "invalid");
    }

    why = upkeep_check_reason(s);
    ok = ref_reason(s);
    if ((why == NULL) != ok) {
        fuzz_fail("upkeep_check_reason(%zu bytes): %s, reference: %s",
                  strlen(s), why ? why : "accepted",
                  ok ? "valid" : "invalid");
    }

    {
        int64_t at = -12345, want_at = 0;

        why = upkeep_parse_time(s, REF_NOW, &at);
        ok = ref_time(s, REF_NOW, &want_at);
        if ((why == NULL) != ok) {
            fuzz_fail("upkeep_parse_time('%s'): %s, reference: %s", s,
                      why ? why : "accepted", ok ? "valid" : "invalid");
        }
        if (why && !*why) {
            fuzz_fail("upkeep_parse_time('%s'): empty error message", s);
        }
        if (ok && at != want_at) {
            fuzz_fail("upkeep_parse_time('%s') = %" APR_INT64_T_FMT
                      ", reference %" APR_INT64_T_FMT, s,
                      (apr_int64_t)at, (apr_int64_t)want_at);
        }
    }

    {
        apr_pool_t *p;
        const char *lit;

        apr_pool_create(&p, fuzz_root);
        lit = upkeep_json_str(p, s);
        if (!json_decodes_to(lit, s)) {
            fuzz_fail("upkeep_json_str(%zu bytes) = %s: not a JSON string "
                      "literal of the input", strlen(s), lit);
        }
        apr_pool_destroy(p);
    }
    free(s);
    return 0;
}
