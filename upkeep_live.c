/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_live.c: the live file (upkeep_state.h) as httpd keeps it.  The
 * parent opens and maps it before it forks, publishes every configured
 * scope's durable mode into its slot at each start, and a watchdog logs
 * every transition once; the gate reads the slots (upkeep_scope_slot()).
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apr_strings.h"
#include "mod_watchdog.h"

#include "upkeep_private.h"

/* The live file mapped by the parent before it forks; every child
 * inherits the mapping.  Rebuilt on each configuration generation. */
static upkeep_live_map_t live_map;
upkeep_slot_t *upkeep_slots[UPKEEP_MAX_SCOPES];

/* What the watchdog last reported per scope. */
static uint64_t seen_version[UPKEEP_MAX_SCOPES][UPKEEP_LAYER_COUNT];
static int seen_mode[UPKEEP_MAX_SCOPES];

void upkeep_live_reset(void)
{
    memset(&live_map, 0, sizeof(live_map));
    memset(upkeep_slots, 0, sizeof(upkeep_slots));
}

upkeep_live_t *upkeep_live(void)
{
    return live_map.live;
}

/* The parent runs as root and children as User; only root and the
 * control group may touch the state (README, "Who may flip"). */
static int is_state_file(const char *name)
{
    return strcmp(name, UPKEEP_LOCK_FILE) == 0
           || strcmp(name, UPKEEP_LIVE_FILE) == 0
           || strcmp(name, UPKEEP_CLUSTER_CONF) == 0
           || strcmp(name, UPKEEP_BYPASS_CONF) == 0
           || strcmp(name, UPKEEP_SERVED_CONF) == 0
           || upkeep_has_suffix(name, UPKEEP_STATE_SUFFIX, NULL)
           || upkeep_has_suffix(name, UPKEEP_CLUSTER_SUFFIX, NULL);
}

/* The parent runs as root and children as User; only root and the
 * control group may touch the state (README, "Who may flip").  Files are
 * fixed up too: some may predate UpkeepControlGroup, and umask trims the
 * group bits of files created here. */
static apr_status_t secure_state_dir(const char *dir,
                                     const upkeep_server_conf *sc,
                                     apr_pool_t *ptemp, server_rec *s)
{
    gid_t gid = sc->control_group_set ? sc->control_group : 0;
    apr_status_t rv = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT
                                             & 0770, ptemp);

    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        return rv;
    }
    if (geteuid() != 0) {
        return APR_SUCCESS;
    }
    if (chown(dir, 0, gid) != 0
        || chmod(dir, sc->control_group_set ? 02770 : 0700) != 0) {
        rv = errno;
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "UPK0007: cannot set owner and mode of UpkeepStateDir "
                     "%s", dir);
        return rv;
    }
    return APR_SUCCESS;
}

/* Called once the lock and live files exist. */
static void secure_state_files(const char *dir, const upkeep_server_conf *sc,
                               apr_pool_t *ptemp, server_rec *s)
{
    gid_t gid = sc->control_group_set ? sc->control_group : 0;
    apr_dir_t *d;
    apr_finfo_t fi;

    if (geteuid() != 0 || apr_dir_open(&d, dir, ptemp) != APR_SUCCESS) {
        return;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        const char *path;
        struct stat st;
        int fd, err = 0;

        if (fi.filetype != APR_REG || !is_state_file(fi.name)) {
            continue;
        }
        path = apr_pstrcat(ptemp, dir, "/", fi.name, NULL);
        /* By descriptor: the group may swap in a link after the directory
         * was read, and root must not chown and chmod its target. */
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY
                        | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0) {
            err = errno;
        }
        else if (!S_ISREG(st.st_mode)) {
            err = EINVAL;
        }
        /* cluster.conf, bypass.conf and served.conf are httpd's to
         * write; the group only reads them */
        else if (fchown(fd, 0, gid) != 0
                 || fchmod(fd, strcmp(fi.name, UPKEEP_CLUSTER_CONF) == 0
                               || strcmp(fi.name, UPKEEP_BYPASS_CONF) == 0
                               || strcmp(fi.name, UPKEEP_SERVED_CONF) == 0
                               ? 0640 : 0660) != 0) {
            err = errno;
        }
        if (fd >= 0) {
            close(fd);
        }
        if (err) {
            ap_log_error(APLOG_MARK, APLOG_ERR, err, s,
                         "UPK0008: cannot set owner and mode of %s", path);
        }
    }
    apr_dir_close(d);
}

