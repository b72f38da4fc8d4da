# Build mod_upkeep.so (with apxs) and upkeepctl (with apr-1-config).
#   make -f apxs.mk                  build both, warnings are errors
#   make -f apxs.mk install          install both (module to apxs's LIBEXECDIR, upkeepctl to $(SBINDIR); DESTDIR honoured)
#   make -f apxs.mk uninstall        remove what install installed
#   make -f apxs.mk CC=clang         build with clang
#   make -f apxs.mk SANITIZE=1       ASan+UBSan build (for the test suite)
#   make -f apxs.mk test             run the test suite (t/run-tests)
#   make -f apxs.mk demo             a private httpd with the module and a demo site
#   make -f apxs.mk fuzz | valgrind | bench    hardening and benchmarks

APXS      ?= apxs
APR_CONFIG ?= apr-1-config
CC        ?= cc
SBINDIR   ?= /usr/sbin
STATE_DIR ?= /var/lib/apache2/upkeep

MOD_SRC   = mod_upkeep.c upkeep_config.c upkeep_page.c upkeep_status.c \
            upkeep_live.c upkeep_sync.c upkeep_track.c upkeep_bypass.c \
            upkeep_banner.c upkeep_html.c upkeep_release.c upkeep_i18n.c \
            upkeep_state.c upkeep_cluster.c upkeep_view.c \
            upkeep_journal.c upkeep_journal_fmt.c
CTL_SRC   = upkeepctl.c upkeep_state.c upkeep_cluster.c upkeep_view.c \
            upkeep_journal_fmt.c
HEADERS   = include/upkeep_state.h include/upkeep_cluster.h \
            include/upkeep_view.h include/upkeep_journal.h upkeep_private.h
LIBS      = -lmemcached -lcrypto
# the module also speaks TLS: the journal replays to TLS listeners
MOD_LIBS  = $(LIBS) -lssl

WARN      = -Wall -Wextra -Werror
STD       = -std=c11 -D_GNU_SOURCE
DEFS      = -DUPKEEP_STATE_DIR_PATH=$(STATE_DIR)
ifeq ($(SANITIZE),1)
SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT       = -O1 -g
else
SAN       =
OPT       = -O2 -g
endif

ifeq ($(origin CC),default)
CC = cc
endif

APXS_CFLAGS = $(foreach f,$(STD) $(WARN) $(OPT) $(SAN) $(DEFS) -Iinclude,-Wc,$(f))
APXS_LDFLAGS = $(foreach f,$(SAN),-Wl,$(f)) $(MOD_LIBS)

all: mod_upkeep.la upkeepctl upkeepctl.8 upkeepctl.bash-completion

# upkeepctl(8) and its bash completion come from the command table that
# --help prints, so they cannot drift.
upkeepctl.8: upkeepctl
	@./upkeepctl --man > $@
upkeepctl.bash-completion: upkeepctl
	@./upkeepctl --bash-completion > $@

mod_upkeep.la: $(MOD_SRC) $(HEADERS)
	@echo "  APXS  $@ (CC=$(CC))"
	@$(APXS) -S CC=$(CC) -c -o $@ $(APXS_CFLAGS) $(APXS_LDFLAGS) $(MOD_SRC) \
	    >.apxs.log 2>&1 || { cat .apxs.log; rm -f .apxs.log; exit 1; }
	@# apxs echoes every libtool command; show only what the compiler said
	@grep -v -e '^/usr/share/apr' -e '^libtool: ' .apxs.log >&2 || true
	@rm -f .apxs.log

upkeepctl: $(CTL_SRC) include/upkeep_state.h include/upkeep_cluster.h \
           include/upkeep_view.h include/upkeep_journal.h
	@echo "  CC    $@ (CC=$(CC))"
	@$(CC) $(STD) $(WARN) $(OPT) $(SAN) $(DEFS) -Iinclude \
	    $(shell $(APR_CONFIG) --cppflags --includes) \
	    -o $@ $(CTL_SRC) $(shell $(APR_CONFIG) --link-ld --libs) $(LIBS)

# install: the module into apxs's module directory and upkeepctl into
# $(SBINDIR), under $(DESTDIR) if set (the Debian package installs this way).
# The module is copied with install(1), not `apxs -i`: given
# .libs/mod_upkeep.so, apxs -i's instdso.sh looks for the libtool archive
# (mod_upkeep.la) next to the copy to read its dlname and prints "Warning!
# dlname not found" when there is none; given the .la it installs cleanly,
# but apxs knows no DESTDIR and libtool then asks to run `libtool --finish`
# on a staging directory.  mod_upkeep.so is one self-contained file: copying
# it is all apxs -i did.  The Apache config (conf/upkeep.load and
# conf/upkeep.conf into mods-available) is left to you: README, "Install".
# uninstall removes exactly these files (not the directories, the state
# directory, nor the config).
MODDIR   ?= $(shell $(APXS) -q LIBEXECDIR)
MANDIR   ?= /usr/share/man
COMPDIR  ?= /usr/share/bash-completion/completions
INSTALLED = $(DESTDIR)$(MODDIR)/mod_upkeep.so $(DESTDIR)$(SBINDIR)/upkeepctl \
            $(DESTDIR)$(MANDIR)/man8/upkeepctl.8 $(DESTDIR)$(COMPDIR)/upkeepctl

install: all
	install -d $(DESTDIR)$(MODDIR) $(DESTDIR)$(SBINDIR) \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(COMPDIR)
	install -m 0644 .libs/mod_upkeep.so $(DESTDIR)$(MODDIR)/mod_upkeep.so
	install -m 0755 upkeepctl $(DESTDIR)$(SBINDIR)/upkeepctl
	install -m 0644 upkeepctl.8 $(DESTDIR)$(MANDIR)/man8/upkeepctl.8
	install -m 0644 upkeepctl.bash-completion $(DESTDIR)$(COMPDIR)/upkeepctl

# Refused while the module is enabled: apache2 would no longer start.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -e /etc/apache2/mods-enabled/upkeep.load ]; then \
	    echo "upkeep is enabled (/etc/apache2/mods-enabled/upkeep.load): run a2dismod upkeep first" >&2; \
	    exit 1; fi
	rm -f $(INSTALLED)

test:
	t/run-tests

demo:
	demo/run-demo

# libFuzzer targets for every parser of outside data (FUZZ_SECONDS each)
fuzz:
	fuzz/run

# memcheck on httpd -X over the main scenarios
valgrind: all
	t/valgrind/run

# side-by-side benchmarks (BENCHMARKS.md)
bench: all
	bench/run

clean:
	rm -rf .libs *.o *.lo *.la *.slo upkeepctl upkeepctl.8 \
	    upkeepctl.bash-completion

.PHONY: all install uninstall test demo clean fuzz valgrind bench
