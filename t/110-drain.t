# Health check and drain (issue 4): UpkeepHealthCheck is answered by the
# module itself (quick handler: before <Location> config, authentication,
# rewrite rules, the gate and any backend) in every mode; `upkeepctl drain`
# turns only the health check into a 503 and survives every kind of restart.
#
# Most blocks share one config ($::Conf), so the server is not restarted
# between them.  It puts three obstacles in front of /healthz that would
# each answer it differently if the module did not: a <Location> denying
# everyone (403), a rewrite rule (410) and a proxy to a closed port (502).
#
# The harness resets the *.state files between blocks, not the drain file:
# every block that needs an undrained node starts with `undrain`.
use lib 't/lib';
use Test::Upkeep;

our $Conf = <<'EOF';
UpkeepHealthCheck /healthz
<Location /healthz>
    Require all denied
</Location>
RewriteEngine On
RewriteRule ^/healthz$ - [G]
ProxyPass /healthz http://127.0.0.1:9/
EOF

run_tests();
__DATA__

=== TEST 1: normal: the health check answers 200 "ok" itself, past Require/rewrite/proxy
--- config eval: $::Conf
--- ctl
undrain
--- request
GET /healthz
--- error_code: 200
--- response_body
ok
mode=normal
--- response_headers
Upkeep-Mode: normal
Upkeep-Drain: off
Cache-Control: no-store
Content-Type: text/plain; charset=utf-8
!Retry-After
--- no_error_log
[error]
AH01797
AH01630



=== TEST 2: hold: the health check answers 200 and names the mode
--- config eval: $::Conf
--- ctl
undrain
hold --reason "schema change"
--- request
GET /healthz
--- timeout: 5
--- error_code: 200
--- response_body
ok
mode=hold
--- response_headers
Upkeep-Mode: hold
Upkeep-Drain: off
Cache-Control: no-store
Content-Type: text/plain; charset=utf-8



=== TEST 3: readonly: the health check answers 200 and names the mode
--- config eval: $::Conf
--- ctl
undrain
readonly
--- request
GET /healthz
--- error_code: 200
--- response_body
ok
mode=readonly
--- response_headers
Upkeep-Mode: readonly
Upkeep-Drain: off
Cache-Control: no-store
Content-Type: text/plain; charset=utf-8



=== TEST 4: maintenance: the health check still answers 200 (the balancer keeps the node)
--- config eval: $::Conf
--- ctl
undrain
maintenance --reason "upgrade"
--- request
GET /healthz
--- error_code: 200
--- response_body
ok
mode=maintenance
--- response_headers
Upkeep-Mode: maintenance
Upkeep-Drain: off
Cache-Control: no-store
Content-Type: text/plain; charset=utf-8
!Retry-After
--- no_error_log
UPK0100



=== TEST 5: maintenance: HEAD of the health check gets 200 with the headers, no body
--- config eval: $::Conf
--- ctl
undrain
maintenance
--- request
HEAD /healthz
--- error_code: 200
--- response_body:
--- response_headers
Upkeep-Mode: maintenance
Upkeep-Drain: off
Content-Type: text/plain; charset=utf-8



=== TEST 6: maintenance: the rest of the site is down (the mode is really in force)
--- config eval: $::Conf
--- ctl
undrain
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>



=== TEST 7: only the exact path: /healthzx is an ordinary request (503 in maintenance)
--- config eval: $::Conf
--- ctl
undrain
maintenance
--- request
GET /healthzx
--- error_code: 503
--- response_headers
!Upkeep-Mode
--- response_body_like
<title>Down for maintenance</title>



=== TEST 8: only the exact path: /healthz/ is an ordinary request (503 in maintenance)
--- config eval: $::Conf
--- ctl
undrain
maintenance
--- request
GET /healthz/
--- error_code: 503
--- response_headers
!Upkeep-Mode



=== TEST 9: only the exact path: /HEALTHZ is an ordinary request (503 in maintenance)
--- config eval: $::Conf
--- ctl
undrain
maintenance
--- request
GET /HEALTHZ
--- error_code: 503
--- response_headers
!Upkeep-Mode



=== TEST 10: normal: /healthz/sub is not the health check (the <Location> denies it)
--- config eval: $::Conf
--- ctl
undrain
--- request
GET /healthz/sub
--- error_code: 403
--- response_headers
!Upkeep-Mode



=== TEST 11: the health check over HTTP/2 (h2c prior knowledge)
--- config eval: $::Conf
--- ctl
undrain
readonly
--- curl: --http2-prior-knowledge
--- curl_path: /healthz
--- error_code: 200
--- response_body
ok
mode=readonly
--- response_headers_like
upkeep-mode: ^readonly$
upkeep-drain: ^off$



