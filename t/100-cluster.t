# Cluster-wide mode over memcached, one node: upkeepctl --cluster flips,
# how the local and the cluster layer combine, what status shows, and the
# directives httpd refuses.  Two nodes, memcached outages and forged values
# are in t/101-cluster-two-nodes.t and t/102-cluster-values.t.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: --cluster maintenance takes the site down and says where it stored the mode
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster maintenance --reason "cluster upgrade"
--- ctl_stdout_like
\Ascope default: maintenance on every node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+, stored on 1 of 1 memcached servers\)\n\z
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 60
Cache-Control: no-store
--- response_body_like
<p class="reason">cluster upgrade</p>
--- error_log eval
[qr/UPK0010: scope 'default' is now in maintenance mode \(cluster layer, version \d+, set by \S+\): cluster upgrade/]
--- no_error_log
UPK0020
UPK0022
[error]



=== TEST 2: --cluster normal brings the site back, no restart
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster maintenance
--cluster normal
--- ctl_stdout_like
\Ascope default: normal \(version \d+, stored on 1 of 1 memcached servers\)\n\z
--- request
GET /
--- error_code: 200
--- response_body
hello
--- error_log eval
[qr/UPK0019: scope 'default' is now in normal mode \(its cluster layer is now normal: version \d+/]



=== TEST 3: --cluster readonly refuses writes and serves reads
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster readonly --reason "db failover"
--- request
POST /
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>



=== TEST 4: each --cluster flip raises the version by one
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- clean_state
--- ctl
--cluster maintenance
--cluster readonly
--cluster maintenance
--- ctl_stdout_like
\Ascope default: maintenance on every node since \S+; clients get Retry-After 60 \(version 3, stored on 1 of 1 memcached servers\)\n\z
--- request
GET /
--- error_code: 503



=== TEST 5: --cluster status shows both layers and what memcached holds
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- clean_state
--- ctl
--cluster maintenance --reason "rolling deploy"
--cluster status
--- ctl_stdout_like
\Ascope default: maintenance
  reason:      rolling deploy
  since:       \S+
  until:       -
  retry-after: 60
  refusal:     503
  version:     1
  changed-by:  \S+
  layer:       cluster
  local:       normal \(version 0\)
  cluster:     maintenance \(version 1\)
  writes:      0 in flight, 0 held
  live:        in sync
  memcached:   127\.0\.0\.1:\d+ maintenance \(version 1\)
cluster sync: (last good poll \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+s ago\)|no good poll yet)\n\z
--- request
GET /
--- error_code: 503



=== TEST 6: plain status (no --cluster) shows the layers without asking memcached
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster readonly
status
--- ctl_stdout_like
\Ascope default: readonly\n(?:  .*\n)*  layer:       cluster
  local:       normal \(version \d+\)
  cluster:     readonly \(version \d+\)
  writes:      0 in flight, 0 held
  live:        in sync
cluster sync: (last good poll \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\d+s ago\)|no good poll yet)\n\z
--- request
GET /
--- error_code: 200



=== TEST 7: local readonly + cluster normal: readonly is in force
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--local readonly --reason "local replica lag"
[3] --cluster normal
status
--- ctl_stdout_like
\Ascope default: readonly
  reason:      local replica lag
(?:  .*\n)*  layer:       local
  local:       readonly \(version \d+\)
  cluster:     normal \(version \d+\)
--- request
PUT /x
y
--- error_code: 503
--- response_body_like
The site is read-only



=== TEST 8: local readonly + cluster normal: reads still pass
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--local readonly
[3] --cluster normal
--- request
GET /
--- error_code: 200
--- response_body
hello



=== TEST 9: cluster maintenance + local readonly: maintenance is in force, with the cluster's reason
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--local readonly --reason "local reason"
--cluster maintenance --reason "cluster reason"
status
--- ctl_stdout_like
\Ascope default: maintenance
  reason:      cluster reason
(?:  .*\n)*  layer:       cluster
  local:       readonly \(version \d+\)
  cluster:     maintenance \(version \d+\)
--- request
GET /
--- error_code: 503
--- response_body_like
<p class="reason">cluster reason</p>



