# One slow memcached stalls nothing (issue 12, item 1).  Two nodes share
# UpkeepMemcached 127.0.0.1:SLOW 127.0.0.1:GOOD; SLOW is the harness's fake
# memcached that answers a get with "VALUE key 0 4000" and then one byte
# every 100 ms, so every single read is quick but no reply ends in time.
# Every memcached operation must end within UpkeepMemcachedTimeout (200ms)
# in total: a flip written to GOOD reaches node B within an interval plus
# a timeout (plus slack for a loaded machine), SLOW shows as failing in
# the metrics (upkeep_sync_failing{server="127.0.0.1:SLOW"} 1), each node
# logs one UPK0032 when it starts failing and one UPK0033 when a real
# memcached replaces it, and upkeepctl is bounded by the same deadline.
# Node A is the harness's default instance, node B instance('b').
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use JSON::PP ();
use Time::HiRes qw(time sleep);

my $INTERVAL = 0.2;     # UpkeepSyncInterval 200ms
my $TIMEOUT = 0.2;      # UpkeepMemcachedTimeout, the default
my $SLACK = 1.0;        # a loaded machine, and the seconds' resolution of logs

my %NODE = (A => 'default', B => 'b');
sub on { my ($node, $code) = @_; instance($NODE{$node}, $code) }

my $slow = start_slow_memcached();
my $good = start_memcached();

my $spec = {
    main_config => "UpkeepMemcached 127.0.0.1:$slow 127.0.0.1:$good\nUpkeepSyncInterval 200ms\n",
    config => "<Location /upkeep-status>\n    SetHandler upkeep-status\n    Upkeep Off\n</Location>\n",
};