=== TEST 12: drain: upkeepctl says so, the health check answers 503 "draining"
--- config eval: $::Conf
--- ctl
undrain
drain
--- ctl_stdout
this node is drained: its health check (/healthz) answers 503
--- request
GET /healthz
--- error_code: 503
--- response_body
draining
mode=normal
--- response_headers
Upkeep-Mode: normal
Upkeep-Drain: on
Cache-Control: no-store
Content-Type: text/plain; charset=utf-8



=== TEST 13: drained: pages are still served (only the health check changes)
--- config eval: $::Conf
--- ctl
drain
--- request
GET /
--- error_code: 200
--- response_body
hello
--- response_headers
!Upkeep-Drain



=== TEST 14: drained: writes are still served
--- config eval: $::Conf
--- ctl
drain
--- request
POST /index.html
a=b
--- error_code: 200
--- response_body
hello



=== TEST 15: drained and hold: 503 "draining", mode=hold
--- config eval: $::Conf
--- ctl
drain
hold
--- request
GET /healthz
--- error_code: 503
--- response_body
draining
mode=hold
--- response_headers
Upkeep-Mode: hold
Upkeep-Drain: on



=== TEST 16: drained and readonly: 503 "draining", mode=readonly
--- config eval: $::Conf
--- ctl
drain
readonly
--- request
GET /healthz
--- error_code: 503
--- response_body
draining
mode=readonly
--- response_headers
Upkeep-Mode: readonly
Upkeep-Drain: on



=== TEST 17: drained and maintenance: 503 "draining", mode=maintenance
--- config eval: $::Conf
--- ctl
drain
maintenance
--- request
GET /healthz
--- error_code: 503
--- response_body
draining
mode=maintenance
--- response_headers
Upkeep-Mode: maintenance
Upkeep-Drain: on
Cache-Control: no-store
Content-Type: text/plain; charset=utf-8



=== TEST 18: drain twice is fine (exit 0, same line)
--- config eval: $::Conf
--- ctl
drain
drain
--- ctl_stdout
this node is drained: its health check (/healthz) answers 503
--- request
GET /healthz
--- error_code: 503



=== TEST 19: undrain: upkeepctl says so, the health check answers 200 again
--- config eval: $::Conf
--- ctl
drain
undrain
--- ctl_stdout
this node is undrained: its health check (/healthz) answers 200
--- request
GET /healthz
--- error_code: 200
--- response_body
ok
mode=normal
--- response_headers
Upkeep-Drain: off



=== TEST 20: undrain of a node that is not drained is fine (exit 0, same line)
--- config eval: $::Conf
--- ctl
undrain
undrain
--- ctl_stdout
this node is undrained: its health check (/healthz) answers 200
--- request
GET /healthz
--- error_code: 200



=== TEST 21: drain survives a stop and a fresh start, and httpd says it starts drained
--- config eval: $::Conf
--- ctl
undrain
drain
--- restart: stop_start
--- request
GET /healthz
--- error_code: 503
--- response_body
draining
mode=normal
--- error_log
UPK0012: this node starts drained



=== TEST 22: drain survives a graceful restart
--- config eval: $::Conf
--- ctl
undrain
drain
--- restart: graceful
--- request
GET /healthz
--- error_code: 503
--- response_headers
Upkeep-Drain: on
--- error_log
UPK0012: this node starts drained



=== TEST 23: drain survives a hard restart
--- config eval: $::Conf
--- ctl
undrain
drain
--- restart: hard
--- request
GET /healthz
--- error_code: 503
--- response_headers
Upkeep-Drain: on
--- error_log
UPK0012: this node starts drained



=== TEST 24: drain survives kill -9 of every httpd process
--- config eval: $::Conf
--- ctl
undrain
drain
--- restart: kill9
--- request
GET /healthz
--- error_code: 503
--- response_headers
Upkeep-Drain: on
--- error_log
UPK0012: this node starts drained



=== TEST 25: undrain survives a restart too (no UPK0012, 200)
--- config eval: $::Conf
--- ctl
drain
undrain
--- restart: stop_start
--- request
GET /healthz
--- error_code: 200
--- response_headers
Upkeep-Drain: off
--- no_error_log
UPK0012



=== TEST 26: drain and a mode are independent: the mode survives the restart with the drain
--- config eval: $::Conf
--- ctl
undrain
drain
readonly
--- restart: stop_start
--- request
GET /healthz
--- error_code: 503
--- response_body
draining
mode=readonly
--- error_log
UPK0012: this node starts drained
UPK0006: scope 'default' starts in readonly mode



