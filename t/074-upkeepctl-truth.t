# upkeepctl says what the site serves (issue 13): one case per finding of
# the issue, each asserting what the operator sees (exit status, the line
# printed, stderr) and what the users then get (the HTTP status and
# Retry-After of a request sent right after).
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);

my $Dir = tempdir('upkeep-truth-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $Dir;
sub secret_file {
    my ($name, $secret) = @_;
    my $f = "$Dir/$name";
    open my $fh, '>', $f or die "$f: $!";
    print $fh "$secret\n";
    close $fh;
    chmod 0600, $f;
    return $f;
}
my $ClusterSecret = secret_file('cluster.secret', 'truth-cluster-secret-0123456789abcdef');
my $BypassSecret  = secret_file('bypass.secret',  'truth-bypass-secret-0123456789abcdef');

# A CGI that reads its body and answers 200; slow.cgi also sleeps 4 s.
my $Echo = <<'EOF';
my $len = $ENV{CONTENT_LENGTH} || 0;
my $body = '';
while (length $body < $len) { my $n = read STDIN, $body, $len - length $body, length $body; last unless $n }
sleep $1 if ($ENV{SCRIPT_NAME} // '') =~ /slow/ && ($ENV{QUERY_STRING} // '') =~ /^(\d+)$/;
print "Content-Type: text/plain\r\n\r\nsaved mode=" . ($ENV{UPKEEP_MODE} // '') . "\n";
EOF
sub cgis { write_cgi($_, $Echo) for qw(echo.cgi slow.cgi) }

sub post { http_get('POST', '/cgi-bin/echo.cgi', undef, 'x=1') }
sub scope_now { scope_json(status_json(@_), 'default') || {} }
sub first_line { (split /\n/, $_[0] // '')[0] // '' }
# upkeepctl; its exit status checked against $want; (stdout, stderr)
sub ctl_is {
    my ($want, @args) = @_;
    my ($rc, $out, $err) = ctl(@args);
    is($rc, $want, "upkeepctl @args: exit $want") or diag("stdout: $out\nstderr: $err");
    return ($out, $err);
}
# Retry-After a refused request gets
sub retry_after_of { my ($r) = @_; $r->{headers}{'retry-after'} // -1 }

# ======================================================================
# 1. one command reaches the cluster; the other layer is named
# ======================================================================
instance('cl', sub {
    my $mc = memcached_port();
    start_server({ main_config => <<"EOF" });
UpkeepMemcached 127.0.0.1:$mc
UpkeepSyncInterval 200ms
UpkeepSecretFile $ClusterSecret
EOF
    cgis();
    my ($out, $err) = ctl_is(0, 'readonly', '--for', '5m');
    like($out, qr/\Ascope default: readonly on every node since \S+, until \S+ \(in (?:5m|4m 59s)\); clients get Retry-After (?:300|299) \(version \d+, stored on 1 of 1 memcached servers\)\n\z/,
         'cluster: readonly reaches every node by default (no --cluster)');
    is(post()->{status}, 503, 'cluster: a POST is refused');
    ($out, $err) = ctl_is(0, 'normal');
    like($out, qr/\Ascope default: normal \(version \d+, stored on 1 of 1 memcached servers\)\n\z/, 'cluster: normal ends it on every node');
    is(post()->{status}, 200, 'cluster: a POST is served again');

    ($out, $err) = ctl_is(0, '--local', 'readonly');
    like($out, qr/\Ascope default: readonly on this node since /, 'cluster: --local readonly holds on this node');
    ($out, $err) = ctl_is(3, 'normal');
    unlike(first_line($out), qr/already readonly/,
           'cluster: normal (asked) is not answered "already readonly" (the local layer holds readonly, nobody asked it again)');
    like($out, qr/^note: the local layer holds readonly \(set by \S+, version \d+\), which is stricter: upkeepctl --local normal ends it$/m,
         'cluster: normal while --local readonly holds names the local layer and the command that ends it');
    is(post()->{status}, 503, 'cluster: ... and a POST is indeed still refused');
    ($out, $err) = ctl_is(0, '--local', 'normal');
    like($out, qr/\Ascope default: normal \(version \d+\)\n\z/, 'cluster: --local normal ends it');
    is(post()->{status}, 200, 'cluster: a POST is served again');

    # the other way round: --local normal under a stricter cluster layer
    ctl_is(0, 'readonly', '--for', '5m');
    ($out, $err) = ctl_is(3, '--local', 'normal');
    unlike(first_line($out), qr/^scope default: normal/, 'cluster: --local normal under cluster readonly does not say "normal"');
    like($out, qr/^note: the cluster layer holds readonly \(set by \S+, version \d+\), which is stricter: upkeepctl normal ends it$/m,
         'cluster: ... it names the cluster layer and the command that ends it (no --cluster: the default)') or diag("$out$err");
    is(post()->{status}, 503, 'cluster: ... and a POST is indeed still refused');
    ctl_is(0, 'normal');
    is(post()->{status}, 200, 'cluster: upkeepctl normal ends it');
    is_deeply([fatal_log_lines(0)], [], 'cluster: no crash in the error log');
    stop_server();
});

# ======================================================================
# A single server: UpkeepRetryAfter 30 in the vhost, a scope `typo` (dropped later, for
# forget), no health check, no bypass.
# ======================================================================
my $Conf1 = <<'EOF1';
UpkeepRetryAfter 30
<Location /typo>
    UpkeepScope typo
</Location>
EOF1
start_server($Conf1);
cgis();
ctl('normal');

# --cluster where httpd has no UpkeepMemcached
{
    my ($rc, $out, $err) = ctl('--cluster', 'readonly');
    is($rc, 2, '--cluster readonly without UpkeepMemcached: exit 2') or diag("$out$err");
    like($err, qr/--cluster: no cluster is configured \(httpd has no UpkeepMemcached/, '... saying no cluster is configured');
    is(post()->{status}, 200, '... and writes are still served');
}

# ======================================================================
# 2. scopes are checked
# ======================================================================
{
    my $v = scope_now()->{version};
    my ($rc, $out, $err) = ctl('--scope', 'defualt', 'maintenance');
    is($rc, 2, '--scope defualt maintenance: exit 2') or diag("$out$err");
    like($err, qr/unknown scope 'defualt': httpd's configuration names default, typo \(did you mean 'default'\?\); nothing changed/,
         '... listing the configured scopes and the closest one');
    is($out, '', '... nothing on stdout');
    ok(!-e state_dir() . '/defualt.state', '... no state file for it');
    is(http_get('GET', '/')->{status}, 200, '... and the site is still served (200)');
    is(scope_now()->{version}, $v, '... default unchanged');
    ($rc, $out, $err) = ctl('status', '--scope', 'defualt');
    is($rc, 2, 'status --scope defualt: exit 2');
    like($err, qr/did you mean 'default'/, '... with the closest scope');
    unlike(join(' ', map { $_->{scope} } @{ status_json()->{scopes} }), qr/defualt/, 'status lists no scope defualt');
}

# ======================================================================
# 4. windows are kept
# ======================================================================
{
    my ($out, $err) = ctl_is(0, 'maintenance', '--for', '10m');
    ($out, $err) = ctl_is(0, 'maintenance', '--reason', 'new reason');
    like($out, qr/\Ascope default: maintenance on this node since \S+, until \S+ \(in (?:10m|9m \d+s)\); clients get Retry-After (?:600|59\d) \(version \d+\)\n\z/,
         'maintenance --reason after maintenance --for 10m: the reply keeps the end');
    like($err, qr/^upkeepctl: note: the end of the window in force is kept \(\S+\); --no-end removes it$/m, '... and stderr says it was kept');
    my ($rc, $st) = ctl('status', '--scope', 'default');
    like($st, qr/^  until:       \S+ \(in (?:10m|9m \d+s)\)$/m, '... status: until is not "-"');
    like($st, qr/^  reason:      new reason$/m, '... with the new reason');
    my $r = http_get('GET', '/');
    is($r->{status}, 503, '... clients get 503');
    cmp_ok(retry_after_of($r), '>=', 590, '... with Retry-After about 600 (' . retry_after_of($r) . ')');
    cmp_ok(retry_after_of($r), '<=', 600, '... not more');

    ctl_is(0, 'readonly', '--for', '10m');
    my $until = scope_now()->{until};
    ($out, $err) = ctl_is(0, 'maintenance');
    like($out, qr/\Ascope default: maintenance on this node since \S+, until \S+ \(in (?:10m|9m \d+s)\);/, 'maintenance after readonly --for 10m: the end is kept');
    like($err, qr/the end of the window in force is kept/, '... stderr says so');
    is(scope_now()->{until}, $until, '... the same end (status JSON)');
    cmp_ok(retry_after_of(http_get('GET', '/')), '>=', 590, '... clients get Retry-After about 600');

    ($out, $err) = ctl_is(0, 'maintenance', '--no-end');
    unlike($out, qr/until/, 'maintenance --no-end: no end in the reply');
    ($rc, $st) = ctl('status', '--scope', 'default');
    like($st, qr/^  until:       -$/m, '... status: until: -');
    is(retry_after_of(http_get('GET', '/')), 30, '... clients get UpkeepRetryAfter (30)');

    ($out, $err) = ctl_is(0, 'readonly', '--until', '+20m');
    like($out, qr/\Ascope default: readonly on this node since \S+, until \S+ \(in (?:20m|19m \d+s)\);/, 'readonly --until +20m: until in 20 minutes');
    my $s = scope_now();
    is($s->{mode}, 'readonly', '... readonly in force');
    my $r2 = http_get('POST', '/cgi-bin/echo.cgi', undef, 'x=1');
    is($r2->{status}, 503, '... a POST is refused');
    cmp_ok(abs(retry_after_of($r2) - 1200), '<=', 5, '... with Retry-After about 1200 (' . retry_after_of($r2) . ')');
    ctl('normal');
}

# ======================================================================
# 5a. drain without a health check
# ======================================================================
{
    my ($rc, $out, $err) = ctl('drain');
    is($rc, 1, 'drain without UpkeepHealthCheck: exit 1') or diag("$out$err");
    like($err, qr/UpkeepHealthCheck/, '... naming UpkeepHealthCheck');
    unlike($out . $err, qr/answers 503/, '... and no "answers 503"');
    ok(!status_json()->{drained}, '... drained stays false');
}

# ======================================================================
# 6. --wait times out: exit 3, the mode stays in force
# ======================================================================
{
    my $w = start_req(method => 'POST', path => '/cgi-bin/slow.cgi?4', body => 'x=1');
    my $t = wait_until(sub { (scope_now()->{inflight_writes} // 0) == 1 }, 5, [$w]);
    ok(defined $t, 'a slow POST is in flight');
    my $t0 = time;
    my ($rc, $out, $err) = ctl('readonly', '--wait', '--timeout', '2s');
    my $dt = time - $t0;
    is($rc, 3, 'readonly --wait --timeout 2s with a write in flight: exit 3') or diag("$out$err");
    like($out, qr/\Ascope default: readonly on this node since /, '... the flip is printed');
    like($err, qr/^upkeepctl: waiting: 1 write in flight on this node$/m, '... at least one "waiting:" progress line');
    like($err, qr/timed out after 2000 ms: 1 write of scope 'default' still in flight on this node; the mode stays in force/,
         '... and says it timed out, the mode staying in force');
    cmp_ok($dt, '>=', 1.9, sprintf '... after the timeout (%.1f s)', $dt);
    is(scope_now()->{mode}, 'readonly', '... the mode IS readonly');
    is(post()->{status}, 503, '... a new POST gets 503');
    pump([$w], 6);
    is(response_of($w)->{status}, 200, 'the slow POST that was in flight completes (200)');
    ctl('normal');
}

# ======================================================================
# 7. status shows what clients get
# ======================================================================
{
    ctl_is(0, 'readonly');
    my ($rc, $st) = ctl('status', '--scope', 'default');
    like($st, qr/^  retry-after: 30$/m, 'readonly: status shows retry-after: 30 (UpkeepRetryAfter)');
    like($st, qr/^  refusal:     503$/m, '... and refusal: 503');
    my $r = post();
    is($r->{status}, 503, '... a POST gets 503');
    is(retry_after_of($r), 30, '... with Retry-After: 30');

    ctl_is(0, 'hold', '--max', '2s');
    ($rc, $st) = ctl('status', '--scope', 'default');
    like($st, qr/^  hold-max:    2000 ms$/m, 'hold --max 2s: status shows hold-max: 2000 ms');
    my $s = scope_now();
    is($s->{hold_max_ms}, 2000, '... JSON hold_max_ms 2000');
    ctl_is(0, 'normal');

    my ($out, $err) = ctl_is(0, 'maintenance', '--at', '+2h', '--for', '30m');
    like($out, qr/\Ascope default: maintenance scheduled on this node from \S+ \(in (?:2h|1h 59m)\) until \S+ \(in (?:2h 30m|2h 29m)\)/,
         'maintenance --at +2h --for 30m: the reply says when it starts and ends');
    ($rc, $st) = ctl('status');
    like(first_line($st), qr/\Ascope default: normal now; maintenance on this node from \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in (?:2h|1h 59m)\) until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in (?:2h 30m|2h 29m)\)\z/,
         'status, first line: normal now; maintenance from ... (in 2h) until ... (in 2h 30m)') or diag($st);
    unlike($st, qr/^scope default: normal\n/m, '... not a bare "normal" line');
    is(http_get('GET', '/')->{status}, 200, '... the site is served now');

    # 12. the JSON (a pending window in next_window)
    my $j = status_json();
    is($j->{schema}, 1, 'status --json: "schema":1');
    ok(length($j->{node} // ''), 'status --json: node');
    like($j->{generated} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'status --json: generated (UTC)');
    my $d = scope_json($j, 'default') || {};
    for my $k (qw(retry_after hold_max_ms refusal_status next_window)) {
        ok(exists $d->{$k}, "status --json: scope default has $k");
    }
    is($d->{mode}, 'normal', 'status --json: normal now');
    is($d->{refusal_status}, undef, 'status --json: refusal_status null in normal mode');
    ok(ref $d->{next_window} eq 'HASH', 'status --json: next_window is the pending window') or diag(explain($d->{next_window}));
    is(ref $d->{next_window} && $d->{next_window}{mode}, 'maintenance', '... of maintenance');
    ctl_is(0, 'cancel');
    $d = scope_now();
    is($d->{next_window}, undef, 'status --json: next_window null once cancelled');

    ctl_is(0, 'readonly');
    $d = scope_now();
    is($d->{retry_after}, 30, 'status --json, readonly: retry_after 30');
    is($d->{refusal_status}, 503, 'status --json, readonly: refusal_status 503');
    like($d->{hold_max_ms} // '', qr/^\d+$/, 'status --json: hold_max_ms a number');
    ctl('normal');
}

# ======================================================================
# 8. conventions: --version, help, --retry-after DURATION, --for 20
# ======================================================================
{
    my $v = scope_now()->{version};
    my ($rc, $out, $err) = ctl('--version');
    is($rc, 0, '--version: exit 0');
    like($out, qr/\Aupkeepctl \d+\.\d+\.\d+\n\z/, '--version: upkeepctl X.Y.Z');
    for my $args (['-h'], ['--help'], ['help'], ['help', 'readonly'], ['readonly', '--help']) {
        ($rc, $out, $err) = ctl(@$args);
        is($rc, 0, "upkeepctl @$args: exit 0") or diag($err);
        like($out, qr/\Ausage: upkeepctl /, "upkeepctl @$args: usage on stdout");
        is($err, '', "upkeepctl @$args: nothing on stderr");
    }
    ($rc, $out) = ctl('help', 'readonly');
    like($out, qr/\Ausage: upkeepctl readonly .*--until/s, 'help readonly: the command\'s usage and options');
    my $s = scope_now();
    is($s->{mode}, 'normal', 'readonly --help changed nothing: still normal');
    is($s->{version}, $v, '... same version');
    is(post()->{status}, 200, '... and a POST is served');

    ($rc, $out, $err) = ctl('help', 'bogus');
    is($rc, 2, 'help bogus: exit 2');
    like($err, qr/bogus/, '... naming it');

    ($out, $err) = ctl_is(0, 'maintenance', '--retry-after', '1h');
    like($out, qr/clients get Retry-After 3600 /, 'maintenance --retry-after 1h: the reply says Retry-After 3600');
    is(retry_after_of(http_get('GET', '/')), 3600, '... and clients get Retry-After: 3600');
    ctl('normal');

    ($out, $err) = ctl_is(0, 'maintenance', '--for', '20');
    like($out, qr/\Ascope default: maintenance on this node since \S+, until \S+ \(in (?:20s|19s)\); clients get Retry-After (?:20|19) /,
         'maintenance --for 20: the reply shows until ... (in 20s)');
    ctl('normal');
}

# ======================================================================
# 9. the same command twice
# ======================================================================
{
    ctl_is(0, 'readonly');
    my $v = scope_now()->{version};
    my ($out, $err) = ctl_is(0, 'readonly');
    like($out, qr/\Ascope default: already readonly on this node since /, 'readonly twice: the second says already readonly');
    is(scope_now()->{version}, $v, '... no new version');
    is(post()->{status}, 503, '... and writes are still refused');
    ctl('normal');
}

# the state of scope typo, before the configuration drops it (case 10)
ctl_is(0, '--scope', 'typo', 'maintenance', '--reason', 'left over');
is(http_get('GET', '/typo/')->{status}, 503, 'scope typo in maintenance');

# ======================================================================
# A second configuration: health check, staff bypass, no scope typo.
# ======================================================================
# UpkeepRetryAfter in the main server this time (above: in the vhost).
my %Conf2 = (main_config => "UpkeepRetryAfter 30\n", config => <<"EOF2");
UpkeepHealthCheck /health
UpkeepBypassSecret $BypassSecret
EOF2
start_server(\%Conf2);
cgis();

# 7, again: UpkeepRetryAfter of the main server
{
    ctl_is(0, 'readonly');
    my ($rc, $st) = ctl('status', '--scope', 'default');
    like($st, qr/^  retry-after: 30$/m, 'UpkeepRetryAfter 30 in the main server: status shows retry-after: 30');
    is(retry_after_of(post()), 30, '... and clients get Retry-After: 30');
    ctl_is(0, 'normal');
}

# ======================================================================
# 5b. drain with a health check
# ======================================================================
{
    my ($out, $err) = ctl_is(0, 'drain');
    like($out, qr{^this node is drained: its health check \(/health\) answers 503$}m, 'drain: the reply names /health');
    is(http_get('GET', '/health')->{status}, 503, '... and /health answers 503');
    ok(status_json()->{drained}, '... drained: true');
    ($out, $err) = ctl_is(0, 'undrain');
    is(http_get('GET', '/health')->{status}, 200, 'undrain: /health answers 200');
}

# ======================================================================
# 10. forget
# ======================================================================
{
    my ($rc, $st) = ctl('status');
    like($st, qr/^scope typo: maintenance$/m, 'the stray scope typo shows in status');
    my ($out, $err) = ctl_is(0, 'forget', '--scope', 'typo');
    like($out, qr/^scope typo: forgotten/, 'forget --scope typo: forgotten');
    ($rc, $st) = ctl('status');
    unlike($st, qr/^scope typo/m, '... and gone from status');
    ok(!grep({ $_->{scope} eq 'typo' } @{ status_json()->{scopes} }), '... and from status --json');
    ($rc, $out, $err) = ctl('forget', '--scope', 'default');
    is($rc, 1, 'forget --scope default: exit 1 (a configured scope)');
    like($err, qr/names scope 'default'/, '... saying why');
    ($rc, $out, $err) = ctl('forget');
    is($rc, 2, 'forget without --scope: exit 2');
    like($err, qr/--scope/, '... naming --scope');
}

# ======================================================================
# 11. the bypass URL after maintenance
# ======================================================================
{
    my ($out, $err) = ctl_is(0, 'maintenance');
    my $port = port();
    like($out, qr{^staff bypass: http://localhost:$port/\.upkeep/bypass/[A-Za-z0-9_-]{32}$}m, 'maintenance prints the staff bypass URL');
    my ($path) = $out =~ m{^staff bypass: http://[^/]+(/\S+)$}m;
    my $r = http_get('GET', $path // '/none');
    is($r->{status}, 302, '... which sets the cookie (302)');
    my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^([^;]+)/;
    is(http_get('GET', '/', { Cookie => $cookie // '' })->{status}, 200, '... and staff get the site (200)');
    is(http_get('GET', '/')->{status}, 503, '... while the public gets 503');
    ($out, $err) = ctl_is(0, 'readonly');
    like($out, qr{^staff bypass: http://}m, 'readonly prints it too');
    ($out, $err) = ctl_is(0, 'normal');
    unlike($out, qr{staff bypass}, 'normal does not');
}

# ======================================================================
# 3. no httpd, no comfort
# ======================================================================
{
    stop_server();
    my ($rc, $out, $err) = ctl('status');
    is($rc, 3, 'status with httpd stopped: exit 3') or diag("$out$err");
    like(first_line($out), qr/\Ano httpd runs on \S+/, '... the first line says no httpd runs');
    ($rc, $out, $err) = ctl('status', '--json');
    is($rc, 3, 'status --json with httpd stopped: exit 3');
    like($out, qr/"httpd_running":false/, '... "httpd_running":false');
    start_server(\%Conf2);
    ($rc) = ctl('status');
    is($rc, 0, 'started again: status exits 0');
    my $nodir = "/tmp/nonexist-upkeep-$$";
    ($rc, $out, $err) = ctl('--state-dir', $nodir, 'status');
    is($rc, 1, "--state-dir $nodir status: exit 1");
    like($err, qr/\Q$nodir\E does not exist/, '... naming the directory');
}

is_deeply([fatal_log_lines(0)], [], 'no crash in the error log');
stop_server();
done_testing();