sub status_of { my ($n) = @_; on($n, sub { http_get('GET', '/', undef, undef, 5)->{status} // 'no response' }) }
sub metrics {
    my ($n) = @_;
    my $body = on($n, sub { http_get('GET', '/upkeep-status?metrics', undef, undef, 5)->{body} }) // '';
    return { map { /^(\w+(?:\{[^}]*\})?) (-?\d+)$/ ? ($1 => $2) : () } split /\n/, $body };
}
sub json_status {
    my ($n) = @_;
    my $body = on($n, sub { http_get('GET', '/upkeep-status?json', undef, undef, 5)->{body} }) // '';
    return eval { JSON::PP::decode_json($body) } // {};
}
sub log_count {
    my ($n, $off, $re) = @_;
    my $log = on($n, sub { error_log_since($off) });
    return scalar(() = $log =~ /$re/g);
}
# seconds until GET / on node $n answers $want (undef: not within $timeout)
sub wait_status {
    my ($n, $want, $timeout) = @_;
    my $t0 = time;
    return wait_for($timeout, sub { status_of($n) == $want }) ? time - $t0 : undef;
}

my %off;
for my $n (qw(A B)) {
    on($n, sub { start_server($spec); ctl('--local', 'normal') });
    $off{$n} = on($n, sub { error_log_offset() });
}
mc_cmd($good, 'flush_all');
# both pollers meet the slow server a few times
sleep 10 * $INTERVAL;

# ------------------------------------------------------------ a flip on the good server reaches B
{
    my ($rc, $out, $err) = on('A', sub { ctl('--cluster', '--memcached', "127.0.0.1:$good", 'maintenance', '--reason', 'slow memcached') });
    is($rc, 0, 'A: upkeepctl --cluster --memcached GOOD maintenance exits 0') or diag("$out$err");
    my $took = wait_status('B', 503, 10);
    ok(defined $took && $took <= $INTERVAL + $TIMEOUT + $SLACK,
       sprintf('B serves the maintenance within interval + timeout (+%.1f s slack): %s', $SLACK,
               defined $took ? sprintf('%.2f s', $took) : 'not within 10 s'));
    note(sprintf 'flip to B with a trickling memcached first in the list: %.3f s', $took // -1);
    is(status_of('A'), 503, 'A too');
}

# ------------------------------------------------------------ the slow server is failing, counted and logged once
{
    my $key = "upkeep_sync_failing{server=\"127.0.0.1:$slow\"}";
    for my $n (qw(A B)) {
        my $m;
        ok(wait_for(3, sub { $m = metrics($n); ($m->{$key} // 0) == 1 }), "$n: metrics: $key 1")
            or diag(explain($m));
        is($m->{"upkeep_sync_failing{server=\"127.0.0.1:$good\"}"}, 0, "$n: metrics: the good server is not failing");
        is($m->{upkeep_sync_lost}, 0, "$n: metrics: upkeep_sync_lost 0 (one server answers)");
        cmp_ok($m->{upkeep_sync_age_seconds} // 99, '<=', 2, "$n: metrics: the last good poll is recent");
        my $j = json_status($n);
        is_deeply($j->{sync}{failing_servers}, ["127.0.0.1:$slow"], "$n: JSON sync.failing_servers names the slow server");
        ok(JSON::PP::is_bool($j->{sync}{failing}) && !$j->{sync}{failing}, "$n: JSON sync.failing is false");
        my (undef, $st) = on($n, sub { ctl('status') });
        like($st, qr/^cluster sync: failing memcached servers \(skipped, tried again with backoff\): 127\.0\.0\.1:$slow$/m,
             "$n: upkeepctl status names the failing server");
    }
    sleep 15 * $INTERVAL;   # backoff retries: still one line each
    for my $n (qw(A B)) {
        is(log_count($n, $off{$n}, qr/UPK0032: memcached server 127\.0\.0\.1:$slow starts failing: no answer within 200 ms; the poller skips it/), 1,
           "$n: one UPK0032 for the slow server, naming the deadline");
        is(log_count($n, $off{$n}, qr/UPK0032/), 1, "$n: no other UPK0032");
        is(log_count($n, $off{$n}, qr/UPK0021|UPK0033/), 0, "$n: no UPK0021 (the good server answers), no UPK0033");
    }
}

# ------------------------------------------------------------ requests never wait on the poller
{
    my ($slowest, $bad) = (0, 0);
    for (1 .. 10) {
        my $t = time;
        $bad++ if status_of('B') != 503;
        $slowest = time - $t if time - $t > $slowest;
    }
    is($bad, 0, 'B: 10 requests, all 503 (the cluster maintenance)');
    cmp_ok($slowest, '<', 0.5, sprintf('B: the slowest of them took %.3f s', $slowest));
}

# ------------------------------------------------------------ upkeepctl is bounded by the same deadline
{
    my $t0 = time;
    my ($rc, $out, $err) = on('B', sub { ctl('--cluster', 'normal') });
    my $took = time - $t0;
    is($rc, 0, 'B: upkeepctl --cluster normal (both servers) exits 0') or diag("$out$err");
    like($out, qr/\(version \d+, stored on 1 of 2 memcached servers\)$/m, '... stored on the good server only');
    like($err, qr/^upkeepctl: warning: 127\.0\.0\.1:$slow: no answer within 200 ms$/m,
         '... with a warning naming the slow server and the deadline');
    cmp_ok($took, '<', 2 * $TIMEOUT + $SLACK, sprintf('... and returns within two timeouts (+slack): %.2f s', $took));
    note(sprintf 'upkeepctl --cluster normal with a trickling server: %.3f s', $took);
    ok(defined wait_status('A', 200, $INTERVAL + $TIMEOUT + $SLACK), 'A follows within interval + timeout (+slack)');

    $t0 = time;
    ($rc, $out, $err) = on('A', sub { ctl('--cluster', 'status') });
    $took = time - $t0;
    like($out, qr/^  memcached:   127\.0\.0\.1:$slow no answer\n  memcached:   127\.0\.0\.1:$good normal \(version \d+\)$/m,
         'A: --cluster status: the slow server gives no answer, the good one the mode');
    cmp_ok($took, '<', 2 * $TIMEOUT + $SLACK, sprintf('... within the deadline (+slack): %.2f s', $took));

    # a name, not an address: looked up without blocking the deadline
    ($rc, $out, $err) = on('A', sub { ctl('--cluster', '--memcached', "localhost:$good", 'status') });
    like($out, qr/^  memcached:   localhost:$good normal \(version \d+\)$/m, 'a server given by name (localhost) answers');
}

# ------------------------------------------------------------ a real memcached replaces the slow one
{
    stop_slow_memcached($slow);
    start_memcached($slow);
    for my $n (qw(A B)) {
        ok(wait_for(3 + $SLACK, sub { log_count($n, $off{$n}, qr/UPK0033: memcached server 127\.0\.0\.1:$slow answers again/) }),
           "$n: UPK0033 once the server answers");
        ok(wait_for(2, sub { (metrics($n)->{"upkeep_sync_failing{server=\"127.0.0.1:$slow\"}"} // 1) == 0 }),
           "$n: metrics: the server is not failing any more");
    }
    ok(wait_for(2, sub { (mc_get($slow, 'upkeep:default') // '') =~ /^mode normal$/m }), 'the new server gets the held value written back');
    sleep 5 * $INTERVAL;
    for my $n (qw(A B)) {
        is(log_count($n, $off{$n}, qr/UPK0032/), 1, "$n: still one UPK0032");
        is(log_count($n, $off{$n}, qr/UPK0033/), 1, "$n: one UPK0033");
    }
    is_deeply(json_status('B')->{sync}{failing_servers}, [], 'B: JSON sync.failing_servers is empty');
}

# ------------------------------------------------------------ a huge value: read past, refused, healed
{
    # upkeepctl reads it from a memcached no node polls: on the nodes' own
    # server the poller may write the held value back before it is read
    my $lone = start_memcached();
    like(mc_cmd($lone, "set upkeep:default 0 0 900000\r\n" . ('y' x 900000)), qr/^STORED/, 'a 900000-byte value on a server no node polls');
    my ($rc, $out, $err) = on('A', sub { ctl('--cluster', '--memcached', "127.0.0.1:$lone", 'status') });
    like($out, qr/^  memcached:   127\.0\.0\.1:$lone invalid: it is larger than 4096 bytes$/m,
         '--cluster status: read past and refused as too large, not taken for a failing server')
        or diag("$rc\n$out$err");
    stop_memcached($lone);

    my $off = on('B', sub { error_log_offset() });
    like(mc_cmd($good, "set upkeep:default 0 0 900000\r\n" . ('y' x 900000)), qr/^STORED/, 'a 900000-byte value on the good server');
    ok(wait_for(3, sub { (mc_get($good, 'upkeep:default') // '') =~ /^mode normal$/m }), 'the poller writes the held value over it');
    is(log_count('B', $off, qr/UPK0032/), 0, 'B: the server holding it is not failing');
}

for my $n (qw(A B)) {
    my @bad = on($n, sub { fatal_log_lines($off{$n}) });
    is(scalar(@bad), 0, "$n: no crash in the error log") or diag(join "\n", @bad);
}
on($_, sub { stop_server() }) for qw(A B);
done_testing();