=== TEST 27: status shows the drain and since when
--- config eval: $::Conf
--- ctl
undrain
drain
status
--- ctl_stdout_like
^drain: on since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(the health check answers 503\)$



=== TEST 28: status of an undrained node has no drain line
--- config eval: $::Conf
--- ctl
drain
undrain
status
--- ctl_stdout_like
\A(?![\s\S]*drain)[\s\S]*^scope default: normal$



=== TEST 29: status --json: "drained": true at the top level
--- config eval: $::Conf
--- ctl
undrain
drain
status --json
--- ctl_stdout_like
\A\{"schema":1,.*"state_dir":.*\],"drained":true[,}]



=== TEST 30: status --json: "drained": false at the top level
--- config eval: $::Conf
--- ctl
drain
undrain
status --json
--- ctl_stdout_like
\A\{"schema":1,.*"state_dir":.*\],"drained":false[,}]



=== TEST 31: --cluster drain is refused (exit 2): it would drain every node at once
--- config eval: $::Conf
--- ctl
undrain
--cluster drain
--- ctl_exit_code: 2
--- ctl_stderr_like
\Aupkeepctl: drain is node-local: --cluster drain would take every node out of the load balancer at once
--- request
GET /healthz
--- error_code: 200
--- response_headers
Upkeep-Drain: off



=== TEST 31b: drain --scope is a usage error (exit 2): draining is node-wide
--- config eval: $::Conf
--- ctl
undrain
--scope shop drain
--- ctl_exit_code: 2
--- ctl_stderr_like
\Aupkeepctl: drain is node-wide \(the health check answers for every scope\): --scope does not go with it
--- request
GET /healthz
--- error_code: 200
--- response_headers
Upkeep-Drain: off



=== TEST 32: drain --wait is a usage error (exit 2) and drains nothing
--- config eval: $::Conf
--- ctl
undrain
drain --wait
--- ctl_exit_code: 2
--- ctl_stderr_like
\Aupkeepctl: .*--wait.*\(see upkeepctl --help\)$
--- request
GET /healthz
--- error_code: 200



=== TEST 33: drain by someone who may not write the state directory: exit 1, not drained
--- config eval: $::Conf
--- ctl
drain
--- ctl_user: nobody
--- ctl_exit_code: 1
--- ctl_stderr_like
^upkeepctl: permission denied
--- request
GET /healthz
--- error_code: 200



=== TEST 34: undrain --wait is a usage error (exit 2) and undrains nothing
--- config eval: $::Conf
--- ctl
drain
undrain --wait
--- ctl_exit_code: 2
--- ctl_stderr_like
\Aupkeepctl: .*--wait.*\(see upkeepctl --help\)$
--- request
GET /healthz
--- error_code: 503



=== TEST 35: the health check follows the vhost's scope
--- config
UpkeepHealthCheck /healthz
UpkeepScope shop
--- ctl
undrain
--scope shop readonly
maintenance
--- request
GET /healthz
--- error_code: 200
--- response_body
ok
mode=readonly
--- response_headers
Upkeep-Mode: readonly



=== TEST 36: UpkeepHealthCheck at server level applies to the vhost
--- server_config
UpkeepHealthCheck /lb-check
--- ctl
undrain
maintenance
--- request
GET /lb-check
--- error_code: 200
--- response_body
ok
mode=maintenance



=== TEST 37: without UpkeepHealthCheck, /healthz is an ordinary request (503 in maintenance)
--- ctl
undrain
maintenance
--- request
GET /healthz
--- error_code: 503
--- response_headers
!Upkeep-Mode



=== TEST 38: UpkeepHealthCheck must be a URL path
--- must_die
--- config
UpkeepHealthCheck healthz
--- startup_error_like
UpkeepHealthCheck: 'healthz' is not a plain URL path



=== TEST 39: UpkeepHealthCheck must not carry a query
--- must_die
--- config
UpkeepHealthCheck /healthz?x=1
--- startup_error_like
UpkeepHealthCheck: '/healthz\?x=1' is not a plain URL path



=== TEST 40: UpkeepHealthCheck is not allowed in <Location>
--- must_die
--- config
<Location /x>
    UpkeepHealthCheck /healthz
</Location>
--- startup_error_like
UpkeepHealthCheck not allowed in <Location> context



=== TEST 41: leave the node undrained (the last block of the file)
--- config eval: $::Conf
--- ctl
undrain
--- request
GET /healthz
--- error_code: 200
