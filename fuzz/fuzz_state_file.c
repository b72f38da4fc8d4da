/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_state_file: the durable state file, upkeep_record_decode().
 *
 * Input: the bytes of STATE_DIR/default.state, as upkeep_state_load()
 * hands them over (a buffer of exactly that length, not terminated).
 * Properties checked besides memory safety:
 *  - on failure, errbuf holds a terminated, non-empty message;
 *  - on success the record is sane (known mode, values in range, strings
 *    terminated, reason and changed-by pass upkeep_check_reason()), and
 *    upkeep_record_encode() of it decodes to the same record again.
 */

#include "upkeep_state.h"

#include "fuzz_util.h"

#define SCOPE "default"

FUZZ_INIT_APR_ONLY

static void check_record(const upkeep_record_t *rec, const char *what)
{
    if (rec->mode < 0 || rec->mode >= UPKEEP_MODE_COUNT) {
        fuzz_fail("%s: mode %d", what, (int)rec->mode);
    }
    if (rec->retry_after < 0 || rec->retry_after > UPKEEP_RETRY_AFTER_MAX) {
        fuzz_fail("%s: retry_after %d", what, (int)rec->retry_after);
    }
    if (rec->since < 0 || rec->until < 0) {
        fuzz_fail("%s: negative time", what);
    }
    if (!memchr(rec->reason, '\0', sizeof(rec->reason))
        || !memchr(rec->changed_by, '\0', sizeof(rec->changed_by))) {
        fuzz_fail("%s: unterminated string in the record", what);
    }
    if (upkeep_check_reason(rec->reason)
        || upkeep_check_reason(rec->changed_by)) {
        fuzz_fail("%s: accepted a reason/changed-by that "
                  "upkeep_check_reason() rejects", what);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    upkeep_record_t rec, again;
    char err[UPKEEP_ERRMSG_MAX];
    const char *enc;
    apr_status_t rv;
    apr_pool_t *p;

    memcpy(text, data, size);
    memset(err, 'X', sizeof(err));
    rv = upkeep_record_decode(text, size, SCOPE, &rec, err);
    free(text);
    if (rv != APR_SUCCESS) {
        if (!memchr(err, '\0', sizeof(err)) || !err[0]) {
            fuzz_fail("failed decode left no terminated message");
        }
        return 0;
    }
    check_record(&rec, "decoded");

    apr_pool_create(&p, fuzz_root);
    enc = upkeep_record_encode(p, SCOPE, &rec);
    memset(err, 'X', sizeof(err));
    if (upkeep_record_decode(enc, strlen(enc), SCOPE, &again, err)
            != APR_SUCCESS) {
        fuzz_fail("the encoding of a decoded record does not decode: "
                  "%.*s\n--- encoding:\n%s", (int)sizeof(err), err, enc);
    }
    check_record(&again, "re-decoded");
    /* decode zero-fills the record first: every field, present and future,
     * must come back as it was */
    if (memcmp(&again, &rec, sizeof(rec)) != 0) {
        fuzz_fail("encode/decode round trip changed the record\n"
                  "--- encoding:\n%s", enc);
    }
    apr_pool_destroy(p);
    return 0;
}
