# Persistence: the mode survives every kind of restart, a --for window ends
# by itself, Retry-After follows its precedence rules, and a state file
# httpd cannot read stops it from starting (never a silent "normal").
use lib 't/lib';
use Test::Upkeep;

run_tests();
__DATA__

=== TEST 1: maintenance survives a graceful restart (503 with the reason)
--- ctl
maintenance --reason "database upgrade"
--- restart: graceful
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">database upgrade</p>
--- error_log
UPK0006: scope 'default' starts in maintenance mode



=== TEST 2: maintenance survives a hard restart (503 with the reason)
--- ctl
maintenance --reason "disk swap"
--- restart: hard
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">disk swap</p>
--- error_log
UPK0006: scope 'default' starts in maintenance mode



=== TEST 3: maintenance survives kill -9 of every httpd process
--- ctl
maintenance --reason "power cut"
--- restart: kill9
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">power cut</p>
--- error_log
UPK0006: scope 'default' starts in maintenance mode



=== TEST 4: maintenance survives a stop and a fresh start
--- ctl
maintenance --reason "moving racks"
--- restart: stop_start
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">moving racks</p>
--- response_headers
Retry-After: 60
Cache-Control: no-store
--- error_log
UPK0006: scope 'default' starts in maintenance mode



=== TEST 5: the start-up notice names who set the mode and why
--- ctl
maintenance --reason "kernel update"
--- restart: graceful
--- request
GET /
--- error_code: 503
--- error_log eval
[qr/UPK0006: scope 'default' starts in maintenance mode \(version \d+, set by \S+@\S+\): kernel update/]



=== TEST 6: the start-up notice of a mode without a reason ends after "set by"
--- ctl
maintenance
--- restart: graceful
--- request
GET /
--- error_code: 503
--- error_log eval
[qr/UPK0006: scope 'default' starts in maintenance mode \(version \d+, set by \S+\)$/m]



=== TEST 7: readonly survives a hard restart: POST is refused
--- ctl
readonly --reason "replica promotion"
--- restart: hard
--- request
POST /
a=1
--- error_code: 503
--- response_body_like: <title>Read-only mode</title>
--- response_headers
Cache-Control: no-store
--- error_log
UPK0006: scope 'default' starts in readonly mode



=== TEST 8: readonly after the hard restart still serves GET
--- keep_state
--- request
GET /
--- error_code: 200
--- response_body
hello
--- response_headers
!Retry-After



=== TEST 9: back to normal, a restart logs no start-up notice and serves 200
--- ctl
maintenance --reason "short"
normal
--- restart: hard
--- request
GET /
--- error_code: 200
--- response_body
hello
--- no_error_log
UPK0006



=== TEST 10: normal persists across kill -9 too (not only non-normal modes)
--- ctl
maintenance
normal
--- restart: kill9
--- request
GET /
--- error_code: 200
--- no_error_log
UPK0006



=== TEST 11: after a restart the live state is in sync with the file
--- ctl
maintenance --reason "sync check"
--- restart: stop_start
--- request
GET /
--- error_code: 503



=== TEST 12: upkeepctl status after the restart says the live state is in sync
--- keep_state
--- ctl
status
--- ctl_stdout_like
^scope default: maintenance\n  reason:      sync check\n(?s:.*)^  live:        in sync$
--- request
GET /
--- error_code: 503



=== TEST 13: a flip after a restart is still seen at once (no restart needed)
--- ctl
maintenance --reason "first"
--- restart: graceful
--- request
GET /
--- error_code: 503



=== TEST 14: flipping back to normal after a graceful restart takes effect at once
--- keep_state
--- ctl
normal
--- request
GET /
--- error_code: 200



