/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_bypass.c: the staff bypass.  With UpkeepBypassSecret every scope
 * has a token; visiting UpkeepBypassPath + TOKEN sets a signed, expiring
 * cookie, and requests of that scope that carry it are served as in
 * normal mode.
 *
 *   token   base64url(HMAC-SHA256(secret, "upkeep-bypass-token\n" SCOPE)),
 *           the first 32 characters (192 bits)
 *   cookie  upkeep_bypass_SCOPE=SCOPE:EXPIRY:MAC, where MAC is
 *           base64url(HMAC-SHA256(secret, "upkeep-bypass-cookie\n" SCOPE
 *           "\n" EXPIRY)) and EXPIRY is in unix seconds
 *
 * Both derive from the secret alone: replacing the secret file and
 * restarting httpd voids every URL and cookie handed out before.
 * One cookie per scope, so staff can hold the bypass of several scopes.
 */

#include <string.h>

#include "apr_encode.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "ap_listen.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"

#include "upkeep_private.h"

#define BYPASS_DEFAULT_PATH  "/.upkeep/bypass/"
#define BYPASS_DEFAULT_TTL   apr_time_from_sec(12 * 3600)
#define BYPASS_TTL_MIN       apr_time_from_sec(60)
#define BYPASS_TTL_MAX       apr_time_from_sec(30 * 86400)
#define BYPASS_TOKEN_LEN     32
#define BYPASS_COOKIE        "upkeep_bypass_"
/* RFC 3986 unreserved characters and '/' */
#define BYPASS_PATH_CHARS    "abcdefghijklmnopqrstuvwxyz" \
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/"
/* The bypass cookies taken out of the request's Cookie header (r->notes
 * of the initial request). */
#define BYPASS_NOTE          "upkeep-bypass-cookies"

const char *upkeep_set_bypass(cmd_parms *cmd, void *dummy, const char *arg)
{
    upkeep_server_conf *sc = ap_get_module_config(cmd->server->module_config,
                                                  &upkeep_module);
    const char *name = cmd->cmd->name, *why;
    apr_interval_time_t t;
    upkeep_bypass_secret_t *b;

    (void)dummy;
    switch ((int)(apr_uintptr_t)cmd->info) {
    case UPKEEP_BYPASS_SECRET:
        /* Read now, as root: children only ever hold it in memory. */
        b = apr_pcalloc(cmd->pool, sizeof(*b));
        b->file = ap_server_root_relative(cmd->pool, arg);
        if (!b->file) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a valid path",
                                name, arg);
        }
        why = upkeep_secret_read(cmd->pool, b->file, b->key, &b->key_len);
        if (why) {
            return apr_psprintf(cmd->pool, "%s: %s", name, why);
        }
        sc->bypass = b;
        upkeep_bypass_configured = 1;
        return NULL;
    case UPKEEP_BYPASS_TTL:
        why = upkeep_parse_duration(arg, &t);
        if (!why && (t < BYPASS_TTL_MIN || t > BYPASS_TTL_MAX)) {
            why = "must be between 1m and 30d";
        }
        sc->bypass_ttl = t;
        break;
    default:
        /* the token follows the path's last slash */
        sc->bypass_path = arg[strlen(arg) - 1] == '/'
                          ? arg : apr_pstrcat(cmd->pool, arg, "/", NULL);
        /* compared with the path as sent: only characters no browser
         * escapes, and no segment a browser would rewrite */
        why = arg[0] != '/' || arg[strspn(arg, BYPASS_PATH_CHARS)]
              || strstr(sc->bypass_path, "//")
              || strstr(sc->bypass_path, "/./")
              || strstr(sc->bypass_path, "/../")
              ? "is not a plain URL path (letters, digits and '-._~' "
                "between single slashes)"
              : strcmp(arg, "/") == 0 ? "would take every path" : NULL;
        break;
    }
    return why ? apr_psprintf(cmd->pool, "%s: '%s' %s", name, arg, why)
               : NULL;
}

static apr_interval_time_t ttl_of(const upkeep_server_conf *sc)
{
    return sc->bypass_ttl != -1 ? sc->bypass_ttl : BYPASS_DEFAULT_TTL;
}

