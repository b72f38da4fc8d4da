/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_cluster.h: the cluster layer's wire value and its memcached
 * transport, shared by the module's poller and upkeepctl --cluster.
 *
 * A value is the durable record text (upkeep_state.h) followed by
 *     hmac-sha256 <64 hex digits>
 * computed over "upkeep-cluster-value\n" KEY-PREFIX "\n" TEXT with the
 * shared secret, so a value cannot be forged, truncated, moved to another
 * scope or replayed into another cluster.  Every server holds a full copy:
 * losing one memcached loses nothing.
 */

#ifndef UPKEEP_CLUSTER_H
#define UPKEEP_CLUSTER_H

#include "apr_network_io.h"

#include "upkeep_state.h"

#define UPKEEP_MAX_SERVERS        8
#define UPKEEP_SECRET_MAX         256     /* bytes of secret used */
#define UPKEEP_SECRET_MIN         16
#define UPKEEP_VALUE_MAX          4096
#define UPKEEP_DEFAULT_KEY_PREFIX "upkeep"
#define UPKEEP_DEFAULT_TIMEOUT_MS 200

typedef struct {
    int nservers;
    const char *host[UPKEEP_MAX_SERVERS];
    apr_port_t port[UPKEEP_MAX_SERVERS];
    const char *key_prefix;
    const char *secret_file;            /* NULL: values are not signed */
    unsigned char secret[UPKEEP_SECRET_MAX];
    apr_size_t secret_len;              /* 0: unsigned */
    int timeout_ms;                     /* connect, poll, send, receive */
} upkeep_cluster_conf_t;

/* "h1:11211,h2:11211" (or space separated) -> conf; NULL or why not. */
const char *upkeep_cluster_parse_servers(apr_pool_t *p, const char *list,
                                         upkeep_cluster_conf_t *cc);
/* "host:port" ("[v6]:port") of server i, as logs and pages name it. */
const char *upkeep_cluster_server_name(apr_pool_t *p,
                                       const upkeep_cluster_conf_t *cc,
                                       int i);
/* The servers of mask (bit i: server i, as the poller publishes them in
 * the live file's sync.failing_servers): "a, b", or JSON strings "\"a\",\"b\"". */
const char *upkeep_cluster_server_list(apr_pool_t *p,
                                       const upkeep_cluster_conf_t *cc,
                                       uint32_t mask, int json);
/* Key prefix check: 1..64 of [A-Za-z0-9_.:-]. NULL or why not. */
const char *upkeep_cluster_check_prefix(const char *prefix);
/* Reads the secret (trailing newline dropped); NULL or why not. */
const char *upkeep_cluster_read_secret(apr_pool_t *p, const char *path,
                                       upkeep_cluster_conf_t *cc);

/* --- secrets and MACs, shared by the cluster values and the staff
 * bypass (mod_upkeep's upkeep_bypass.c) ---------------------------------- */
#define UPKEEP_MAC_LEN 32                 /* HMAC-SHA256 */

/* Reads a secret file of UPKEEP_SECRET_MIN..UPKEEP_SECRET_MAX bytes
 * (trailing newlines dropped) into key; NULL or why not, naming path. */
const char *upkeep_secret_read(apr_pool_t *p, const char *path,
                               unsigned char key[UPKEEP_SECRET_MAX],
                               apr_size_t *key_len);
void upkeep_hmac_sha256(const unsigned char *key, apr_size_t key_len,
                        const void *msg, apr_size_t len,
                        unsigned char mac[UPKEEP_MAC_LEN]);
/* Constant-time comparison of n bytes: 1 when equal. */
int upkeep_mac_equal(const void *a, const void *b, apr_size_t n);

/* STATE_DIR/cluster.conf, written by httpd for upkeepctl. */
const char *upkeep_cluster_conf_encode(apr_pool_t *p,
                                       const upkeep_cluster_conf_t *cc);
/* APR_ENOENT when httpd has no cluster configured. */
apr_status_t upkeep_cluster_conf_load(apr_pool_t *p, const char *dir,
                                      upkeep_cluster_conf_t *cc,
                                      char *errbuf);

const char *upkeep_cluster_key(apr_pool_t *p,
                               const upkeep_cluster_conf_t *cc,
                               const char *scope);
const char *upkeep_value_encode(apr_pool_t *p,
                                const upkeep_cluster_conf_t *cc,
                                const char *scope,
                                const upkeep_record_t *rec);