#define UPKEEP_WATCHDOG_NAME "_upkeep_"
#define UPKEEP_REPORT_INTERVAL apr_time_from_msec(500)

static void log_window(server_rec *s, apr_pool_t *p, int scope, int layer,
                       const upkeep_record_t *rec)
{
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "UPK0014: scope '%s': a %s "
                 "window is scheduled from %s%s%s (%s layer, version %"
                 APR_UINT64_T_FMT ", set by %s)", upkeep_scope_name(scope),
                 upkeep_mode_name(rec->mode), upkeep_iso_time(p, rec->starts),
                 rec->until ? " to " : ", no end",
                 upkeep_iso_time(p, rec->until), upkeep_layer_names[layer],
                 (apr_uint64_t)rec->version, rec->changed_by);
}

/* A watchdog callback run by one child per server (the leader, see
 * upkeep_watchdog_start()): one log line per transition, however many
 * children see it.  The others follow silently (log 0), so a child that
 * takes over does not log what was already logged. */
static void report_scan(server_rec *s, apr_pool_t *p, int log)
{
    int64_t now = apr_time_sec(apr_time_now());
    int i;

    for (i = 0; i < upkeep_scope_count() && upkeep_slots[i]; i++) {
        upkeep_record_t rec[UPKEEP_LAYER_COUNT];
        int mode, layer, l;

        upkeep_slot_read(upkeep_slots[i], now, &mode, &layer, rec, 1);
        if (!log) {
            for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
                seen_version[i][l] = rec[l].version;
            }
            seen_mode[i] = mode;
            continue;
        }
        for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
            if (rec[l].version == seen_version[i][l]) {
                continue;
            }
            seen_version[i][l] = rec[l].version;
            if (upkeep_window_pending(&rec[l], now)) {
                log_window(s, p, i, l, &rec[l]);
            }
            else if (l == layer) {
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                             "UPK0010: scope '%s' is now in %s mode (%s"
                             "version %" APR_UINT64_T_FMT ", set by %s)%s%s",
                             upkeep_scope_name(i), upkeep_mode_name(mode),
                             l == UPKEEP_LAYER_CLUSTER ? "cluster layer, "
                                                       : "",
                             (apr_uint64_t)rec[l].version, rec[l].changed_by,
                             rec[l].reason[0] ? ": " : "", rec[l].reason);
            }
            else {
                ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                             "UPK0019: scope '%s' is now in %s mode (its %s "
                             "layer is now %s: version %" APR_UINT64_T_FMT
                             ", set by %s)", upkeep_scope_name(i),
                             upkeep_mode_name(mode), upkeep_layer_names[l],
                             upkeep_mode_name(upkeep_mode_at(&rec[l], now)),
                             (apr_uint64_t)rec[l].version,
                             rec[l].changed_by);
            }
            seen_mode[i] = mode;
        }
        if (mode != seen_mode[i]) {
            /* no version changed: a window's start or end passed */
            int started = rec[layer].starts && mode == rec[layer].mode
                          && mode != UPKEEP_MODE_NORMAL;

            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         "UPK0011: scope '%s' is %s %s mode: a %s",
                         upkeep_scope_name(i),
                         mode == UPKEEP_MODE_NORMAL ? "back to" : "now in",
                         upkeep_mode_name(mode),
                         started ? "scheduled window started"
                                 : "window ended");
            seen_mode[i] = mode;
        }
    }
}

static apr_status_t upkeep_report(int state, void *data, apr_pool_t *p)
{
    if (state == AP_WATCHDOG_STATE_RUNNING) {
        report_scan(data, p, 1);
    }
    return APR_SUCCESS;
}

static apr_status_t upkeep_report_follow(int state, void *data,
                                         apr_pool_t *p)
{
    if (state == AP_WATCHDOG_STATE_RUNNING) {
        report_scan(data, p, 0);
    }
    return APR_SUCCESS;
}