static const char *path_of(const upkeep_server_conf *sc)
{
    return sc->bypass_path ? sc->bypass_path : BYPASS_DEFAULT_PATH;
}

/* base64url of the secret's HMAC of msg, cut to `keep` characters. */
static char *mac_text(apr_pool_t *p, const upkeep_bypass_secret_t *b,
                      const char *msg, apr_size_t keep)
{
    unsigned char mac[UPKEEP_MAC_LEN];
    char *text;

    upkeep_hmac_sha256(b->key, b->key_len, msg, strlen(msg), mac);
    /* the pool's copy is ours to cut */
    text = (char *)apr_pencode_base64_binary(p, mac, sizeof(mac),
                                             APR_ENCODE_BASE64URL
                                             | APR_ENCODE_NOPADDING, NULL);
    if (keep && strlen(text) > keep) {
        text[keep] = '\0';
    }
    return text;
}

static const char *cookie_mac(apr_pool_t *p, const upkeep_bypass_secret_t *b,
                              const char *scope, const char *expiry)
{
    return mac_text(p, b, apr_pstrcat(p, "upkeep-bypass-cookie\n", scope,
                                      "\n", expiry, NULL), 0);
}

/* --- the bypass URL ---------------------------------------------------- */

/* Neither the access log nor anything after this sees the token: the
 * request is logged as METHOD PATH PROTOCOL, token and query dropped. */
static void hide_token(request_rec *r, const char *path)
{
    r->uri = apr_pstrdup(r->pool, path);
    r->unparsed_uri = r->uri;
    r->parsed_uri.path = r->uri;
    r->parsed_uri.query = NULL;
    r->args = NULL;
    r->the_request = apr_pstrcat(r->pool, r->method, " ", path, " ",
                                 r->protocol, NULL);
}

/* Part of the module's quick handler: before the gate and in every mode,
 * so the URL works in maintenance too.  A wrong token gets a plain 404 in every mode: the
 * path is documented and no secret, and a stale link should say so
 * rather than show the maintenance page as if it had worked. */
int upkeep_bypass_handler(request_rec *r, int lookup_uri)
{
    const upkeep_server_conf *sc;
    const char *path, *token, *scope, *expiry, *cookie;
    apr_interval_time_t ttl;
    apr_size_t n;
    int i;

    if (!upkeep_bypass_configured || lookup_uri || r->main
        || !r->parsed_uri.path) {
        return DECLINED;
    }
    sc = ap_get_module_config(r->server->module_config, &upkeep_module);
    path = path_of(sc);
    n = strlen(path);
    if (!sc->bypass || !sc->bypass->tokens
        || strncmp(r->parsed_uri.path, path, n) != 0) {
        return DECLINED;
    }
    token = r->parsed_uri.path + n;
    hide_token(r, path);
    for (i = 0; strlen(token) == BYPASS_TOKEN_LEN
                && i < upkeep_scope_count(); i++) {
        if (upkeep_mac_equal(token, sc->bypass->tokens[i],
                             BYPASS_TOKEN_LEN)) {
            break;
        }
    }
    if (strlen(token) != BYPASS_TOKEN_LEN || i == upkeep_scope_count()) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "UPK0153: a staff bypass "
                      "URL with a wrong or outdated token: 404");
        return HTTP_NOT_FOUND;
    }
    scope = upkeep_scope_name(i);
    ttl = ttl_of(sc);
    expiry = apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                          (apr_int64_t)apr_time_sec(r->request_time + ttl));
    cookie = apr_pstrcat(r->pool, BYPASS_COOKIE, scope, "=", scope, ":",
                         expiry, ":", cookie_mac(r->pool, sc->bypass, scope,
                                                 expiry),
                         "; Path=/; Max-Age=",
                         apr_ltoa(r->pool, (long)apr_time_sec(ttl)),
                         "; HttpOnly; SameSite=Lax",
                         strcmp(ap_http_scheme(r), "https") == 0
                         ? "; Secure" : "", NULL);
    /* a redirect goes out through the error path, which sends only
     * err_headers_out (and Location) */
    apr_table_addn(r->err_headers_out, "Set-Cookie", cookie);
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
    apr_table_setn(r->headers_out, "Location", "/");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "UPK0154: staff bypass "
                  "cookie set for scope '%s' (for %" APR_TIME_T_FMT "s)",
                  scope, apr_time_sec(ttl));
    return HTTP_MOVED_TEMPORARILY;
}