/* The signed value of rec, and its signature stored in rec->signature. */
const char *upkeep_value_sign(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                              const char *scope, upkeep_record_t *rec);
/* Whether rec carries this secret's signature (always, without one). */
int upkeep_value_ours(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                      const char *scope, const upkeep_record_t *rec);
/* Strict: size-capped, signature checked (when a secret is set), record
 * parsed.  APR_EINVAL with the reason in errbuf otherwise. */
apr_status_t upkeep_value_decode(apr_pool_t *p,
                                 const upkeep_cluster_conf_t *cc,
                                 const char *scope, const char *value,
                                 apr_size_t len, upkeep_record_t *rec,
                                 char *errbuf);

/* --- transport: libmemcached, with a deadline per operation ----------- *
 * libmemcached's timeouts bound each wait for the socket, not an
 * operation: a server that trickles its reply holds a call for minutes.
 * So every server has a worker thread with its own handle, and a caller
 * waits for an operation until its deadline (the timeout, in total), then
 * leaves it: the server is "late" and skipped at once until its worker
 * has finished alone.  Workers live as long as the process and use no
 * memory of the caller's pools.  One caller thread at a time. */

typedef struct upkeep_mc_t upkeep_mc_t;

/* Handles in the process that uses them (never before fork).  The
 * workers outlive the pool; what the caller sees of them does not. */
apr_status_t upkeep_mc_open(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                            upkeep_mc_t **mc, char *errbuf);

typedef enum {
    UPKEEP_GET_FOUND,       /* got the value; for a SET: stored */
    UPKEEP_GET_MISSING,     /* the server answered: no such key */
    UPKEEP_GET_ERROR        /* no answer in time, or an error */
} upkeep_get_e;

/* What one server answered to upkeep_mc_each(). */
typedef struct {
    upkeep_get_e got;
    char *value;            /* GET: NUL-terminated, in the caller's pool */
    apr_size_t len;
    char err[UPKEEP_ERRMSG_MAX];    /* why, on UPKEEP_GET_ERROR (the server
                                     * is upkeep_mc_server_name()) */
} upkeep_mc_reply_t;

/* One operation on every server i with want[i] set (want NULL: all), at
 * once, all within one timeout: a GET of key (value NULL) or a SET of
 * value with an expiry in seconds (ttl 0: none).  Servers not wanted get
 * UPKEEP_GET_ERROR with an empty err. */
void upkeep_mc_each(upkeep_mc_t *mc, apr_pool_t *p, const char *key,
                    const char *value, int ttl, const int *want,
                    upkeep_mc_reply_t *out);

/* A GET on server i alone, within the same timeout. */
upkeep_get_e upkeep_mc_get(upkeep_mc_t *mc, int i, apr_pool_t *p,
                           const char *key, char **value, apr_size_t *len,
                           char *errbuf);

/* --- writes in flight, per node (upkeepctl --cluster --wait) ---------- *
 * Every node's poller reports, per scope, the key
 *     PREFIX:SCOPE:writes:NODE = "CLUSTER-VERSION IN-FLIGHT UNIX-TIME"
 * and lists itself in PREFIX:nodes (space separated).  A node whose report
 * is older than UPKEEP_NODE_SILENT seconds has stopped reporting: --wait
 * cannot confirm it (never "gone").  The report expires after
 * UPKEEP_WRITES_TTL: a node removed for good is no longer expected ten
 * minutes after its last report. */
#define UPKEEP_NODE_SILENT 30
#define UPKEEP_WRITES_TTL 600

/* "host-1a2b3c4d": the host name and a hash of the state directory, so
 * two httpd instances on one host are two nodes. */
const char *upkeep_node_id(apr_pool_t *p, const char *state_dir);
const char *upkeep_writes_key(apr_pool_t *p, const upkeep_cluster_conf_t *cc,
                              const char *scope, const char *node);
const char *upkeep_nodes_key(apr_pool_t *p, const upkeep_cluster_conf_t *cc);
/* Parses a writes value; 0 if it is not one. */
int upkeep_writes_parse(const char *value, uint64_t *version,
                        int64_t *inflight, int64_t *when);
const char *upkeep_mc_server_name(const upkeep_mc_t *mc, int i);

#endif /* UPKEEP_CLUSTER_H */