void upkeep_reporter_start(apr_pool_t *pconf, server_rec *s)
{
    apr_status_t rv = upkeep_watchdog_start(pconf, UPKEEP_WATCHDOG_NAME,
                                            UPKEEP_REPORT_INTERVAL, s,
                                            upkeep_report,
                                            upkeep_report_follow);

    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, "UPK0009: no "
                     "mod_watchdog: mode transitions will not be logged");
    }
}

static int scope_configured(const char *name)
{
    int i;

    for (i = 0; i < upkeep_scope_count(); i++) {
        if (strcmp(upkeep_scope_name(i), name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* State files of scopes the configuration does not name (a typo of an
 * older upkeepctl, a retired scope) are ignored: said once per start. */
static void note_stray_scopes(apr_pool_t *ptemp, const char *dir,
                              server_rec *s)
{
    const char *names = NULL;
    apr_dir_t *d;
    apr_finfo_t fi;
    apr_size_t len;

    if (apr_dir_open(&d, dir, ptemp) != APR_SUCCESS) {
        return;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        const char *name;

        if (!upkeep_has_suffix(fi.name, UPKEEP_STATE_SUFFIX, &len)
            && !upkeep_has_suffix(fi.name, UPKEEP_CLUSTER_SUFFIX, &len)) {
            continue;
        }
        name = apr_pstrmemdup(ptemp, fi.name, len);
        if (!scope_configured(name)
            && (!names || !strstr(apr_pstrcat(ptemp, " ", names, ",", NULL),
                                  apr_pstrcat(ptemp, " ", name, ",",
                                              NULL)))) {
            names = names ? apr_pstrcat(ptemp, names, ", ", name, NULL)
                          : name;
        }
    }
    apr_dir_close(d);
    if (names) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "UPK0015: %s holds the "
                     "state of scopes the configuration does not name: %s; "
                     "ignored (upkeepctl forget --scope NAME removes it)",
                     dir, names);
    }
}

/* Slots are claimed for good, so those of scopes the configuration no
 * longer names (an older upkeepctl took one for any name) can leave none
 * for a configured scope.  Then the live file is rebuilt with room:
 * children of an older generation keep the old mapping until they
 * exit, and the cluster layer is read again from the files and the
 * next poll. */
static apr_status_t make_room(apr_pool_t *pconf, const char *dir,
                              server_rec *s, char *err)
{
    upkeep_live_t *live = live_map.live;
    int need = 0, used = 0, stray = 0, i;

    for (i = 0; i < upkeep_scope_count(); i++) {
        need += !upkeep_live_slot(live, upkeep_scope_name(i), 0);
    }
    while (used < UPKEEP_MAX_SCOPES
           && atomic_load(&live->slots[used].in_use)) {
        char name[UPKEEP_SCOPE_NAME_MAX];

        apr_cpystrn(name, live->slots[used].name, sizeof(name));
        stray += !scope_configured(name);
        used++;
    }
    if (used + need <= UPKEEP_MAX_SCOPES) {
        return APR_SUCCESS;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "UPK0016: %s/%s has no "
                 "free slot left, %d of them held by scopes the "
                 "configuration does not name: rebuilt without them", dir,
                 UPKEEP_LIVE_FILE, stray);
    apr_file_remove(apr_pstrcat(pconf, dir, "/" UPKEEP_LIVE_FILE, NULL),
                    pconf);
    return upkeep_live_create(pconf, dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                              | APR_FPROT_GREAD | APR_FPROT_GWRITE,
                              &live_map, err);
}

apr_status_t upkeep_live_open(apr_pool_t *pconf, apr_pool_t *ptemp,
                              const char *dir, server_rec *s,
                              apr_file_t **lock)
{
    upkeep_server_conf *sc = ap_get_module_config(s->module_config,
                                                  &upkeep_module);
    char err[UPKEEP_ERRMSG_MAX];
    apr_status_t rv;

    rv = secure_state_dir(dir, sc, ptemp, s);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "UPK0001: cannot create UpkeepStateDir %s", dir);
        return rv;
    }
    rv = upkeep_lock_acquire(ptemp, dir, lock, err);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0002: %s", err);
        return rv;
    }
    rv = upkeep_live_create(pconf, dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                            | APR_FPROT_GREAD | APR_FPROT_GWRITE,
                            &live_map, err);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0003: %s", err);
        return rv;
    }
    rv = make_room(pconf, dir, s, err);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0017: %s", err);
        return rv;
    }
    note_stray_scopes(ptemp, dir, s);
    return APR_SUCCESS;
}