/* --- the cookie -------------------------------------------------------- */

/* Pieces of the joined result, separators included, so that each is
 * built once (apr_array_pstrcat) however many pairs a header holds. */
typedef struct {
    apr_array_header_t *keep;   /* other cookies: "a=1", "; ", "b=2" */
    apr_array_header_t *taken;  /* ours: "name=value", ";", ... */
} cookie_split_t;

static int has_bypass_cookie(void *data, const char *key, const char *value)
{
    (void)data;
    (void)key;
    return strstr(value, BYPASS_COOKIE) == NULL;
}

static void add_piece(apr_array_header_t *to, const char *sep,
                      const char *piece)
{
    if (to->nelts) {
        APR_ARRAY_PUSH(to, const char *) = sep;
    }
    APR_ARRAY_PUSH(to, const char *) = piece;
}

/* One cookie-pair: ours are taken, the others kept. */
static void sort_pair(cookie_split_t *cs, char *pair)
{
    char *end;

    while (apr_isspace(*pair)) {
        pair++;
    }
    for (end = pair + strlen(pair); end > pair && apr_isspace(end[-1]);
         end--) {
        end[-1] = '\0';
    }
    if (!*pair) {
        return;
    }
    if (strncmp(pair, BYPASS_COOKIE, sizeof(BYPASS_COOKIE) - 1) == 0) {
        add_piece(cs->taken, ";", pair);
    }
    else {
        add_piece(cs->keep, "; ", pair);
    }
}

static int split_cookies(void *data, const char *key, const char *value)
{
    cookie_split_t *cs = data;
    char *copy = apr_pstrdup(cs->keep->pool, value), *pair, *last, *part;
    char *rest;

    (void)key;
    for (pair = apr_strtok(copy, ";", &last); pair;
         pair = apr_strtok(NULL, ";", &last)) {
        /* httpd joins repeated Cookie headers with ", "; cookie values
         * hold no comma (RFC 6265), so around ours each part is a pair */
        if (strchr(pair, ',') && strstr(pair, BYPASS_COOKIE)) {
            for (part = apr_strtok(pair, ",", &rest); part;
                 part = apr_strtok(NULL, ",", &rest)) {
                sort_pair(cs, part);
            }
        }
        else {
            sort_pair(cs, pair);
        }
    }
    return 1;
}

/* The cookie never reaches a backend (CGI, mod_proxy, PHP): taken out of
 * the request in every mode and every virtual host once any has
 * UpkeepBypassSecret (a browser sends it to every port of the host name),
 * kept in r->notes for the gate.  Called from the module's
 * post_read_request hook. */
void upkeep_bypass_strip(request_rec *r)
{
    cookie_split_t *cs;

    if (!upkeep_bypass_configured
        || apr_table_do(has_bypass_cookie, NULL, r->headers_in, "Cookie",
                        NULL)) {
        return;
    }
    /* in the pool, not on the stack: the common path above then needs
     * no stack frame */
    cs = apr_palloc(r->pool, sizeof(*cs));
    cs->keep = apr_array_make(r->pool, 8, sizeof(const char *));
    cs->taken = apr_array_make(r->pool, 2, sizeof(const char *));
    apr_table_do(split_cookies, cs, r->headers_in, "Cookie", NULL);
    if (!cs->taken->nelts) {
        return;
    }
    apr_table_unset(r->headers_in, "Cookie");
    if (cs->keep->nelts) {
        apr_table_setn(r->headers_in, "Cookie",
                       apr_array_pstrcat(r->pool, cs->keep, '\0'));
    }
    apr_table_setn(r->notes, BYPASS_NOTE,
                   apr_array_pstrcat(r->pool, cs->taken, '\0'));
}

/* NULL when value (SCOPE:EXPIRY:MAC) is a valid cookie for scope, else
 * why not; *level is how loudly to say so. */
