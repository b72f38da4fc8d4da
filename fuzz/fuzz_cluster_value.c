/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_cluster_value: a value read from memcached, upkeep_value_decode()
 * (upkeep_cluster.c; built once the cluster code is merged).
 *
 * Input: FLAG VALUE.  Bit 0 of FLAG: decode with the shared secret (a
 * fixed 32-byte key) or without one; VALUE is the memcached value (a
 * buffer of exactly its length).  Key prefix "upkeep", scope "default".
 * Properties besides memory safety:
 *  - on failure, errbuf holds a terminated, non-empty message;
 *  - with a secret, a value that decodes is exactly
 *      TEXT "hmac-sha256 " HEX "\n"
 *    with HEX the HMAC-SHA256 (computed here with OpenSSL) of
 *    "upkeep-cluster-value\nupkeep\n" TEXT: nothing unsigned or forged
 *    gets through;
 *  - a decoded record is sane, and upkeep_value_encode() of it decodes
 *    to the same record.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "apr_strings.h"

#include "upkeep_cluster.h"
#include "upkeep_state.h"

#include "fuzz_util.h"

#define SCOPE  "default"
#define PREFIX "upkeep"

static const unsigned char secret[32] = "fuzz-secret-0123456789abcdefghij";

FUZZ_INIT_APR_ONLY

static void check_signed(const char *value, size_t len)
{
    static const char tag[] = "hmac-sha256 ";
    const char *head = "upkeep-cluster-value\n" PREFIX "\n";
    size_t taglen = sizeof(tag) - 1, hlen = strlen(head), text_len, i;
    unsigned char mac[EVP_MAX_MD_SIZE], *msg;
    unsigned int maclen = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];

    if (len < taglen + 65) {
        fuzz_fail("a signed value of %zu bytes decoded", len);
    }
    text_len = len - taglen - 65;
    if ((text_len && value[text_len - 1] != '\n')
        || memcmp(value + text_len, tag, taglen) != 0
        || value[len - 1] != '\n') {
        fuzz_fail("decoded a value whose last line is not the signature");
    }
    msg = malloc(hlen + text_len + 1);
    memcpy(msg, head, hlen);
    memcpy(msg + hlen, value, text_len);
    HMAC(EVP_sha256(), secret, (int)sizeof(secret), msg, hlen + text_len,
         mac, &maclen);
    free(msg);
    for (i = 0; i < maclen; i++) {
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    }
    if (maclen != 32 || memcmp(value + text_len + taglen, hex, 64) != 0) {
        fuzz_fail("decoded a value with a wrong signature");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    upkeep_cluster_conf_t cc;
    upkeep_record_t rec, again;
    char err[UPKEEP_ERRMSG_MAX];
    const char *enc;
    char *value;
    size_t len;
    apr_pool_t *p;
    apr_status_t rv;

    if (size < 1) {
        return 0;
    }
    memset(&cc, 0, sizeof(cc));
    cc.key_prefix = PREFIX;
    if (data[0] & 1) {
        memcpy(cc.secret, secret, sizeof(secret));
        cc.secret_len = sizeof(secret);
    }
    len = size - 1;
    value = malloc(len ? len : 1);
    memcpy(value, data + 1, len);

    apr_pool_create(&p, fuzz_root);
    memset(err, 'X', sizeof(err));
    rv = upkeep_value_decode(p, &cc, SCOPE, value, len, &rec, err);
    if (rv != APR_SUCCESS) {
        if (!memchr(err, '\0', sizeof(err)) || !err[0]) {
            fuzz_fail("failed decode left no terminated message");
        }
        goto done;
    }
    if (cc.secret_len) {
        check_signed(value, len);
    }
    if (rec.mode < 0 || rec.mode >= UPKEEP_MODE_COUNT
        || !memchr(rec.reason, '\0', sizeof(rec.reason))
        || !memchr(rec.changed_by, '\0', sizeof(rec.changed_by))
        || upkeep_check_reason(rec.reason)) {
        fuzz_fail("decoded an insane record");
    }
    enc = upkeep_value_encode(p, &cc, SCOPE, &rec);
    if (upkeep_value_decode(p, &cc, SCOPE, enc, strlen(enc), &again, err)
            != APR_SUCCESS) {
        fuzz_fail("the encoding of a decoded value does not decode: %s\n"
                  "--- encoding:\n%s", err, enc);
    }
    if (memcmp(&again, &rec, sizeof(rec)) != 0) {    /* both zero-filled */
        fuzz_fail("value encode/decode round trip changed the record\n"
                  "--- encoding:\n%s", enc);
    }
done:
    apr_pool_destroy(p);
    free(value);
    return 0;
}
