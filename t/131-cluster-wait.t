# upkeepctl --cluster MODE --wait: returns once no node has a write of the
# scope in flight (nodes report through memcached), and fails at --timeout
# naming the nodes not confirmed; its progress gives each node's writes
# in flight.  Node A is the default instance, node B instance('b').
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use Time::HiRes qw(time sleep);

my %NODE = (A => 'default', B => 'b');
sub on { my ($node, $code) = @_; instance($NODE{$node}, $code) }

my $spec = { main_config => "UpkeepMemcached 127.0.0.1:" . memcached_port()
                            . "\nUpkeepSyncInterval 100ms\n" };

# A write that takes SECONDS (from the query string) on node B.
my $cgi = <<'CGI';
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
my ($s) = ($ENV{QUERY_STRING} // '') =~ /^(\d+(?:\.\d+)?)$/;
select(undef, undef, undef, $s // 1);
print "Content-Type: text/plain\r\n\r\nwritten\n";
CGI

for my $n (qw(A B)) {
    on($n, sub {
        start_server($spec);
        open my $fh, '>', servroot() . '/cgi-bin/slow.cgi' or die $!;
        print $fh $cgi;
        close $fh;
        chmod 0755, servroot() . '/cgi-bin/slow.cgi';
        ctl('--cluster', 'normal');
    });
}

# Both nodes must have reported to memcached before the flips.
sleep 0.5;

# Starts a slow POST on node B; returns the socket.
sub slow_write_on_b {
    my ($seconds) = @_;
    return on('B', sub {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(),
                                      Timeout => 5) or die "connect: $!";
        print {$s} "POST /cgi-bin/slow.cgi?$seconds HTTP/1.1\r\nHost: localhost\r\n"
                 . "Content-Length: 1\r\nConnection: close\r\n\r\nx";
        return $s;
    });
}

sub read_all { my ($s) = @_; local $/; my $r = <$s>; close $s; $r // '' }

{
    my $s = slow_write_on_b(2);
    sleep 0.5;      # the write is running on B, and B has reported it
    my $t0 = time;
    my ($rc, $out, $err) = on('A', sub { ctl('--cluster', 'readonly', '--wait', '--timeout', '10s') });
    my $took = time - $t0;
    is($rc, 0, '--cluster readonly --wait exits 0') or diag("$out$err");
    like($out, qr/^scope default: no write in flight on any of 2 nodes$/m,
         'it waited for both nodes');
    cmp_ok($took, '>=', 1.0, "it returned only after B's write ended ($took s)");
    like(read_all($s), qr{^HTTP/1\.1 200 .*written}s, "B's write, started before the flip, completed");
}

{
    on('A', sub { ctl('--cluster', 'normal') });
    sleep 0.3;
    my $s = slow_write_on_b(3);
    sleep 0.5;
    my ($rc, $out, $err) = on('A', sub { ctl('--cluster', 'readonly', '--wait', '--timeout', '1500ms') });
    is($rc, 3, '--wait --timeout 1500ms with a 3 s write on B exits 3 (done, not confirmed)');
    like($err, qr/^upkeepctl: waiting: 1 of 2 nodes busy: (\S+ \(0 in flight\), \S+ \(1 in flight\)|\S+ \(1 in flight\), \S+ \(0 in flight\))$/m,
         'progress once a second: the writes in flight on each node') or diag($err);
    like($err, qr/^upkeepctl: timed out after 1500 ms: 1 of 2 nodes not confirmed for scope 'default': \S+ \(1 in flight\); the mode stays in force$/m,
         'the message names the busy node and its count') or diag($err);
    read_all($s);
    on('A', sub { ctl('--cluster', 'normal') });
}

# A node that stopped reporting (a stalled poller, a dead httpd) is not
# "gone": --wait cannot confirm it and says so (issue 12).  "ghost" is
# listed and last reported 40 s ago.
{
    my $mc = memcached_port();
    my $nodes = mc_get($mc, 'upkeep:nodes') // '';
    mc_set($mc, 'upkeep:nodes', "$nodes ghost ");
    mc_set($mc, 'upkeep:default:writes:ghost', sprintf '99 0 %d', time - 40);
    my ($rc, $out, $err) = on('A', sub { ctl('readonly', '--wait', '--timeout', '1s') });
    is($rc, 3, 'a node that stopped reporting: --wait exits 3, not confirmed');
    like($err, qr/not confirmed for scope 'default': ghost \(no report for 4\ds: unconfirmed\); the mode stays in force/,
         '... naming the silent node') or diag($err);
    unlike($out, qr/no write in flight on any/, '... and never says the writes are done');
    is(on('A', sub { http_get('POST', '/')->{status} }), 503, '... the mode stays in force');
    mc_set($mc, 'upkeep:nodes', $nodes);
    mc_cmd($mc, 'delete upkeep:default:writes:ghost');
    on('A', sub { ctl('normal') });
}

# No node has reported at all (here: servers nobody polls): never "done on
# 0 nodes".
{
    my $empty = start_memcached();
    my ($rc, $out, $err) = on('A', sub { ctl('--cluster', '--memcached', "127.0.0.1:$empty",
                                             'readonly', '--wait', '--timeout', '1s') });
    is($rc, 3, 'no node reports: --wait exits 3');
    like($err, qr/no node has reported in the last ten minutes; the mode stays in force/, '... saying so') or diag($err);
    unlike($out, qr/any of 0 nodes/, '... never "no write in flight on any of 0 nodes"');
    stop_memcached($empty);
    on('A', sub { ctl('normal') });
}

on($_, sub { stop_server() }) for qw(A B);
done_testing();
