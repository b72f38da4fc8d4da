# A record applied with another secret stays on the node that applied it:
# `upkeepctl --cluster --secret-file OTHER` on node A changes A (whoever may
# write A's state directory may change A), but A's poller never writes it
# back to memcached signed with the real secret, so node B is not touched.
# Node A is the default instance, node B instance('b').
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use File::Temp qw(tempfile);
use Time::HiRes qw(time sleep);

my ($fh, $secret) = tempfile('upkeep-secret-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $fh "the-cluster-secret-0123456789abcdef\n";
close $fh;
my ($ofh, $other) = tempfile('upkeep-secret-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $ofh "somebody-elses-secret-0123456789\n";
close $ofh;

my %NODE = (A => 'default', B => 'b');
sub on { my ($node, $code) = @_; instance($NODE{$node}, $code) }
my $spec = { main_config => "UpkeepMemcached 127.0.0.1:" . memcached_port()
                            . "\nUpkeepSyncInterval 100ms\nUpkeepSecretFile $secret\n" };

for my $n (qw(A B)) { on($n, sub { start_server($spec); ctl('--cluster', 'normal') }) }
sleep 0.5;

my $offA = on('A', sub { error_log_offset() });
my ($rc, $out, $err) = on('A', sub {
    ctl('--cluster', '--secret-file', $other, 'maintenance', '--reason', 'wrong secret') });
is($rc, 0, 'upkeepctl --cluster with another secret file exits 0 (it cannot know)')
    or diag("$out$err");
is(on('A', sub { http_get('GET', '/')->{status} }), 503, 'node A, where it was applied, is in maintenance');

my $t0 = time;
my @b;
while (time - $t0 < 1.5) {
    push @b, on('B', sub { http_get('GET', '/')->{status} });
    sleep 0.1;
}
is_deeply([grep { $_ != 200 } @b], [], 'node B keeps serving 200 for 1.5 s (15 sync intervals)');
my $logA = on('A', sub { error_log_since($offA) });
like($logA, qr/UPK0029: not writing version \d+ of upkeep:default back to memcached: this node holds it without a valid signature/,
     "A's poller refuses to spread the record (UPK0029)");
# The record this test is about is the foreign one (its version is in
# upkeepctl's reply).  A poll between upkeepctl's write to memcached and
# its write to A's files may see the foreign value there, ignore it
# (UPK0022) and write A's own valid record of before back over it
# (UPK0025, an older version): that repair is not a spread.
my ($foreign) = $out =~ /\(version (\d+), stored on/;
ok($foreign, "upkeepctl names the foreign record's version ($foreign)") or diag($out);
my @back = $logA =~ /UPK0025: wrote version (\d+) of upkeep:default back/g;
is_deeply([grep { $_ >= ($foreign // 0) } @back], [],
          'and never writes the foreign record (or anything as new) back')
    or diag("written back: @back");
my ($rcB, $outB) = on('B', sub { ctl('status') });
like($outB, qr/^scope default: normal$/m, 'B status: normal');

# a flip with the right secret takes over again everywhere
on('A', sub { ctl('--cluster', 'normal') });
sleep 0.5;
is(on($_, sub { http_get('GET', '/')->{status} }), 200, "node $_ is back to normal") for qw(A B);

on($_, sub { stop_server() }) for qw(A B);
done_testing();
