/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * A disk whose flushes fail, for t/192-journal-fsync.t: preloaded into
 * httpd, it makes fsync() of a journal file (a path ending in ".journal")
 * fail with EIO while the file named by UPKEEP_TEST_FSYNC_FAULT exists,
 * after sleeping the milliseconds that file holds (so other writers can
 * append meanwhile, as they do behind a slow flush).  "MS ok" in it only
 * slows the flush down.  Everything else is the real fsync.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int fsync(int fd)
{
    static int (*real_fsync)(int);
    const char *flag = getenv("UPKEEP_TEST_FSYNC_FAULT");
    char link[64], path[4096];
    ssize_t n;

    if (!real_fsync) {
        real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    }
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    if (flag && (n = readlink(link, path, sizeof(path) - 1)) > 8) {
        FILE *f;

        path[n] = '\0';
        if (strcmp(path + n - 8, ".journal") == 0 && (f = fopen(flag, "r"))) {
            long ms = 0;
            char how[8] = "";
            struct timespec ts;

            if (fscanf(f, "%ld %7s", &ms, how) < 1) {
                ms = 0;
            }
            fclose(f);
            ts.tv_sec = ms / 1000;
            ts.tv_nsec = (ms % 1000) * 1000000L;
            nanosleep(&ts, NULL);
            if (strcmp(how, "ok") != 0) {
                errno = EIO;
                return -1;
            }
        }
    }
    return real_fsync(fd);
}