static const char *check_cookie(request_rec *r, const upkeep_server_conf *sc,
                                const char *scope, char *value, int *level)
{
    char *expiry = strchr(value, ':'), *mac = NULL;
    const char *want;
    apr_int64_t t, now = apr_time_sec(r->request_time);

    *level = APLOG_INFO;
    if (expiry) {
        *expiry++ = '\0';
        mac = strchr(expiry, ':');
    }
    if (!mac) {
        return "is malformed";
    }
    *mac++ = '\0';
    if (strcmp(value, scope) != 0) {
        return apr_psprintf(r->pool, "is for scope '%s'",
                            ap_escape_logitem(r->pool, value));
    }
    want = cookie_mac(r->pool, sc->bypass, scope, expiry);
    if (strlen(mac) != strlen(want)
        || !upkeep_mac_equal(mac, want, strlen(want))) {
        return "has a bad signature (forged, or signed with an earlier "
               "UpkeepBypassSecret)";
    }
    /* signed by us: digits */
    t = apr_strtoi64(expiry, NULL, 10);
    *level = APLOG_DEBUG;
    if (t <= now) {
        return "has expired";
    }
    /* a shorter UpkeepBypassTTL applies to cookies handed out before */
    if (t > now + apr_time_sec(ttl_of(sc))) {
        return "lives longer than UpkeepBypassTTL allows";
    }
    return NULL;
}

int upkeep_bypass_allows(request_rec *r, int scope)
{
    const upkeep_server_conf *sc;
    const request_rec *first = r;
    const char *name, *taken;
    char *copy, *pair, *last;
    apr_size_t n;

    if (!upkeep_bypass_configured) {
        return 0;
    }
    sc = ap_get_module_config(r->server->module_config, &upkeep_module);
    /* internal redirects share the headers, not the notes */
    while (first->prev) {
        first = first->prev;
    }
    if (!sc->bypass || !(taken = apr_table_get(first->notes, BYPASS_NOTE))) {
        return 0;
    }
    name = apr_pstrcat(r->pool, BYPASS_COOKIE, upkeep_scope_name(scope), "=",
                       NULL);
    n = strlen(name);
    copy = apr_pstrdup(r->pool, taken);
    for (pair = apr_strtok(copy, ";", &last); pair;
         pair = apr_strtok(NULL, ";", &last)) {
        const char *why;
        int level;

        if (strncmp(pair, name, n) != 0) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "UPK0155: ignored "
                          "the bypass cookie %s: this is scope '%s'",
                          ap_escape_logitem(r->pool, apr_pstrndup(
                              r->pool, pair, strcspn(pair, "="))),
                          upkeep_scope_name(scope));
            continue;
        }
        why = check_cookie(r, sc, upkeep_scope_name(scope), pair + n, &level);
        if (!why) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "UPK0150: %s %s "
                          "passes with a staff bypass cookie", r->method,
                          r->uri);
            return 1;
        }
        ap_log_rerror(APLOG_MARK, level, 0, r, "%s: ignored a bypass cookie "
                      "of scope '%s': it %s", level == APLOG_DEBUG
                      ? "UPK0151" : "UPK0152", upkeep_scope_name(scope), why);
    }
    return 0;
}

/* --- startup: tokens, and what upkeepctl bypass-url prints -------------- */

/* Every scope the virtual host names: its own and its sections'. */
static void vhost_scopes(server_rec *v, char used[UPKEEP_MAX_SCOPES])
{
    core_server_config *core = ap_get_core_module_config(v->module_config);
    apr_array_header_t *sections[2];
    const upkeep_dir_conf *top = ap_get_module_config(v->lookup_defaults,
                                                      &upkeep_module);
    int i, j;

    memset(used, 0, UPKEEP_MAX_SCOPES);
    used[top ? upkeep_conf_scope(top) : 0] = 1;
    sections[0] = core->sec_url;
    sections[1] = core->sec_dir;
    for (j = 0; j < 2; j++) {
        for (i = 0; sections[j] && i < sections[j]->nelts; i++) {
            const upkeep_dir_conf *dc = ap_get_module_config(
                APR_ARRAY_IDX(sections[j], i, ap_conf_vector_t *),
                &upkeep_module);

            if (dc && dc->scope != -1) {
                used[dc->scope] = 1;
            }
        }
    }
}

