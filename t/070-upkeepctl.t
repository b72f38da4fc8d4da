# upkeepctl: every error case (exit 2 usage, exit 1 failure) leaves the
# state untouched and names the problem; status output; options anywhere.
# The usage-error blocks are regular; see the other sections below them.
# Every block names a second scope, 'other', so the config never changes.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: set up: maintenance with reason "before" (the state the failing commands must not touch)
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
maintenance --reason before --retry-after 17
--- ctl_stdout_like
\Ascope default: maintenance on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\n\z
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 2: an unknown command: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
frob
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: unknown command 'frob' \(expected status, normal, readonly, maintenance, hold, cancel, drain, undrain, bypass-url, forget, journal, help\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 3: a mode name in the wrong case: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
Maintenance
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: unknown command 'Maintenance' \(expected status, normal, readonly, maintenance, hold, cancel, drain, undrain, bypass-url, forget, journal, help\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 4: no command (only options): exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--reason x
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: no command given \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 5: an extra argument after the command: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
normal now
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: unexpected argument 'now' \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 6: an extra argument after a flip with options: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --reason x later
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: unexpected argument 'later' \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 7: an unknown option before the command: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--frob normal
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: invalid option: --frob \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 8: a missing option argument before the command: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--reason
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: missing argument: --reason \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 9: --scope with a slash: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--scope bad/name normal
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --scope 'bad/name' may only contain letters, digits, '_', '-' and '\.' \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 10: --scope starting with a dot: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--scope .hidden normal
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --scope '\.hidden' starts with '\.' \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 11: an empty --scope: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--scope "" normal
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --scope '' is empty \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 12: a --scope of 64 bytes: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--scope ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss normal
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --scope 's{64}' is longer than 63 bytes \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 13: an empty --state-dir: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--state-dir "" normal
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --state-dir is empty \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 14: a reason of 512 bytes: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
"maintenance --reason " . ("r" x 512)
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason is longer than 511 bytes \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 15: a reason of 512 bytes of multi-byte UTF-8: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
"maintenance --reason " . ("\xc3\xa9" x 256)
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason is longer than 511 bytes \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 16: a reason with a tab: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
qq{maintenance --reason "a\tb"}
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason contains a control character \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 17: a reason with an escape character: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
qq{maintenance --reason "a\x1b[31mred"}
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason contains a control character \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 18: a reason with DEL: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
qq{maintenance --reason "a\x7fb"}
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason contains a control character \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 19: a reason in Latin-1 (invalid UTF-8): exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
qq{maintenance --reason "caf\xe9"}
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason is not valid UTF-8 \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 20: a reason with an overlong UTF-8 slash: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
qq{maintenance --reason "a\xc0\xafb"}
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason is not valid UTF-8 \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 21: a reason with a UTF-8 surrogate: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
qq{maintenance --reason "a\xed\xa0\x80b"}
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason is not valid UTF-8 \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 22: a reason with a truncated UTF-8 sequence: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl eval
qq{maintenance --reason "caf\xc3"}
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason is not valid UTF-8 \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 23: --retry-after 0: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --retry-after 0
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --retry-after '0' must be between 1s and 1d \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 24: --retry-after 86401: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --retry-after 86401
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --retry-after '86401' must be between 1s and 1d \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 25: --retry-after abc: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --retry-after abc
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --retry-after 'abc' is not a duration \(examples: 90s, 250ms, 15m, 2h, 1d\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 26: --retry-after -5: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --retry-after -5
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --retry-after '-5' is not a duration \(examples: 90s, 250ms, 15m, 2h, 1d\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 27: --retry-after 5x (no such unit): exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
readonly --retry-after 5x
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --retry-after '5x' has an unknown unit \(use ms, s, m, h or d\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 28: --retry-after with an empty value: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --retry-after ""
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --retry-after '' is not a duration \(examples: 90s, 250ms, 15m, 2h, 1d\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 29: --retry-after beyond 64 bits: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --retry-after 99999999999999999999
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --retry-after '9+' is too large \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 30: --for 0s: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --for 0s
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for '0s' must be between 1s and 30d \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 31: --for -5m: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --for -5m
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for '-5m' is not a duration \(examples: 90s, 250ms, 15m, 2h, 1d\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 32: --for 31d: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --for 31d
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for '31d' must be between 1s and 30d \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 33: --for 2592001s (30d + 1s): exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
readonly --for 2592001s
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for '2592001s' must be between 1s and 30d \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 34: --for 999ms (under a second): exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --for 999ms
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for '999ms' must be between 1s and 30d \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 35: --for 5x: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --for 5x
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for '5x' has an unknown unit \(use ms, s, m, h or d\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 36: --for 1h30m: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --for 1h30m
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for '1h30m' has an unknown unit \(use ms, s, m, h or d\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 37: --for beyond 64 bits: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --for 99999999999999999999s
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for '9+s' is too large \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 38: --json with maintenance: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --json
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --json does not go with (?:maintenance|normal) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 39: --json with normal: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--json normal
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --json does not go with (?:maintenance|normal) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 40: --reason with normal: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
normal --reason done
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason does not go with normal \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 41: --retry-after with normal: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
normal --retry-after 5
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --retry-after does not go with normal \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 42: --for with normal: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
normal --for 5m
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for does not go with normal \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 43: --for with status: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
status --for 5m
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --for does not go with status \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 44: --reason with status: exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--reason x status
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: --reason does not go with status \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 45: an option after "--": exit 2, one line on stderr, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance -- --reason x
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: unexpected argument '--reason' \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 46: an unknown option after the command: exit 2, the problem is named, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --frob
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
invalid option: --frob \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 47: an unknown option after the command: the message reads like the others (no 'maintenance:' in it)
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --frob
--- ctl_exit_code: 2
--- ctl_stderr_like
\Aupkeepctl: invalid option: --frob \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 48: a missing option argument after the command: exit 2, the problem is named, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --reason
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
missing argument: --reason \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 49: a missing option argument after the command: the message reads like the others (no 'maintenance:' in it)
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --reason
--- ctl_exit_code: 2
--- ctl_stderr_like
\Aupkeepctl: missing argument: --reason \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 50: an unknown short option after the command: exit 2, the problem is named, nothing changes
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
readonly -x
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
invalid option character: x \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 51: an unknown short option after the command: the message reads like the others (no 'readonly:' in it)
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
readonly -x
--- ctl_exit_code: 2
--- ctl_stderr_like
\Aupkeepctl: invalid option character: x \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 52: nobody (not root, not in the group) cannot flip: exit 1, permission denied, the mode stays
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl_user: nobody
--- ctl
normal
--- ctl_exit_code: 1
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: permission denied: cannot write the state directory /\S+/state \(run as root or as a member of its group, see UpkeepControlGroup\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 53: nobody cannot read the status either: exit 1, permission denied
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl_user: nobody
--- ctl
status
--- ctl_exit_code: 1
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: permission denied: cannot read the state directory /\S+/state \(run as root or as a member of its group, see UpkeepControlGroup\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 54: a usage error is reported as such (exit 2) even for nobody
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl_user: nobody
--- ctl
maintenance --for 5x
--- ctl_exit_code: 2
--- ctl_stderr_like
\Aupkeepctl: --for '5x' has an unknown unit \(use ms, s, m, h or d\) \(see upkeepctl --help\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 55: --help prints the usage on stdout and exits 0
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--help
--- ctl_stdout_like
(?s)\Ausage: upkeepctl \[--state-dir DIR\] \[--scope NAME\] COMMAND \[options\]\n.*^  status  .*^  normal  .*^  readonly  .*^  maintenance  .*^  forget  .*^  --state-dir DIR .*^  --scope NAME .*^  --reason TEXT .*^  --retry-after DURATION .*^  --for DURATION .*^  --local .*^exit status: 0 done
--- ctl_stderr_like
\A\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 56: --help after a command prints the usage and flips nothing
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
normal --help
--- ctl_stdout_like
\Ausage: upkeepctl
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 57: status shows the mode and every field of the state
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--scope default status
--- ctl_stdout_like
\Ascope default: maintenance\n  reason:      before\n  since:       \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n  until:       -\n  retry-after: 17\n  refusal:     503\n  version:     \d+\n  changed-by:  root@\S+\n  writes:      0 in flight, 0 held\n  live:        in sync\n\z
--- ctl_stderr_like
\A\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 58: status --json holds the same fields
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--scope default status --json
--- ctl_stdout_like
\A\{"schema":1,"node":"[^"]+","generated":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","state_dir":"/[^"]+/state","httpd_running":true,"scopes":\[\{"scope":"default","mode":"maintenance","layer":"local","set_mode":"maintenance","reason":"before","since":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","until":null,"expired":false,"retry_after":17,"hold_max_ms":10000,"refusal_status":503,"version":\d+,"changed_by":"root@[^"]+","next_window":null,"local":\{"mode":"maintenance","set_mode":"maintenance","reason":"before","since":"[^"]+","starts":null,"until":null,"pending":false,"retry_after":17,"version":\d+,"changed_by":"root@[^"]+"\},"cluster":\{"mode":"normal","set_mode":"normal","reason":"","since":null,"starts":null,"until":null,"pending":false,"retry_after":0,"version":0,"changed_by":""\},"inflight_writes":0,"held":0,"live":"in sync"\}\],"drained":false,"drained_since":null\}\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 59: --json before the command works too
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--json --scope default status
--- ctl_stdout_like
\A\{"schema":1,.*"state_dir":.*"reason":"before"
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 60: status of a scope that httpd's configuration does not name: exit 2, the configured scopes listed
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--scope never.set-1 status
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: unknown scope 'never\.set-1': httpd's configuration names default, other; nothing changed\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 61: flipping with a state directory that does not exist: exit 1, named
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --state-dir /nonexistent/upkeep-h3
--- ctl_exit_code: 1
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: state directory /nonexistent/upkeep-h3 does not exist \(start httpd with mod_upkeep first, or give --state-dir\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 62: status of a state directory that does not exist: exit 1, named
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--state-dir /nonexistent/upkeep-h3 status
--- ctl_exit_code: 1
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: state directory /nonexistent/upkeep-h3 does not exist
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">before</p>
--- response_headers
Retry-After: 17



=== TEST 63: options after the command apply (reason, Retry-After)
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
maintenance --reason after --retry-after 5
--- ctl_stdout_like
\Ascope default: maintenance on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\n\z
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">after</p>
--- response_headers
Retry-After: 5



=== TEST 64: options before the command apply
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
--reason "in front" --retry-after 6 maintenance
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">in front</p>
--- response_headers
Retry-After: 6



=== TEST 65: options on both sides of the command apply
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
--retry-after 9 readonly --reason "both sides"
--- request
POST /
a=1
--- error_code: 503
--- response_body_like: <p class="reason">both sides</p>
--- response_headers
Retry-After: 9



=== TEST 66: --scope default before the command
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
--scope default maintenance --reason "scope first"
--- ctl_stdout_like
\Ascope default: maintenance on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\n\z
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">scope first</p>



=== TEST 67: --scope default after the command
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
maintenance --reason "scope last" --scope default
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">scope last</p>



=== TEST 68: a reason of exactly 511 bytes is accepted and shown whole
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl eval
"maintenance --reason " . ("r" x 511)
--- request
GET /
--- error_code: 503
--- response_body_like eval
qr{<p class="reason">r{511}</p>}



=== TEST 69: a UTF-8 reason is accepted and shown as is
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
maintenance --reason "café – back at 10:00 ☕"
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">café – back at 10:00 ☕</p>



=== TEST 70: --retry-after 1 and 86400 are the accepted bounds
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
maintenance --retry-after 1
maintenance --retry-after 86400
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 86400



=== TEST 71: --for 30d is the longest accepted window
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
readonly --for 30d
--- request
PUT /x
y
--- error_code: 503
--- response_headers_like
Retry-After: ^86400$



=== TEST 72: --for 1000ms (one second) is accepted (what upkeepctl says, not a request: a loaded machine may be past that second by then)
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
maintenance --for 1000ms
--- ctl_stdout_like
^scope default: maintenance .*until \S+ \(in 1s\)



=== TEST 73: under sudo, changed-by names the person behind it
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl_env
SUDO_USER=alice
--- ctl
maintenance --reason "via sudo"
status
--- ctl_stdout_like
^  changed-by:  alice@\S+$
--- request
GET /
--- error_code: 503
--- error_log eval
[qr/UPK0010: scope 'default' is now in maintenance mode \(version \d+, set by alice\@\S+\): via sudo/]



=== TEST 74: a SUDO_USER with a control character is not trusted
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl_env eval
"SUDO_USER=al\x1bice"
--- ctl
maintenance
status
--- ctl_stdout_like
^  changed-by:  root@\S+$



=== TEST 75: set up: maintenance with reason "live" before the state file is damaged
--- config
<Location /other>
    UpkeepScope other
</Location>
--- ctl
maintenance --reason live
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">live</p>



=== TEST 76: status of a scope with a corrupt file: exit 1, the error names the file
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- user_files
>>> state/default.state
garbage here
--- ctl
status
--- ctl_exit_code: 1
--- ctl_stderr_like
\Aupkeepctl: /\S+/state/default\.state line 1: unknown field 'garbage'\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">live</p>



=== TEST 77: a flip of a scope with a corrupt file: exit 1, "not changed", file untouched
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
maintenance --reason new
--- ctl_exit_code: 1
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: /\S+/state/default\.state line 1: unknown field 'garbage'; not changed \(remove the file to reset scope 'default'\)\n\z
--- state_unchanged
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">live</p>



=== TEST 78: normal on a corrupt file is refused too (the running site keeps its mode)
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
normal
--- ctl_exit_code: 1
--- ctl_stderr_like
not changed \(remove the file to reset scope 'default'\)
--- state_unchanged
--- request
GET /
--- error_code: 503



=== TEST 79: another scope can still be flipped and shown while default is corrupt
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
--scope other readonly
--scope other status
--- ctl_stdout_like
\Ascope other: readonly\n
--- request
GET /
--- error_code: 503



=== TEST 80: status of every scope reports the good ones and exits 1 for the corrupt one
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- ctl
status
--- ctl_exit_code: 1
--- ctl_stdout_like
\Ascope other: readonly\n
--- ctl_stderr_like
\Aupkeepctl: /\S+/state/default\.state line 1: unknown field 'garbage'\n\z
--- state_unchanged



=== TEST 81: a state file larger than 4 KiB is refused, naming the file
--- config
<Location /other>
    UpkeepScope other
</Location>
--- keep_state
--- user_files eval
">>> state/default.state\n" . ("# padding line\n" x 400)
--- ctl
maintenance
--- ctl_exit_code: 1
--- ctl_stderr_like
\Aupkeepctl: /\S+/state/default\.state is larger than 4096 bytes; not changed
--- state_unchanged



=== TEST 82: after removing the corrupt file (fresh state), flips work again
--- config
<Location /other>
    UpkeepScope other
</Location>
--- clean_state
--- ctl
maintenance --reason fresh
--- ctl_stdout_like
\Ascope default: maintenance on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version 1\)\n\z
--- request
GET /
--- error_code: 503
--- response_body_like: <p class="reason">fresh</p>
