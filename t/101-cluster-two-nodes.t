# Cluster-wide mode with two httpd nodes sharing memcached: propagation,
# independent scopes, persistence when memcached is down, a memcached that
# never answers, concurrent flips, and clusters with another key or secret.
# Node A is the harness's default instance, node B instance('b').
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempfile);
use POSIX ();
use Time::HiRes qw(time sleep);

my $INTERVAL = 0.2;                 # UpkeepSyncInterval 200ms
my $PROPAGATE = $INTERVAL + 0.5;    # a flip reaches the other node within this

my ($sfh, $SECRET_FILE) = tempfile('upkeep-secret-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $sfh "two-nodes-secret-0123456789abcdef\n";
close $sfh;
my ($ofh, $OTHER_SECRET) = tempfile('upkeep-secret-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $ofh "another-secret-entirely-0123456789\n";
close $ofh;

my %NODE = (A => 'default', B => 'b');
sub on { my ($node, $code) = @_; instance($NODE{$node}, $code) }

# The config of a node: memcached servers, optional key prefix / secret;
# scope 'app' under /app.
sub spec {
    my (%o) = @_;
    my $servers = $o{servers} // '127.0.0.1:' . memcached_port();
    my $main = "UpkeepMemcached $servers\nUpkeepSyncInterval 200ms\n"
        . ($o{no_secret} ? '' : "UpkeepSecretFile " . ($o{secret} // $SECRET_FILE) . "\n")
        . ($o{key} ? "UpkeepClusterKey $o{key}\n" : '');
    return { main_config => $main,
             config => "<Location /app>\n    UpkeepScope app\n</Location>\n" };
}

# Fresh nodes: stopped, state wiped, memcached emptied, started with the
# given specs (default: both with spec()).
sub fresh {
    my (%specs) = @_;
    $specs{$_} //= spec() for qw(A B);
    for my $n (qw(A B)) {
        on($n, sub {
            start_server($specs{$n});    # the first start creates the servroot
            stop_server();
            remove_tree(servroot() . '/state');
            make_path(servroot() . '/htdocs/app');
            open my $fh, '>', servroot() . '/htdocs/app/index.html' or die $!;
            print $fh "app\n";
        });
    }
    mc_cmd(memcached_port(), 'flush_all');
    for my $n (qw(A B)) { on($n, sub { start_server($specs{$n}) }) }
}

sub status_of {
    my ($node, $path, $method) = @_;
    return on($node, sub { http_get($method // 'GET', $path // '/', undef, $method && $method ne 'GET' ? 'x' : undef)->{status} // 'no response' });
}

# ctl on a node, as a test: returns stdout.
sub ctl_ok {
    my ($node, @args) = @_;
    my ($rc, $out, $err) = on($node, sub { ctl(@args) });
    is($rc, 0, "node $node: upkeepctl @args exits 0") or diag("stdout: $out\nstderr: $err");
    return $out;
}

# Waits until GET $path on $node answers $want; returns the seconds it took
# (undef on timeout).
sub wait_status {
    my ($node, $want, $timeout, $path) = @_;
    my $t0 = time;
    return wait_for($timeout, sub { status_of($node, $path) == $want }) ? time - $t0 : undef;
}

sub log_count {
    my ($node, $off, $re) = @_;
    my $log = on($node, sub { error_log_since($off) });
    return scalar(() = $log =~ /$re/g);
}

sub offsets { return map { on($_, sub { error_log_offset() }) } qw(A B) }

# No child crashed (segfault, sanitizer report) since the last check.
my %CrashOff = (A => 0, B => 0);
sub no_crash {
    my ($what) = @_;
    for my $n (qw(A B)) {
        my @bad = on($n, sub { fatal_log_lines($CrashOff{$n}) });
        is(scalar(@bad), 0, "$what: no crash in the error log of node $n") or diag(join "\n", @bad);
        $CrashOff{$n} = on($n, sub { error_log_offset() });
    }
}

sub cstatus {
    my ($node, @args) = @_;
    my ($rc, $out, $err) = on($node, sub { ctl(@args, 'status') });
    return $out . $err;
}

# ------------------------------------------------------------ propagation
fresh();
{
    my ($offA, $offB) = offsets();
    is(status_of('B'), 200, 'B serves before any flip');
    my $out = ctl_ok('A', '--cluster', 'maintenance', '--reason', 'cluster upgrade');
    like($out, qr/^scope default: maintenance on every node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version 1, stored on 1 of 1 memcached servers\)$/,
         'A: --cluster maintenance stdout');
    my $took = wait_status('B', 503, 3);
    ok(defined $took && $took <= $PROPAGATE, "B serves 503 within interval + 0.5s")
        or diag('took ' . ($took // 'more than 3') . 's');
    my $r = on('B', sub { http_get('GET', '/') });
    like($r->{body}, qr{<p class="reason">cluster upgrade</p>}, 'B shows the cluster reason');
    ok(wait_for(1.5, sub { log_count('B', $offB, qr/UPK0010: scope 'default' is now in maintenance mode \(cluster layer, version 1, set by \S+\): cluster upgrade/) }),
       'B logs the transition (UPK0010)');
    is(log_count('A', $offA, qr/UPK0010: scope 'default' is now in maintenance mode/), 1,
       'A logs its transition once');
    like(cstatus('B'), qr/^  layer:       cluster\n  local:       normal \(version 0\)\n  cluster:     maintenance \(version 1\)$/m,
         'B status: cluster layer maintenance, version 1');

    $out = ctl_ok('B', '--cluster', 'normal');
    like($out, qr/^scope default: normal \(version 2, stored on 1 of 1 memcached servers\)$/,
         'B: --cluster normal raises the version above what B heard');
    $took = wait_status('A', 200, 3);
    ok(defined $took && $took <= $PROPAGATE, 'a flip on B reaches A within interval + 0.5s')
        or diag('took ' . ($took // 'more than 3') . 's');

    ctl_ok('A', '--cluster', 'maintenance', '--reason', "<b>caf\xc3\xa9</b> & \"\xc3\xbcber\" it's");   # UTF-8 bytes
    ok(wait_for(3, sub { (on('B', sub { http_get('GET', '/') })->{body} // '') =~ /class="reason"/ }), 'B down again');
    like(on('B', sub { http_get('GET', '/') })->{body},
         qr{<p class="reason">&lt;b&gt;caf\xc3\xa9&lt;/b&gt; &amp; &quot;\xc3\xbcber&quot; it&#39;s</p>},
         'a UTF-8 reason with markup reaches B intact and HTML-escaped');

    ctl_ok('A', '--cluster', 'readonly');
    ok(wait_for(3, sub { status_of('B') == 200 }), 'B serves GET after A went readonly');
    is(status_of('B', '/index.html', 'POST'), 503, 'B refuses POST in readonly');
    ctl_ok('B', '--cluster', 'normal');
    ok(wait_for(3, sub { status_of('A', '/index.html', 'POST') == 200 }), 'A accepts writes again');
    is(log_count('A', $offA, qr/\[error\]/), 0, 'A: no error lines');
    is(log_count('B', $offB, qr/\[error\]/), 0, 'B: no error lines');
}

# ------------------------------------------------------------ scopes are independent
{
    ctl_ok('A', '--cluster', '--scope', 'app', 'maintenance');
    ok(defined wait_status('B', 503, 3, '/app/'), 'B: /app/ (scope app) goes down');
    sleep 2 * $INTERVAL;
    is(status_of('B', '/'), 200, 'B: / (scope default) stays up');
    is(status_of('A', '/'), 200, 'A: / (scope default) stays up');

    ctl_ok('B', '--cluster', 'maintenance');
    ctl_ok('B', '--cluster', '--scope', 'app', 'normal');
    ok(defined wait_status('A', 503, 3, '/'), 'A: / goes down after B flipped default');
    ok(defined wait_status('A', 200, 3, '/app/'), 'A: /app/ comes back after B flipped app');
    like(cstatus('A', '--scope', 'app'), qr/^  cluster:     normal \(version 2\)$/m, 'A: app cluster layer version 2');
    like(cstatus('A', '--scope', 'default'), qr/^  cluster:     maintenance \(version \d+\)$/m, 'A: default cluster layer maintenance');
    ctl_ok('A', '--cluster', 'normal');
    ok(defined wait_status('B', 200, 3), 'B back to normal');
}

# ------------------------------------------------------------ a local flip stays local
{
    ctl_ok('B', '--local', 'maintenance', '--reason', 'B only');
    is(status_of('B'), 503, 'B: local maintenance');
    sleep 3 * $INTERVAL;
    is(status_of('A'), 200, 'A does not follow a local flip on B');
    ctl_ok('B', '--local', 'normal');
    is(status_of('B'), 200, 'B: local normal');
}

no_crash('propagation');

# ------------------------------------------------------------ memcached down
fresh();
{
    my $mc = memcached_port();
    ctl_ok('A', '--cluster', 'maintenance', '--reason', 'before the outage');
    ok(defined wait_status('B', 503, 3), 'B heard of the maintenance');
    stop_memcached($mc);

    # both nodes restart while memcached is down
    on($_, sub { stop_server() }) for qw(A B);
    my ($offA, $offB) = offsets();
    on($_, sub { start_server(spec()) }) for qw(A B);
    is(status_of('A'), 503, 'A (ran upkeepctl) starts in the persisted cluster mode');
    is(status_of('B'), 503, 'B (heard from memcached) starts in the persisted cluster mode');
    like(on('B', sub { error_log_since($offB) }),
         qr/UPK0006: scope 'default' starts in maintenance mode \(cluster layer, version 1, set by \S+\): before the outage/,
         'B logs that it starts in the cluster maintenance');

    sleep 8 * $INTERVAL;
    for my $n (qw(A B)) {
        my $off = $n eq 'A' ? $offA : $offB;
        is(log_count($n, $off, qr/UPK0021: no memcached server answers: keeping the last known cluster mode/), 1,
           "$n: exactly one UPK0021 over 8 intervals");
        like(cstatus($n), qr/^cluster sync: (last good poll \S+ \(\d+s ago\); no memcached server answers now|no good poll yet)$/m,
             "$n: status shows that sync is failing");
        is(status_of($n), 503, "$n keeps serving the held mode");
    }
    my $offK = on('B', sub { error_log_offset() });
    on('B', sub { restart_server('kill9') });
    is(status_of('B'), 503, 'B still starts in the cluster maintenance after kill -9 of every process');
    ok(wait_for(2, sub { log_count('B', $offK, qr/UPK0021/) }), '... and its new poller notices memcached is down');
    my ($rc, $out, $err) = on('B', sub { ctl('--cluster', 'normal') });
    is($rc, 1, 'B: --cluster normal with memcached down exits 1');
    like($err, qr/^upkeepctl: no memcached server answered; not changed$/m, '... and says so');
    is(status_of('B'), 503, '... and B keeps the maintenance');
    like(cstatus('B'), qr/^  cluster:     maintenance \(version 1\)$/m, '... its cluster layer unchanged');

    # memcached comes back, empty, on the same port
    ($offA, $offB) = offsets();
    start_memcached($mc);
    ok(wait_for(3, sub { log_count('A', $offA, qr/UPK0023: cluster sync is back/) && log_count('B', $offB, qr/UPK0023: cluster sync is back/) }),
       'both nodes log UPK0023');
    ok(wait_for(3, sub { (mc_get($mc, 'upkeep:default') // '') =~ /^mode maintenance\nversion 1\n/m }),
       'the held value is written back to the empty memcached');
    sleep 5 * $INTERVAL;
    for my $n (qw(A B)) {
        my $off = $n eq 'A' ? $offA : $offB;
        is(log_count($n, $off, qr/UPK0023/), 1, "$n: UPK0023 exactly once");
        is(log_count($n, $off, qr/UPK0021/), 0, "$n: no new UPK0021");
        unlike(cstatus($n), qr/no memcached server answers now/, "$n: status no longer says sync is failing");
        is(status_of($n), 503, "$n still in maintenance");
    }
    ok(log_count('A', $offA, qr/UPK0025: wrote version 1 of upkeep:default back to 127\.0\.0\.1:$mc/)
       + log_count('B', $offB, qr/UPK0025: wrote version 1 of upkeep:default back to 127\.0\.0\.1:$mc/) >= 1,
       'a node logs UPK0025 for the write-back');
    ctl_ok('A', '--cluster', 'normal');
    ok(defined wait_status('B', 200, 3), 'flips propagate again');
}

no_crash('memcached down');

# ------------------------------------------------------------ memcached comes back between a restart and the first poll
fresh();
{
    my $mc = memcached_port();
    ctl_ok('A', '--cluster', 'readonly');
    ok(wait_for(3, sub { cstatus('A') =~ /^cluster sync: last good poll /m }), 'A: a good poll');
    stop_memcached($mc);
    ok(wait_for(3, sub { cstatus('A') =~ /no memcached server answers now/ }), 'A: sync failing');
    on('A', sub { stop_server() });
    start_memcached($mc);
    my ($offA) = offsets();
    on('A', sub { start_server(spec()) });
    sleep 5 * $INTERVAL;
    my $st = cstatus('A');
    like($st, qr/^cluster sync: last good poll \S+ \(\ds ago\)$/m,
         'A: after a restart with memcached back, status does not claim sync is failing')
        or diag($st);
}

no_crash('restart with memcached back');

# ------------------------------------------------------------ one memcached never answers
{
    my $bh = start_blackhole();
    my $mc = memcached_port();
    my $spec = spec(servers => "127.0.0.1:$bh,127.0.0.1:$mc");
    fresh(A => $spec, B => $spec);
    my ($offA, $offB) = offsets();
    my $t0 = time;
    my $out = ctl_ok('A', '--cluster', 'maintenance');
    my $ctl_time = time - $t0;
    like($out, qr/stored on 1 of 2 memcached servers/, 'A: stored on the healthy server only');
    ok($ctl_time < 5, 'upkeepctl does not hang on the blackhole') or diag("took ${ctl_time}s");
    ok(defined wait_status('B', 503, 3), 'the flip reaches B through the healthy server');
    my ($slow, $bad) = (0, 0);
    for (1 .. 20) {
        my $t = time;
        my $s = status_of('B');
        $slow++ if time - $t >= 1;
        $bad++ if $s != 503;
    }
    is($slow, 0, '20 requests to B, none takes a second');
    is($bad, 0, '... all 503 (the held mode)');
    ctl_ok('B', '--cluster', 'normal');
    ok(defined wait_status('A', 200, 3), 'a flip from B reaches A');
    like(cstatus('A', '--cluster'), qr/^  memcached:   127\.0\.0\.1:$bh no answer\n  memcached:   127\.0\.0\.1:$mc normal \(version 2\)$/m,
         'A: --cluster status shows the blackhole as no answer');
    is(log_count('A', $offA, qr/UPK0021/), 0, 'A: no UPK0021 while one server answers');

    # only the blackhole: nothing answers, the held mode stays, requests stay fast
    ctl_ok('A', '--cluster', 'maintenance', '--reason', 'held');
    ok(defined wait_status('B', 503, 3), 'B heard of the maintenance');
    on('B', sub { stop_server() });
    ($offA, $offB) = offsets();
    on('B', sub { start_server(spec(servers => "127.0.0.1:$bh")) });
    sleep 6 * $INTERVAL;
    is(log_count('B', $offB, qr/UPK0021: no memcached server answers/), 1, 'B (blackhole only): one UPK0021');
    ($slow, $bad) = (0, 0);
    for (1 .. 20) {
        my $t = time;
        my $s = status_of('B');
        $slow++ if time - $t >= 1;
        $bad++ if $s != 503;
    }
    is($slow, 0, 'B (blackhole only): 20 requests, none takes a second');
    is($bad, 0, 'B (blackhole only): ... all 503 (the held mode)');
    like(cstatus('B'), qr/; no memcached server answers now$/m, 'B (blackhole only): status shows sync failing');
    no_crash('blackhole');

    # stopping or restarting a node while its poller waits on the blackhole
    on('B', sub { start_server(spec(servers => "127.0.0.1:$bh 127.0.0.1:$mc")) });
    for my $kind (('stop_start') x 10, ('graceful') x 10) {
        sleep 0.2 + rand 0.4;
        on('B', sub { restart_server($kind) });
    }
    sleep 1.1;    # the parent logs a crashed child when it reaps it
    no_crash('20 restarts of B while its poller waits on a blackholed memcached');
    stop_blackhole($bh);
}

# ------------------------------------------------------------ concurrent flips
fresh();
{
    my @modes = ((['maintenance', 'normal'], ['normal', 'maintenance'], ['readonly', 'maintenance'],
                  ['maintenance', 'readonly'], ['normal', 'readonly'], ['readonly', 'normal']) x 2);
    my $ties = 0;
    for my $round (0 .. $#modes) {
        my ($ma, $mb) = @{ $modes[$round] };
        my $at = time + 0.3;
        my %pid;
        pipe(my $r, my $w) or die "pipe: $!";
        for my $n (qw(A B)) {
            my $mode = $n eq 'A' ? $ma : $mb;
            my $pid = fork // die "fork: $!";
            if (!$pid) {
                sleep $at - time if $at > time;
                my ($rc, $out, $err) = on($n, sub { ctl('--cluster', $mode) });
                print {$w} "$n $out" . ($rc ? "$n exit $rc, stderr: $err" : '');
                close $w;
                POSIX::_exit($rc);
            }
            $pid{$n} = $pid;
        }
        close $w;
        my %rc;
        for my $n (qw(A B)) { waitpid $pid{$n}, 0; $rc{$n} = $? >> 8 }
        my @said = <$r>;
        is($rc{$_}, 0, "round $round: node $_ --cluster exits 0") or diag(@said) for qw(A B);
        my %v = map { /^(\w) .*\(version (\d+),/ ? ($1 => $2) : () } @said;
        $ties++ if ($v{A} // -1) == ($v{B} // -2);
        note("round $round: @said");
        # the nodes converge within a few polls; on a loaded machine later
        my %ver;
        wait_for(10, sub {
            for my $n (qw(A B)) {
                ($ver{$n}) = cstatus($n, '--scope', 'default') =~ /^  cluster:     (\w+ \(version \d+\))$/m;
            }
            ($ver{A} // 'A') eq ($ver{B} // 'B');
        });
        my $held = mc_get(memcached_port(), 'upkeep:default') // '';
        my ($mc_mode) = $held =~ /^mode (\w+)$/m;
        my ($mc_ver) = $held =~ /^version (\d+)$/m;
        is($ver{A}, $ver{B}, "round $round ($ma on A, $mb on B): both nodes hold the same cluster layer")
            and is($ver{A}, "$mc_mode (version $mc_ver)", "round $round: ... the one memcached holds");
        my %code = map { $_ => status_of($_, '/index.html', 'POST') } qw(A B);
        is($code{A}, $code{B}, "round $round: both nodes answer POST alike ($code{A})");
        # settled: nobody keeps rewriting memcached
        my @off = offsets();
        sleep 4 * $INTERVAL;
        is(log_count('A', $off[0], qr/UPK0025/) + log_count('B', $off[1], qr/UPK0025/), 0,
           "round $round: once settled, no node writes memcached again");
        is(mc_get(memcached_port(), 'upkeep:default'), $held, "round $round: memcached still holds the same value");
    }
    note("$ties of " . @modes . " rounds wrote the same version from both nodes");
}

# ------------------------------------------------------------ another key prefix is another cluster
{
    fresh(A => spec(key => 'blue'), B => spec(key => 'green'));
    my $mc = memcached_port();
    my ($offA, $offB) = offsets();
    ctl_ok('A', '--cluster', 'maintenance');
    ok((mc_get($mc, 'blue:default') // '') =~ /^mode maintenance$/m, 'A stored under blue:default');
    is(mc_get($mc, 'upkeep:default'), undef, '... and not under the default prefix');
    sleep 3 * $INTERVAL;
    is(status_of('B'), 200, 'B (green) does not follow blue');

    # a blue value replayed under the green key is not valid there
    mc_set($mc, 'green:default', mc_get($mc, 'blue:default'));
    sleep 3 * $INTERVAL;
    is(status_of('B'), 200, 'B ignores a value replayed from another cluster');
    is(log_count('B', $offB, qr/UPK0022: ignoring the value of green:default on 127\.0\.0\.1:$mc: it has a bad signature/), 1,
       'B logs the replayed value once (bad signature)');
}

# ------------------------------------------------------------ a node with another secret ignores the cluster
{
    fresh(A => spec(), B => spec(secret => $OTHER_SECRET));
    my $mc = memcached_port();
    my (undef, $offB) = offsets();
    ctl_ok('A', '--cluster', 'maintenance');
    sleep 4 * $INTERVAL;
    is(status_of('B'), 200, 'B (other secret) does not follow A');
    is(log_count('B', $offB, qr/UPK0022: ignoring the value of upkeep:default on 127\.0\.0\.1:$mc: it has a bad signature \(forged, truncated, or signed with another secret\)/), 1,
       'B logs the value it cannot verify, once');
    like(mc_get($mc, 'upkeep:default') // '', qr/^mode maintenance$/m, 'B does not overwrite the value it cannot verify');
    like(cstatus('B', '--cluster'), qr/^  memcached:   127\.0\.0\.1:$mc invalid: it has a bad signature/m,
         'B: --cluster status shows the value as invalid');
}

# ------------------------------------------------------------ the version space runs out
# Without a secret anyone who can write memcached can plant the highest
# version a node accepts (2^63-1).  upkeepctl --cluster must then either
# refuse, or store a value the nodes accept; it must not split the cluster.
{
    fresh(A => spec(no_secret => 1), B => spec(no_secret => 1));
    my $mc = memcached_port();
    mc_set($mc, 'upkeep:default', cluster_value(mode => 'maintenance', version => '9223372036854775807'));
    ok(defined wait_status('A', 503, 2) && defined wait_status('B', 503, 2), 'an unsigned version 2^63-1 is adopted (no secret)');
    my ($rc, $out, $err) = on('A', sub { ctl('--cluster', 'normal') });
    chomp $out;
    my @off = offsets();
    sleep 6 * $INTERVAL;
    if ($rc == 0) {
        is(status_of('A'), status_of('B'), "upkeepctl accepted the flip ($out): both nodes serve the same");
        unlike(cstatus('A', '--cluster'), qr/memcached: .* invalid/, '... memcached holds a value the nodes accept');
        cmp_ok(log_count('A', $off[0], qr/UPK0025/) + log_count('B', $off[1], qr/UPK0025/), '<=', 2,
               '... and the nodes do not keep rewriting memcached');
    } else {
        is($rc, 1, 'upkeepctl refuses the flip');
        is(status_of('A') . status_of('B'), '503503', '... and nothing changed');
    }
}

no_crash('key prefix, secret, concurrent flips, version space');
done_testing();