static const char *vhost_urls(apr_pool_t *p, server_rec *v,
                              const upkeep_server_conf *sc)
{
    apr_port_t port = v->port ? v->port : v->addrs ? v->addrs->host_port : 0;

    /* a main server whose ServerName has no port answers on its Listen */
    if (!port && !v->is_virtual && ap_listeners && ap_listeners->bind_addr) {
        port = ap_listeners->bind_addr->port;
    }
    const char *scheme = v->server_scheme ? v->server_scheme
                         : port == 443 ? "https" : "http";
    const char *host = v->server_hostname, *base, *out = "";
    char used[UPKEEP_MAX_SCOPES];
    int i;

    if (!host) {
        return "";
    }
    if (strchr(host, ':')) {
        host = apr_pstrcat(p, "[", host, "]", NULL);
    }
    base = apr_psprintf(p, "%s://%s%s%s", scheme, host,
                        !port || port == apr_uri_port_of_scheme(scheme)
                        ? "" : ":", !port
                        || port == apr_uri_port_of_scheme(scheme)
                        ? "" : apr_itoa(p, port));
    vhost_scopes(v, used);
    for (i = 0; i < upkeep_scope_count(); i++) {
        if (used[i]) {
            out = apr_pstrcat(p, out, "url ", upkeep_scope_name(i), " ",
                              base, path_of(sc), sc->bypass->tokens[i], "\n",
                              NULL);
        }
    }
    return out;
}

apr_status_t upkeep_bypass_record(apr_pool_t *pconf, apr_pool_t *ptemp,
                                  const char *dir, server_rec *s)
{
    const char *path = apr_pstrcat(ptemp, dir, "/" UPKEEP_BYPASS_CONF, NULL);
    const char *text = "# written by mod_upkeep at startup, for upkeepctl "
                       "bypass-url\nscopes";
    char err[UPKEEP_ERRMSG_MAX];
    server_rec *v;
    apr_status_t rv;
    int i, kept;

    if (!upkeep_bypass_configured) {
        apr_file_remove(path, ptemp);
        return APR_SUCCESS;
    }
    for (i = 0; i < upkeep_scope_count(); i++) {
        text = apr_pstrcat(ptemp, text, " ", upkeep_scope_name(i), NULL);
    }
    text = apr_pstrcat(ptemp, text, "\n", NULL);
    for (v = s; v; v = v->next) {
        upkeep_server_conf *sc = ap_get_module_config(v->module_config,
                                                      &upkeep_module);
        upkeep_bypass_secret_t *b = sc->bypass;

        if (!b) {
            continue;
        }
        if (!b->tokens) {   /* virtual hosts may share one secret */
            b->tokens = apr_pcalloc(pconf, sizeof(*b->tokens)
                                           * upkeep_scope_count());
            for (i = 0; i < upkeep_scope_count(); i++) {
                b->tokens[i] = mac_text(pconf, b, apr_pstrcat(
                    ptemp, "upkeep-bypass-token\n", upkeep_scope_name(i),
                    NULL), BYPASS_TOKEN_LEN);
            }
        }
        /* with virtual hosts, the main server only gets what none of
         * them takes: list the virtual hosts */
        if (v != s || !s->next) {
            text = apr_pstrcat(ptemp, text, vhost_urls(ptemp, v, sc), NULL);
        }
    }
    rv = upkeep_file_update(ptemp, path, text, APR_FPROT_UREAD
                            | APR_FPROT_UWRITE | APR_FPROT_GREAD, &kept, err);
    if (rv != APR_SUCCESS && kept) {
        /* the old file still serves upkeepctl bypass-url: a full disk
         * must not take the site down at a graceful restart */
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, "UPK0051: %s; the old "
                     "file is kept (upkeepctl bypass-url may show outdated "
                     "URLs until it can be written)", err);
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0050: %s", err);
    }
    return rv;
}

void upkeep_bypass_register_hooks(apr_pool_t *p)
{
    (void)p;
}