/* Drain survives restarts: a node being upgraded stays out of the load
 * balancer until undrained. */
static void restore_drain(apr_pool_t *ptemp, const char *dir, server_rec *s)
{
    apr_finfo_t fi;
    int drained = apr_stat(&fi, apr_pstrcat(ptemp, dir, "/"
                                            UPKEEP_DRAIN_FILE, NULL),
                           APR_FINFO_MTIME, ptemp) == APR_SUCCESS;

    atomic_store(&live_map.live->drain.drained, (uint32_t)drained);
    atomic_store(&live_map.live->drain.since,
                 drained ? apr_time_sec(fi.mtime) : 0);
    if (drained) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, "UPK0012: this node "
                     "starts drained: its health check answers 503 "
                     "until upkeepctl undrain");
    }
}

apr_status_t upkeep_live_publish(apr_pool_t *ptemp, const char *dir,
                                 server_rec *s)
{
    char err[UPKEEP_ERRMSG_MAX];
    apr_status_t rv;
    int i;

    /* The durable files are the truth: whatever the live file holds
     * (stale after a reboot, or a previous generation's), every scope
     * starts in its persisted mode, never silently in normal. */
    for (i = 0; i < upkeep_scope_count(); i++) {
        const char *name = upkeep_scope_name(i);
        int64_t now = apr_time_sec(apr_time_now());
        upkeep_record_t rec[UPKEEP_LAYER_COUNT];
        int fresh = !upkeep_live_slot(live_map.live, name, 0);
        int l, layer;

        upkeep_slots[i] = upkeep_live_slot(live_map.live, name, 1);
        if (!upkeep_slots[i]) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "UPK0004: %s/%s has "
                         "no free slot for scope '%s' (at most %d scopes; "
                         "stop httpd and remove the file to reclaim "
                         "slots)", dir, UPKEEP_LIVE_FILE, name,
                         UPKEEP_MAX_SCOPES);
            return APR_EGENERAL;
        }
        /* the files, with the cluster layer of the live slot when that
         * is newer (other nodes' pollers keep it only there) */
        rv = upkeep_scope_records(ptemp, dir, name,
                                  fresh ? NULL : upkeep_slots[i], rec, err);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, "UPK0005: cannot "
                         "start with an unknown mode for scope '%s': %s (fix "
                         "or remove the file, or set the mode with "
                         "upkeepctl)", name, err);
            return APR_EGENERAL;
        }
        /* paced release: what dead processes left in the queue goes, if
         * no write waits (a graceful restart keeps them waiting) */
        if (atomic_load(&upkeep_slots[i]->held_now) <= 0) {
            upkeep_release_reset(upkeep_slots[i]);
        }
        for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
            upkeep_slot_publish(upkeep_slots[i], l, &rec[l]);
            seen_version[i][l] = rec[l].version;
        }
        for (l = 0; l < UPKEEP_LAYER_COUNT; l++) {
            if (upkeep_window_pending(&rec[l], now)) {
                log_window(s, ptemp, i, l, &rec[l]);
            }
        }
        layer = upkeep_layer_in_force(rec, now);
        seen_mode[i] = upkeep_mode_at(&rec[layer], now);
        if (seen_mode[i] != UPKEEP_MODE_NORMAL) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         "UPK0006: scope '%s' starts in %s mode (%s"
                         "version %" APR_UINT64_T_FMT ", set by %s)%s%s",
                         name, upkeep_mode_name(seen_mode[i]),
                         layer == UPKEEP_LAYER_CLUSTER ? "cluster layer, "
                                                       : "",
                         (apr_uint64_t)rec[layer].version,
                         rec[layer].changed_by,
                         rec[layer].reason[0] ? ": " : "", rec[layer].reason);
        }
    }
    upkeep_track_init(s, live_map.live);
    restore_drain(ptemp, dir, s);
    return APR_SUCCESS;
}

void upkeep_live_secure_files(apr_pool_t *ptemp, const char *dir,
                              server_rec *s)
{
    secure_state_files(dir, ap_get_module_config(s->module_config,
                                                 &upkeep_module), ptemp, s);
}

