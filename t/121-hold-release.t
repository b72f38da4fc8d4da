# Paced release of held writes (issue 16): with UpkeepHoldRelease N, the
# writes a hold kept go on in arrival order, at most N of a scope at once
# on the node; `all` releases them together.  Writes waiting for their
# turn are still held on the status page and in flight for --wait; one
# that waits longer than its hold max for its turn goes on (UPK0108),
# never refused; a ticket whose holder left (timed out in hold, or killed
# with its child) does not stop the others.  Bad values are start-up errors.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use Time::HiRes qw(time sleep);

my $Dir = scratch_dir('release');
my $Log = "$Dir/runs";
my $Writes = 4;     # within prefork's UpkeepHoldLimit (a quarter of 20)

# Logs "ID start TIME" and "ID end TIME" around 300 ms of work.
my $Cgi = <<"EOF";
use Time::HiRes qw(time sleep);
read STDIN, my \$body, \$ENV{CONTENT_LENGTH} || 0;
my (\$id) = (\$ENV{QUERY_STRING} // '') =~ /id=(\\w+)/;
sub say_ { open my \$fh, '>>', '$Log' or die; syswrite \$fh, "\$id \$_[0] " . time . "\\n"; close \$fh }
say_('start');
sleep 0.3;
say_('end');
print "Content-Type: text/plain\\r\\n\\r\\ndone \$id\\n";
EOF
# waits until $n writes are held (so the next one arrives after them)
sub held_at_least {
    my ($n, $reqs) = @_;
    wait_until(sub { ((scope_json(status_json()) // {})->{held} // 0) >= $n }, 10, $reqs)
        or diag("only " . ((scope_json(status_json()) // {})->{held} // 0) . " of $n writes held");
}

# POSTs $n writes with ids PREFIX1..PREFIXn, each held before the next is
# sent (after the requests in @before, already held); returns them
sub hold_writes {
    my ($prefix, $n, @before) = @_;
    my @r;
    for my $i (1 .. $n) {
        push @r, start_req(method => 'POST', path => "/cgi-bin/work.cgi?id=$prefix$i", body => 'a=1');
        held_at_least(@before + $i, [@before, @r]);
    }
    return @r;
}

# when each id started and ended, from the CGI's own log
sub runs {
    my (%start, %end);
    for (slurp_lines($Log)) {
        my ($id, $what, $t) = split ' ';
        ($what eq 'start' ? \%start : \%end)->{$id} = $t;
    }
    return (\%start, \%end);
}

# the ids in the order the CGI started them
sub start_order {
    my ($start) = runs();
    return [sort { $start->{$a} <=> $start->{$b} } keys %$start];
}

# the most that ran at once
sub most_at_once {
    my ($start, $end) = runs();
    my $most = 0;
    for my $a (keys %$start) {
        my $at = grep { $start->{$_} <= $start->{$a} && ($end->{$_} // 1e99) > $start->{$a} } keys %$start;
        $most = $at if $at > $most;
    }
    return $most;
}

sub run_hold {
    my ($n_label) = @_;
    unlink $Log;
    my ($rc, $out, $err) = ctl('hold', '--max', '20s');
    is($rc, 0, "$n_label: upkeepctl hold") or diag("$out$err");
    # the order they reach the gate in, whatever the load
    my @r = hold_writes('w', $Writes);
    ok(wait_until(sub { (scope_json(status_json()) // {})->{held} == $Writes }, 10, \@r), "$n_label: $Writes writes held");
    ($rc, $out, $err) = ctl('normal');
    is($rc, 0, "$n_label: upkeepctl normal") or diag("$out$err");
    pump(\@r, 20);
    is_deeply([map { response_of($_)->{status} // response_of($_)->{error} } @r], [(200) x $Writes], "$n_label: every write ran (200)");
    return (most_at_once(), start_order());
}

# the server, with the given <Location>s and the status page
sub serve {
    my ($conf) = @_;
    start_server($conf . <<'EOF');
<Location /upkeep-status>
    SetHandler upkeep-status
    Upkeep off
</Location>
EOF
}

serve(<<'EOF');
<Location /cgi-bin/work.cgi>
    UpkeepHoldRelease 2
</Location>
EOF
write_cgi('work.cgi', $Cgi);
ctl('normal');

{
    my ($most, $order) = run_hold('UpkeepHoldRelease 2');
    is($most, 2, 'UpkeepHoldRelease 2: at most 2 released writes ran at once (2 did)');
    # the two that run together may start in either order
    is_deeply([sort @$order[0, 1]], ['w1', 'w2'], 'UpkeepHoldRelease 2: the first two to arrive ran first');
    is_deeply([sort @$order[2, 3]], ['w3', 'w4'], '... and the last two last');
}

# writes waiting for their turn: still held, and in flight for --wait
{
    unlink $Log;
    ctl('hold', '--max', '20s');
    my @r = hold_writes('q', $Writes);
    ok(wait_until(sub { (scope_json(status_json()) // {})->{held} == $Writes }, 10, \@r), "$Writes writes held");
    ctl('normal');
    my $seen;
    ok(wait_until(sub { my $s = scope_json(status_json()) // {}; $seen = "held $s->{held} in flight $s->{inflight_writes}"; $s->{held} >= 2 && $s->{inflight_writes} == $Writes }, 3, \@r),
       "right after the release: the writes waiting for their turn are still held and all are in flight ($seen)");
    my ($rc, $out, $err) = ctl('readonly', '--wait', '--timeout', '10s');
    is($rc, 0, 'readonly --wait returns once every released write has run') or diag("$out$err");
    pump(\@r, 10);
    is(scalar(grep { /end/ } slurp_lines($Log)), $Writes, '... and by then all of them had ended');
    ctl('normal');
}

# a write that timed out in the hold leaves its ticket: the others go on
{
    serve(<<'EOF');
<Location /cgi-bin/work.cgi>
    UpkeepHoldRelease 1
    UpkeepHoldMax 30s
</Location>
<Location /cgi-bin/quick.cgi>
    UpkeepHoldRelease 1
    UpkeepHoldMax 8s
</Location>
EOF
    write_cgi('quick.cgi', $Cgi);
    unlink $Log;
    ctl('hold');
    my $early = start_req(method => 'POST', path => '/cgi-bin/quick.cgi?id=gone', body => 'a=1');
    held_at_least(1, [$early]);
    my @r = hold_writes('k', 3, $early);
    pump([$early], 12);     # it leaves at its max, the others still held
    is(response_of($early)->{status}, 503, 'the first write timed out in the hold (503)');
    ctl('normal');
    my $t0 = time;
    pump(\@r, 10);
    is_deeply([map { response_of($_)->{status} // 'none' } @r], [200, 200, 200], 'the three after it ran');
    is_deeply(start_order(), [qw(k1 k2 k3)], 'UpkeepHoldRelease 1: one after the other, in arrival order');
    cmp_ok(time - $t0, '<', 3, sprintf('one at a time, without waiting for the ticket that left (%.2f s)', time - $t0));
}

# kill -9 of the children whose held writes hold tickets (a crash, the
# OOM killer): writes held afterwards go on in arrival order at once,
# passing over the tickets of the dead (same configuration: one at a time)
{
    unlink $Log;
    ctl('hold');
    my @dead = hold_writes('d', 2);
    my @killed = kill_children();
    note("killed children: @killed");
    ok(wait_until(sub { ((scope_json(status_json()) // {})->{held} // -1) == 0 }, 5),
       'kill -9 of the children holding two tickets: nothing is held any more');
    my @r = hold_writes('n', 3);
    ctl('normal');
    my $t0 = time;
    pump(\@r, 10);
    is_deeply([map { response_of($_)->{status} // 'none' } @r], [200, 200, 200], 'the three writes held after it ran (200)');
    is_deeply(start_order(), [qw(n1 n2 n3)], '... one after the other, in arrival order (the killed ones never ran)');
    cmp_ok(time - $t0, '<', 3, sprintf('... without waiting for the tickets of the dead (%.2f s)', time - $t0));
}

# a graceful restart in the middle of a paced release: the writes still
# waiting for their turn run to the end, in order, one at a time
{
    unlink $Log;
    ctl('hold');
    my @r = hold_writes('g', 3);
    ctl('normal');
    ok(wait_until(sub { grep { /^g1 start/ } slurp_lines($Log) }, 5, \@r), 'graceful mid-release: the first write started');
    ok(eval { restart_server('graceful'); 1 }, '... graceful restart while the others wait for their turn') or diag($@);
    pump(\@r, 15);
    is_deeply([map { response_of($_)->{status} // response_of($_)->{error} // 'none' } @r], [200, 200, 200], '... every write ran (200)');
    is_deeply(start_order(), [qw(g1 g2 g3)], '... in arrival order');
    is(most_at_once(), 1, '... one at a time across the restart');
}

# all: today's behaviour
{
    serve(<<'EOF');
<Location /cgi-bin/work.cgi>
    UpkeepHoldRelease all
</Location>
EOF
    my ($most) = run_hold('UpkeepHoldRelease all');
    cmp_ok($most, '>', 2, "UpkeepHoldRelease all: they ran together ($most at once)");
}

# bad values
for my $bad ('0', '33', 'some', '2x') {
    ok(!eval { start_server("UpkeepHoldRelease $bad\n"); 1 }, "UpkeepHoldRelease $bad: httpd does not start");
    like($@ // '', qr/UpkeepHoldRelease '\Q$bad\E': must be 'all' or a number between 1 and 32/,
         "UpkeepHoldRelease $bad: the error names the value and what is allowed");
}
done_testing();
