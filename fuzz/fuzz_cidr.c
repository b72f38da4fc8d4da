/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * fuzz_cidr: UpkeepAllowFrom's arguments, upkeep_parse_cidr().
 *
 * Input: a directive line; it is split on white space as httpd splits
 * an ITERATE directive, and each item is parsed.  Every subnet that
 * parses is then tested against a fixed set of client addresses (IPv4,
 * IPv6, IPv4-mapped), as the request gate does.  Properties:
 *  - a rejected item gets a non-empty message;
 *  - an accepted item that is a plain address (inet_pton) or an
 *    ADDRESS/BITS block matches that very address.
 */

#include <arpa/inet.h>
#include <netinet/in.h>

#include "apr_lib.h"
#include "apr_network_io.h"

#include "upkeep_state.h"

#include "fuzz_util.h"

static const char *const clients[] = {
    "127.0.0.1", "10.1.2.3", "192.0.2.7", "0.0.0.0", "255.255.255.255",
    "::1", "2001:db8::7", "fe80::1", "::", "::ffff:10.1.2.3",
};
#define NCLIENTS (sizeof(clients) / sizeof(clients[0]))

static apr_sockaddr_t *client_sa[NCLIENTS];
static apr_sockaddr_t *probe4, *probe6;     /* addresses copied in */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;

    (void)argc;
    (void)argv;
    fuzz_apr_init();
    for (i = 0; i < NCLIENTS; i++) {
        if (apr_sockaddr_info_get(&client_sa[i], clients[i], APR_UNSPEC, 80,
                                  0, fuzz_root) != APR_SUCCESS) {
            fuzz_fail("cannot make a sockaddr for %s", clients[i]);
        }
    }
    if (apr_sockaddr_info_get(&probe4, "0.0.0.0", APR_INET, 80, 0,
                              fuzz_root) != APR_SUCCESS
        || apr_sockaddr_info_get(&probe6, "::", APR_INET6, 80, 0,
                                 fuzz_root) != APR_SUCCESS) {
        fuzz_fail("cannot make the probe sockaddrs");
    }
    return 0;
}

/* If item is "ADDR" or "ADDR/BITS" with ADDR a plain inet_pton address,
 * the subnet must contain ADDR. */
static void check_self_match(const char *item, apr_ipsubnet_t *sub)
{
    char addr[64];
    const char *slash = strchr(item, '/');
    size_t n = slash ? (size_t)(slash - item) : strlen(item);
    struct in_addr a4;
    struct in6_addr a6;
    apr_sockaddr_t *sa;

    if (n >= sizeof(addr)) {
        return;
    }
    memcpy(addr, item, n);
    addr[n] = '\0';
    if (slash) {
        const char *b = slash + 1;

        /* only plain decimal bit counts: a dotted mask may legally not
         * cover the address's own bits in the usual way */
        if (!*b || strspn(b, "0123456789") != strlen(b) || strlen(b) > 3) {
            return;
        }
    }
    if (inet_pton(AF_INET, addr, &a4) == 1) {
        sa = probe4;
        memcpy(&sa->sa.sin.sin_addr, &a4, sizeof(a4));
    }
    else if (inet_pton(AF_INET6, addr, &a6) == 1) {
        sa = probe6;
        memcpy(&sa->sa.sin6.sin6_addr, &a6, sizeof(a6));
    }
    else {
        return;
    }
    if (!apr_ipsubnet_test(sub, sa)) {
        fuzz_fail("UpkeepAllowFrom '%s' parses, but does not match %s",
                  item, addr);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_cstr(data, size);
    char *c = line;
    apr_pool_t *p;

    apr_pool_create(&p, fuzz_root);
    while (*c) {
        char *item;
        apr_ipsubnet_t *sub = NULL;
        const char *why;
        size_t i;

        while (*c && apr_isspace(*c)) {
            c++;
        }
        if (!*c) {
            break;
        }
        item = c;
        while (*c && !apr_isspace(*c)) {
            c++;
        }
        if (*c) {
            *c++ = '\0';
        }
        why = upkeep_parse_cidr(p, item, &sub);
        if (why) {
            if (!*why) {
                fuzz_fail("'%s' rejected with an empty message", item);
            }
            continue;
        }
        if (!sub) {
            fuzz_fail("'%s' accepted without a subnet", item);
        }
        for (i = 0; i < NCLIENTS; i++) {
            (void)apr_ipsubnet_test(sub, client_sa[i]);
        }
        check_self_match(item, sub);
    }
    apr_pool_destroy(p);
    free(line);
    return 0;
}
