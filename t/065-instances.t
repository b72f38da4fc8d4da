# Two httpd instances on one state directory (issue 12; the README allows
# it): each keeps its own count of writes in flight.  An instance that
# starts does not reset another one's count, --wait sums them, an instance
# that dies is taken back out by the next one that starts, and no count
# goes below zero.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use Time::HiRes qw(time sleep);

my $State = servroot() . '/state';
my $Slow = <<'EOF';
my $len = $ENV{CONTENT_LENGTH} || 0;
read STDIN, my $body, $len;
sleep(($ENV{QUERY_STRING} // '') =~ /^(\d+)$/ ? $1 : 3);
print "Content-Type: text/plain\r\n\r\ndone\n";
EOF

sub inflight { my $s = scope_json(status_json(), 'default'); $s ? $s->{inflight_writes} : -1 }

start_server('');
write_cgi('slow.cgi', $Slow);
ctl('normal');

# A: a 4 s write in flight
my $a = start_req(method => 'POST', path => '/cgi-bin/slow.cgi?4', body => 'x=1');
ok(wait_until(sub { inflight() == 1 }, 5), 'instance A: 1 write in flight');

# E starts on the same state directory
instance('e', sub {
    start_server({ main_config => "UpkeepStateDir $State\n" });
    write_cgi('slow.cgi', $Slow);
});
is(inflight(), 1, 'E started on the same state directory: A\'s write is still counted');

my ($rc, $out, $err) = ctl('readonly', '--wait', '--timeout', '1s');
is($rc, 3, 'readonly --wait --timeout 1s while A writes: exit 3 (not confirmed)') or diag("$out$err");

# E's own write, counted beside A's
ctl('normal');
my $e;
instance('e', sub { $e = start_req(method => 'POST', path => '/cgi-bin/slow.cgi?6', body => 'x=2') });
ok(wait_until(sub { inflight() == 2 }, 5), 'E\'s write counts beside A\'s: 2 in flight')
    or diag('in flight: ' . inflight());

pump([$a], 6);
is(response_of($a)->{status}, 200, 'A\'s write finished');
ok(wait_until(sub { inflight() == 1 }, 3), 'A\'s write ended: 1 in flight (E\'s), not 0 and never -1');

# E dies hard with its write in flight; it restarts and takes its own
# share back, A's count is untouched
instance('e', sub { restart_server('kill9') });
ok(wait_until(sub { inflight() == 0 }, 3), 'E was killed and started again: its write is no longer counted')
    or diag('in flight: ' . inflight());
my $never_negative = 1;
for (1 .. 10) { $never_negative = 0 if inflight() < 0; sleep 0.1 }
ok($never_negative, 'the count never goes below zero');
($rc) = ctl('readonly', '--wait', '--timeout', '2s');
is($rc, 0, 'readonly --wait: confirmed at once (nothing in flight on either instance)');
ctl('normal');
instance('e', sub { stop_server() });
done_testing();