=== TEST 15: maintenance --for 2s ends by itself (dead-man's timer)
--- ctl
maintenance --for 2s --reason "quick fix"
--- wait: 3
--- request
GET /
--- error_code: 200
--- response_body
hello
--- response_headers
!Retry-After



=== TEST 16: status after the window says normal and when maintenance ended
--- keep_state
--- ctl
status
--- ctl_stdout_like
^scope default: normal \(maintenance ended at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$
--- request
GET /
--- error_code: 200



=== TEST 17: the parent logs that the window ended
--- ctl
maintenance --for 3s
--- wait: 4.5
--- request
GET /
--- error_code: 200
--- error_log
UPK0011: scope 'default' is back to normal mode



=== TEST 18: an expired window stays expired across a restart
--- ctl
readonly --for 1s
--- wait: 2
--- request
POST /
a=1
--- error_code: 200



=== TEST 19: a restart after the window ended starts in normal mode, no notice
--- keep_state
--- restart: hard
--- request
POST /
a=1
--- error_code: 200
--- no_error_log
UPK0006



=== TEST 20: a --for window survives a restart while it lasts
--- ctl
maintenance --for 10m
--- restart: hard
--- request
GET /
--- error_code: 503
--- response_headers_like
Retry-After: ^(59\d|600)$



=== TEST 21: Retry-After counts down to the end of a --for 10m window
--- ctl
maintenance --for 10m
--- request
GET /
--- error_code: 503
--- response_headers_like
Retry-After: ^(59\d|600)$



=== TEST 22: the maintenance page tells the same wait as Retry-After
--- ctl
maintenance --for 10m
--- request
GET /
--- error_code: 503
--- response_body_like: data-left="(59\d|600)"



=== TEST 23: Retry-After of --retry-after 42
--- ctl
maintenance --retry-after 42
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 42



=== TEST 24: Retry-After defaults to 60
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 60



=== TEST 25: Retry-After comes from UpkeepRetryAfter 2m when upkeepctl gave none
--- config
UpkeepRetryAfter 2m
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 120



=== TEST 26: --retry-after beats UpkeepRetryAfter
--- config
UpkeepRetryAfter 2m
--- ctl
maintenance --retry-after 42
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 42



=== TEST 27: the end of a --for window beats --retry-after
--- config
UpkeepRetryAfter 2m
--- ctl
maintenance --retry-after 42 --for 10m
--- request
GET /
--- error_code: 503
--- response_headers_like
Retry-After: ^(59\d|600)$



=== TEST 28: --retry-after persists across a restart
--- ctl
maintenance --retry-after 42
--- restart: stop_start
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 42



=== TEST 29: readonly refusals use the same Retry-After rules
--- ctl
readonly --retry-after 7
--- request
DELETE /index.html
--- error_code: 503
--- response_headers
Retry-After: 7



=== TEST 30: a corrupt state file stops httpd from starting, naming the file
--- must_die
--- keep_state
--- user_files
>>> state/default.state
garbage
--- startup_error_like
UPK0005: cannot start with an unknown mode for scope 'default': \S*/state/default\.state line 1: unknown field 'garbage'



=== TEST 31: a state file of a future format stops httpd from starting
--- must_die
--- keep_state
--- user_files
>>> state/default.state
# mod_upkeep state; written by upkeepctl, do not edit
format 2
scope default
mode maintenance
version 3
since 1700000000
until 0
retry-after 0
changed-by root@host
reason from the future
--- startup_error_like
UPK0005: cannot start with an unknown mode for scope 'default': \S*/state/default\.state line 2: format '2' is not 1



=== TEST 32: a state file with an unknown mode stops httpd from starting
--- must_die
--- keep_state
--- user_files
>>> state/default.state
# mod_upkeep state; written by upkeepctl, do not edit
format 1
scope default
mode sleepy
version 3
since 1700000000
until 0
retry-after 0
changed-by root@host
reason zzz
--- startup_error_like
UPK0005: cannot start with an unknown mode for scope 'default': \S*/state/default\.state line 4: unknown mode 'sleepy'



=== TEST 33: an empty (truncated) state file stops httpd from starting
--- must_die
--- keep_state
--- user_files
>>> state/default.state
--- startup_error_like
UPK0005: cannot start with an unknown mode for scope 'default': \S*/state/default\.state field 'format' is missing



=== TEST 34: a state file of another scope stops httpd from starting
--- must_die
--- keep_state
--- user_files
>>> state/default.state
# mod_upkeep state; written by upkeepctl, do not edit
format 1
scope other
mode maintenance
version 3
since 1700000000
until 0
retry-after 0
changed-by root@host
reason copied
--- startup_error_like
UPK0005: cannot start with an unknown mode for scope 'default': \S*/state/default\.state line 3: scope 'other' does not match



=== TEST 34a: a state file that is a symbolic link stops httpd from starting, never quoting its target
--- must_die
--- keep_state
--- user_files
>>> conf/not-for-the-group.txt
SECRET-CONTENT of a file only root may read
>>> state/default.state -> ../conf/not-for-the-group.txt
--- startup_error_like
(?s)\A(?!.*SECRET-CONTENT).*UPK0005: cannot start with an unknown mode for scope 'default': \S*/state/default\.state is a symbolic link, not a regular file \(links are not followed\)



=== TEST 34b: a dangling symbolic link as the state file stops httpd too (not a silent normal)
--- must_die
--- keep_state
--- user_files
>>> state/default.state -> /nonexistent/default.state
--- startup_error_like
UPK0005: cannot start with an unknown mode for scope 'default': \S*/state/default\.state is a symbolic link



=== TEST 34c: a FIFO as the state file stops httpd at once, naming it
--- must_die
--- keep_state
--- user_files
>>> state/default.state (fifo)
--- startup_error_like
UPK0005: cannot start with an unknown mode for scope 'default': \S*/state/default\.state is a FIFO, not a regular file



=== TEST 35: a hand-written valid state file is applied at start
--- user_files
>>> state/default.state
# mod_upkeep state; written by upkeepctl, do not edit
format 1
scope default
mode maintenance
version 7
since 1700000000
until 0
retry-after 33
changed-by ops@host
reason hand written
--- keep_state
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">hand written</p>
--- response_headers
Retry-After: 33



=== TEST 36: a corrupt state file of a scope httpd does not use does not stop it
--- keep_state
--- user_files
>>> state/unused.state
garbage
--- restart: stop_start
--- request
GET /
--- error_code: 503
--- no_error_log
UPK0005



=== TEST 37: after the refused starts, the server starts and serves normally
--- clean_state
--- request
GET /
--- error_code: 200
--- response_body
hello