=== TEST 10: local maintenance + cluster readonly: the local maintenance wins
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster readonly --reason "cluster reason"
--local maintenance --reason "this node only"
--- request
GET /
--- error_code: 503
--- response_body_like
<p class="reason">this node only</p>



=== TEST 11: cluster back to normal leaves the local layer in force
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--local readonly
--cluster maintenance
[3] --cluster normal
--- wait: 0.5
--- request
POST /
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>



=== TEST 12: local normal does not lift a cluster maintenance
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster maintenance
[3] --local normal
--- wait: 0.5
--- request
GET /
--- error_code: 503



=== TEST 13: the cluster mode survives a graceful restart
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster maintenance --reason "survives"
--- restart: graceful
--- request
GET /
--- error_code: 503
--- response_body_like
<p class="reason">survives</p>
--- error_log
UPK0006: scope 'default' starts in maintenance mode (cluster layer



=== TEST 14: a --cluster --for window ends by itself
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster maintenance --for 1s
--- wait: 2.1
--- request
GET /
--- error_code: 200



=== TEST 15: a second memcached that does not answer: stored on 1 of 2, with a warning
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort, 127.0.0.1:1
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster maintenance
--- ctl_stdout_like
\Ascope default: maintenance on every node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+, stored on 1 of 2 memcached servers\)\n\z
--- ctl_stderr_like
upkeepctl: warning: 127\.0\.0\.1:1: 
--- request
GET /
--- error_code: 503
--- no_error_log
UPK0021



=== TEST 16: --cluster status names the server that does not answer
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort, 127.0.0.1:1
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- ctl
--cluster readonly
--cluster status
--- ctl_stdout_like
^  memcached:   127\.0\.0\.1:\d+ readonly \(version \d+\)
  memcached:   127\.0\.0\.1:1 no answer$
--- request
GET /
--- error_code: 200



=== TEST 17: --cluster with no memcached answering: exit 1, nothing changed
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- state_unchanged
--- ctl
--cluster maintenance --memcached 127.0.0.1:1
--- ctl_exit_code: 1
--- ctl_stderr_like
^upkeepctl: no memcached server answered; not changed$
--- request
GET /
--- error_code: 200



=== TEST 18: --memcached and --secret-file only go with --cluster
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- state_unchanged
--- ctl
--local maintenance --memcached 127.0.0.1:$MemcachedPort
--- ctl_exit_code: 2
--- ctl_stderr_like
^upkeepctl: --memcached and --secret-file go with --cluster \(see upkeepctl --help\)$
--- request
GET /
--- error_code: 200



=== TEST 19: --secret-file without --cluster is a usage error too
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- state_unchanged
--- ctl
--local readonly --secret-file $ServRoot/conf/secret
--- ctl_exit_code: 2
--- ctl_stderr_like
go with --cluster



=== TEST 20: --cluster without UpkeepMemcached is a usage error that says where to look
--- config
--- state_unchanged
--- ctl
--cluster maintenance
--- ctl_exit_code: 2
--- ctl_stderr_like
^upkeepctl: --cluster: no cluster is configured \(httpd has no UpkeepMemcached: no \S+/cluster\.conf\); give --memcached \(see upkeepctl --help\)$
--- request
GET /
--- error_code: 200



=== TEST 21: without UpkeepSecretFile httpd warns at every start that values are unsigned
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
--- restart: graceful
--- request
GET /
--- error_code: 200
--- error_log
UPK0020: UpkeepMemcached without UpkeepSecretFile: cluster values are not signed



=== TEST 22: without UpkeepSecretFile upkeepctl --cluster still works, with a warning
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
--- ctl
--cluster maintenance
--- ctl_stdout_like
^scope default: maintenance on every node
--- ctl_stderr_like
^upkeepctl: warning: no secret file: cluster values are not signed$
--- request
GET /
--- error_code: 503



=== TEST 23: with UpkeepSecretFile there is no UPK0020 warning
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 200ms
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- restart: graceful
--- request
GET /
--- error_code: 200
--- no_error_log
UPK0020



