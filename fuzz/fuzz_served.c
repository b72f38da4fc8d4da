/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_served: STATE_DIR/served.conf as upkeepctl reads it,
 * upkeep_served_parse().
 *
 * Input: the file's text.  Properties:
 *  - a refused text gets a non-empty message;
 *  - an accepted one names a node and at most UPKEEP_MAX_SCOPES valid
 *    scope names, a health path that starts with '/' or none;
 *  - encoding what was accepted and parsing that again gives the same
 *    values (the writer and the reader agree).
 */

#include "apr_strings.h"

#include "upkeep_view.h"

#include "fuzz_util.h"

FUZZ_INIT_APR_ONLY

static void check_same(const upkeep_served_t *a, const upkeep_served_t *b)
{
    int i;

    if (strcmp(a->pidfile, b->pidfile) != 0 || a->cluster != b->cluster
        || strcmp(a->node, b->node) != 0 || a->nscopes != b->nscopes
        || (!a->health != !b->health)
        || (a->health && strcmp(a->health, b->health) != 0)) {
        fuzz_fail("served.conf does not survive encode and parse");
    }
    for (i = 0; i < a->nscopes; i++) {
        if (strcmp(a->scopes[i].name, b->scopes[i].name) != 0
            || a->scopes[i].retry_after != b->scopes[i].retry_after
            || a->scopes[i].hold_max_ms != b->scopes[i].hold_max_ms
            || a->scopes[i].readonly_status != b->scopes[i].readonly_status) {
            fuzz_fail("scope %d does not survive encode and parse", i);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    upkeep_served_t sv, again;
    char err[UPKEEP_ERRMSG_MAX] = "";
    char *text;
    int i;

    apr_pool_create(&p, fuzz_root);
    text = apr_pstrmemdup(p, (const char *)data, size);
    if (upkeep_served_parse(p, "served.conf", text, &sv, err)
        != APR_SUCCESS) {
        if (!err[0]) {
            fuzz_fail("refused without a message");
        }
        apr_pool_destroy(p);
        return 0;
    }
    if (!sv.node || sv.nscopes > UPKEEP_MAX_SCOPES
        || (sv.health && sv.health[0] != '/')) {
        fuzz_fail("accepted a served.conf without a node, with too many "
                  "scopes or a health path not starting with '/'");
    }
    for (i = 0; i < sv.nscopes; i++) {
        if (upkeep_check_scope_name(sv.scopes[i].name)) {
            fuzz_fail("accepted an invalid scope name");
        }
    }
    text = apr_pstrdup(p, upkeep_served_encode(p, &sv));
    if (upkeep_served_parse(p, "served.conf", text, &again, err)
        != APR_SUCCESS) {
        fuzz_fail("its own encoding is refused: %s", err);
    }
    check_same(&sv, &again);
    apr_pool_destroy(p);
    return 0;
}