=== TEST 24: a secret of exactly 16 bytes plus a newline is accepted
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSecretFile conf/secret16
--- user_files
>>> conf/secret16
0123456789abcdef
--- ctl
--cluster maintenance
--- request
GET /
--- error_code: 503



=== TEST 25: UpkeepMemcached with a name that is not HOST:PORT
--- must_die
--- main_config
UpkeepMemcached nohost
--- startup_error_like
UpkeepMemcached: 'nohost' .*is not HOST:PORT



=== TEST 26: UpkeepMemcached with a port out of range
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:70000
--- startup_error_like
UpkeepMemcached: '127\.0\.0\.1:70000'



=== TEST 27: UpkeepMemcached with more than 8 servers
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 127.0.0.1:4 127.0.0.1:5 127.0.0.1:6 127.0.0.1:7 127.0.0.1:8 127.0.0.1:9
--- startup_error_like
UpkeepMemcached: .*more than 8 servers



=== TEST 28: UpkeepMemcached with no server
--- must_die
--- main_config
UpkeepMemcached
--- startup_error_like
UpkeepMemcached



=== TEST 29: UpkeepSyncInterval under 100ms
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval 50ms
--- startup_error_like
UpkeepSyncInterval: '50ms' must be between 100ms and 1h



=== TEST 30: UpkeepSyncInterval that is not a duration
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSyncInterval soon
--- startup_error_like
UpkeepSyncInterval: 'soon'



=== TEST 31: UpkeepClusterKey with a space
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepClusterKey "a b"
--- startup_error_like
UpkeepClusterKey: 'a b' may only contain letters, digits



=== TEST 32: UpkeepClusterKey longer than 64 characters
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepClusterKey aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
--- startup_error_like
UpkeepClusterKey: 'a+' must be 1 to 64 characters



=== TEST 33: UpkeepSecretFile that does not exist
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSecretFile conf/no-such-secret
--- startup_error_like
UpkeepSecretFile: 'conf/no-such-secret' cannot read \S*/conf/no-such-secret



=== TEST 34: UpkeepSecretFile with fewer than 16 bytes
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSecretFile conf/short-secret
--- user_files
>>> conf/short-secret
0123456789abcde
--- startup_error_like
UpkeepSecretFile: 'conf/short-secret' \S*/conf/short-secret holds fewer than 16 bytes



=== TEST 35: UpkeepSecretFile that is empty
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepSecretFile conf/empty-secret
--- user_files
>>> conf/empty-secret
--- startup_error_like
UpkeepSecretFile: .*holds fewer than 16 bytes



=== TEST 36: UpkeepMemcachedTimeout under 10ms
--- must_die
--- main_config
UpkeepMemcached 127.0.0.1:$MemcachedPort
UpkeepMemcachedTimeout 5ms
--- startup_error_like
UpkeepMemcachedTimeout: '5ms' must be between 10ms and 10s



=== TEST 37: UpkeepMemcached inside a VirtualHost
--- must_die
--- config
UpkeepMemcached 127.0.0.1:$MemcachedPort
--- startup_error_like
UpkeepMemcached cannot occur within <VirtualHost> section



=== TEST 38: UpkeepSyncInterval inside a VirtualHost
--- must_die
--- config
UpkeepSyncInterval 1s
--- startup_error_like
UpkeepSyncInterval cannot occur within <VirtualHost> section



=== TEST 39: UpkeepClusterKey inside a VirtualHost
--- must_die
--- config
UpkeepClusterKey other
--- startup_error_like
UpkeepClusterKey cannot occur within <VirtualHost> section



=== TEST 40: UpkeepSecretFile inside a VirtualHost
--- must_die
--- config
UpkeepSecretFile conf/secret
--- user_files
>>> conf/secret
test-secret-0123456789-abcdefghij
--- startup_error_like
UpkeepSecretFile cannot occur within <VirtualHost> section



=== TEST 41: UpkeepMemcached inside a Location is not allowed either
--- must_die
--- config
<Location /x>
    UpkeepMemcached 127.0.0.1:$MemcachedPort
</Location>
--- startup_error_like
UpkeepMemcached not allowed in <Location> context
