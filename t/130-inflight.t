# Writes in flight (issue 4): unsafe-method requests are counted per scope
# while they run, on every way out (aborted clients included); `upkeepctl
# MODE --wait` returns only once no write of the scope is in flight on this
# node, `--timeout` bounds the wait (exit 1).
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);

my $Dir = scratch_dir('inflight');
my $Done = "$Dir/done";

my $Conf = <<'EOF';
UpkeepExempt /cgi-bin/exempt-slow.cgi
<Location /cgi-bin/shop-slow.cgi>
    UpkeepScope shop
</Location>
<Location /cgi-bin/crash-slow.cgi>
    UpkeepScope crash
</Location>
<Location /cgi-bin/kill9-slow.cgi>
    UpkeepScope kill9
</Location>
EOF

# Reads its body, sleeps QUERY_STRING seconds (default 2), then records
# "id start end" in $Done.
my $Slow = <<"EOF";
use Time::HiRes qw(time sleep);
my \$t0 = time;
my \$len = \$ENV{CONTENT_LENGTH} || 0;
my \$body = '';
while (length \$body < \$len) {
    my \$n = read STDIN, \$body, \$len - length \$body, length \$body;
    last unless \$n;
}
my (\$id) = \$body =~ /id=([\\w.-]+)/;
\$id //= 'none';
my \$secs = (\$ENV{QUERY_STRING} // '') =~ /^(\\d+(?:\\.\\d+)?)\$/ ? \$1 : 2;
sleep \$secs;
open my \$fh, '>>', '$Done' or die "$Done: \$!";
syswrite \$fh, sprintf("%s %.6f %.6f\\n", \$id, \$t0, time);
close \$fh;
print "Content-Type: text/plain\\r\\n\\r\\ndone \$id mode=\" . (\$ENV{UPKEEP_MODE} // \"normal\") . \"\\n";
EOF

start_server($Conf);
write_cgi($_, $Slow) for qw(slow.cgi exempt-slow.cgi shop-slow.cgi crash-slow.cgi kill9-slow.cgi);
ctl('--scope', $_, 'normal') for qw(default shop crash kill9);

my $NextId = 0;
sub slow_write {
    my ($path, %o) = @_;
    my $id = sprintf 'i%03d', ++$NextId;
    return start_req(method => 'POST', path => $path, body => "id=$id", %o, id => $id);
}
sub inflight { my $s = scope_json(status_json(), $_[0]); $s ? $s->{inflight_writes} : -1 }
sub held { my $s = scope_json(status_json(), $_[0]); $s ? $s->{held} : -1 }
sub done_at { my ($id) = @_; for (slurp_lines($Done)) { my @f = split; return $f[2] if $f[0] eq $id } undef }
sub wait_inflight {
    my ($n, $what, $reqs, $scope, $timeout) = @_;
    my $t = wait_until(sub { inflight($scope) == $n }, $timeout // 8, $reqs);
    ok(defined $t, "$what: $n write(s) in flight" . (defined $t ? sprintf(' (after %.1f s)', $t) : ''))
        or diag('in flight: ' . inflight($scope));
    return $t;
}
sub flip {
    my @a = @_;
    my ($rc, $out, $err) = ctl(@a);
    is($rc, 0, "upkeepctl @a exits 0") or diag("stdout: $out\nstderr: $err");
    return $out;
}

# ------------------------------------------------------------------ usage errors
for my $bad (['normal', '--wait'], ['status', '--wait'], ['drain', '--wait'], ['undrain', '--wait'],
             ['normal', '--wait', '--timeout', '1s'],
             ['readonly', '--timeout', '1s'], ['hold', '--timeout', '1s'], ['maintenance', '--timeout', '1s'],
             ['readonly', '--wait', '--timeout', 'soon'], ['readonly', '--wait', '--timeout', '0'],
             ['readonly', '--wait', '--timeout']) {
    my ($rc, $out, $err) = ctl(@$bad);
    is($rc, 2, "upkeepctl @$bad: usage error (exit 2)");
    like($err, qr/\Aupkeepctl: .*(--wait|--timeout).*\(see upkeepctl --help\)\n\z/, "upkeepctl @$bad: one line naming the option")
        or diag($err);
    is($out, '', "upkeepctl @$bad: nothing on stdout");
}
{
    my $j = status_json();
    is(scope_json($j)->{mode}, 'normal', 'the usage errors changed no mode');
    is($j->{drained} ? 1 : 0, 0, 'and drained nothing');
}

# ------------------------------------------------------------------ nothing in flight: --wait returns at once
{
    flip('normal');
    my $t0 = time;
    my ($rc, $out, $err) = ctl('readonly', '--wait');
    my $dt = time - $t0;
    is($rc, 0, 'readonly --wait with nothing in flight exits 0');
    like($out, qr/\Ascope default: readonly on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\nscope default: no write in flight on this node\n\z/,
         'it prints the flip, then that no write is in flight');
    cmp_ok($dt, '<', 1, 'at once (' . fmt_ms($dt) . ')');
    flip('normal');
}

# ------------------------------------------------------------------ counting
{
    my $w = slow_write('/cgi-bin/slow.cgi?1.5');
    my $g = start_req(method => 'GET', path => '/cgi-bin/slow.cgi?1.5');
    my @r = ($w, $g);
    wait_inflight(1, 'a slow POST and a slow GET', \@r);
    my ($rc, $text) = ctl('status');
    like($text, qr/^scope default: normal\n(?:  .*\n)*  writes:      1 in flight, 0 held\n/m, 'status: 1 in flight (the GET is not a write)');
    is(inflight('shop'), 0, 'scope shop: none in flight');
    pump(\@r, 6);
    is(response_of($w)->{status}, 200, 'the POST completes');
    wait_inflight(0, 'after it', \@r, undef, 3);
    like((ctl('status'))[1], qr/^  writes:      0 in flight, 0 held$/m, 'status: 0 in flight');

    # refused writes are never in flight
    flip('readonly');
    my @ref = map { slow_write('/cgi-bin/slow.cgi') } 1 .. 3;
    pump(\@ref, 5);
    is_deeply([map { response_of($_)->{status} // 'none' } @ref], [503, 503, 503], 'readonly refuses 3 writes');
    is(inflight(), 0, 'refused writes are not counted in flight');
    flip('normal');

    # many quick writes from many connections, some keep-alive: back to 0
    my @q = map { start_req(method => $_ % 2 ? 'POST' : 'PUT', path => '/index.html', body => "n=$_") } 1 .. 20;
    pump(\@q, 10);
    is(scalar(grep { (response_of($_)->{status} // 0) =~ /^(200|405)$/ } @q), 20, '20 quick writes answered');
    my $ka = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(), Proto => 'tcp') or die;
    print {$ka} "POST /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\na=b";
    my $buf = '';
    my $sel = IO::Select->new($ka);
    while ($buf !~ /hello\n/ && $sel->can_read(5)) { sysread($ka, $buf, 65536, length $buf) or last }
    like($buf, qr{^HTTP/1\.1 200 }, 'a POST on a keep-alive connection');
    wait_inflight(0, 'while that keep-alive connection stays open', undef, undef, 3);
    close $ka;
}

# ------------------------------------------------------------------ --wait waits for the write in flight
for my $mode (qw(readonly hold maintenance)) {
    flip('normal');
    my @r = (slow_write('/cgi-bin/slow.cgi?2'));
    wait_inflight(1, "before $mode --wait", \@r);
    my $t0 = time;
    my ($rc, $out, $err) = ctl($mode, '--wait');
    my $t1 = time;
    is($rc, 0, "$mode --wait exits 0") or diag($err);
    like($out, qr/\Ascope default: $mode on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\nscope default: no write in flight on this node\n\z/,
         "$mode --wait: the flip line, then no write in flight");
    my $end = done_at($r[0]{id});
    ok(defined $end, "$mode --wait: the slow CGI had finished when upkeepctl returned");
    cmp_ok($end // 9e9, '<=', $t1, "$mode --wait returned after the CGI's end");
    cmp_ok($t1 - $t0, '>', 0.5, sprintf "$mode --wait waited (%.0f ms)", 1000 * ($t1 - $t0));
    note(sprintf "$mode --wait: returned %.1f ms after the CGI's last statement, waited %.1f ms in all",
         1000 * ($t1 - ($end // $t1)), 1000 * ($t1 - $t0));
    pump(\@r, 5);
    my $res = response_of($r[0]);
    is($res->{status}, 200, "$mode --wait: the write that was in flight completed (200)");
    like($res->{body} // '', qr/^done $r[0]{id} mode=normal$/m, 'it had started in normal mode');
}

# ------------------------------------------------------------------ --timeout
{
    flip('normal');
    my @r = map { slow_write('/cgi-bin/slow.cgi?2') } 1 .. 2;
    wait_inflight(2, 'before --timeout 500ms', \@r);
    my $t0 = time;
    my ($rc, $out, $err) = ctl('readonly', '--wait', '--timeout', '500ms');
    my $dt = time - $t0;
    is($rc, 3, 'readonly --wait --timeout 500ms with 2 slow writes: exit 3 (done, not confirmed)');
    like($err, qr/\Aupkeepctl: timed out after 500 ms: 2 write(?:s|\(s\)) of scope 'default' still in flight on this node; the mode stays in force\n\z/,
         'the message says how long and how many') or diag($err);
    like($out, qr/\Ascope default: readonly on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\n\z/, 'the flip itself was done and said so');
    cmp_ok($dt, '>=', 0.45, 'it waited the 500 ms (' . fmt_ms($dt) . ')');
    cmp_ok($dt, '<', 1.5, 'and no longer');
    is(scope_json(status_json())->{mode}, 'readonly', 'the scope is readonly');
    # the singular, with one left
    pump(\@r, 0.1);
    my @r1 = (slow_write(q{/cgi-bin/exempt-slow.cgi?3}));
    # (the exempt write, 3 s, outlives the two others, 2 s)
    if (wait_until(sub { done_at($r[0]{id}) && done_at($r[1]{id}) && inflight() == 1 }, 5, [@r, @r1])) {
        my ($rc2, undef, $err2) = ctl('readonly', '--wait', '--timeout', '100ms');
        is($rc2, 3, '--timeout 100ms with 1 write: exit 3');
        like($err2, qr/\Aupkeepctl: timed out after 100 ms: 1 write(?:\(s\))? of scope 'default' still in flight on this node; the mode stays in force\n\z/,
             'one write') or diag($err2);
    } else {
        fail('exactly 1 write in flight for the singular message');
        diag('in flight: ' . inflight());
    }
    pump([@r, @r1], 5);
    is_deeply([map { response_of($_)->{status} // 'none' } @r, @r1], [200, 200, 200], 'the writes in flight all completed');
    wait_inflight(0, 'afterwards', undef, undef, 3);
}

# ------------------------------------------------------------------ exempt writes, other scopes, held writes
{
    flip('readonly');
    my @r = (slow_write('/cgi-bin/exempt-slow.cgi?1.5'));
    wait_inflight(1, 'an exempt write in readonly', \@r);
    my $t0 = time;
    my ($rc, $out) = ctl('readonly', '--wait');
    is($rc, 0, 'readonly --wait exits 0');
    cmp_ok(done_at($r[0]{id}) // 9e9, '<=', time, 'readonly --wait waits for an exempt write still running');
    pump(\@r, 5);
    is(response_of($r[0])->{status}, 200, 'the exempt write completed');

    flip('normal');
    @r = (slow_write('/cgi-bin/shop-slow.cgi?1.5'));
    wait_inflight(1, 'a write of scope shop', \@r, 'shop');
    is(inflight('default'), 0, 'scope default has none in flight');
    $t0 = time;
    ($rc, $out) = ctl('readonly', '--wait');
    is($rc, 0, 'readonly --wait (scope default) exits 0');
    cmp_ok(time - $t0, '<', 1, 'scope default does not wait for the write of scope shop');
    ($rc, $out) = ctl('--scope', 'shop', 'maintenance', '--wait');
    is($rc, 0, '--scope shop maintenance --wait exits 0');
    like($out, qr/\Ascope shop: maintenance on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\nscope shop: no write in flight on this node\n\z/, 'scope shop lines');
    cmp_ok(done_at($r[0]{id}) // 9e9, '<=', time, 'scope shop waited for its write');
    pump(\@r, 5);
    flip('--scope', 'shop', 'normal');

    # held writes are not in flight while they wait; once released they are
    flip('hold');
    @r = (slow_write('/cgi-bin/slow.cgi?1.5'));
    ok(wait_until(sub { held() == 1 }, 8, \@r), 'a write is held');
    is(inflight(), 0, 'a held write is not in flight');
    like((ctl('status'))[1], qr/^  writes:      0 in flight, 1 held$/m, 'status: 0 in flight, 1 held');
    $t0 = time;
    ($rc, $out) = ctl('hold', '--wait');
    is($rc, 0, 'hold --wait with only a held write exits 0');
    cmp_ok(time - $t0, '<', 1, 'at once: nothing is in flight');
    flip('normal');
    wait_inflight(1, 'released, it runs', \@r);
    like((ctl('status'))[1], qr/^  writes:      1 in flight, 0 held$/m, 'status: 1 in flight, 0 held');
    ($rc, $out) = ctl('readonly', '--wait');
    is($rc, 0, 'readonly --wait exits 0');
    cmp_ok(done_at($r[0]{id}) // 9e9, '<=', time, 'it waited for the released write');
    pump(\@r, 5);
    is(response_of($r[0])->{status}, 200, 'the released write completed');
    flip('normal');
}

# ------------------------------------------------------------------ aborted clients
{
    my @r;
    # full body sent, connection closed while the CGI sleeps
    push @r, slow_write('/cgi-bin/slow.cgi?1');
    # body announced, 5 bytes sent, then FIN
    push @r, slow_write('/cgi-bin/slow.cgi?1', body => 'id=partial-fin-' . 'x' x 500, partial => 5);
    # the same, closed with a RST
    push @r, slow_write('/cgi-bin/slow.cgi?1', body => 'id=partial-rst-' . 'x' x 500, partial => 5, rst => 1);
    # to a static file, body cut short
    push @r, start_req(method => 'POST', path => '/index.html', body => 'a' x 1000, partial => 10);
    wait_inflight(4, 'four writes of clients about to go away', \@r);
    for (@r) {
        setsockopt($_->{sock}, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $_->{rst};
        close $_->{sock};
        $_->{done} = time;
    }
    # Expect: 100-continue, closed before any body
    my $e = start_req(method => 'POST', path => '/cgi-bin/slow.cgi?1', body => 'id=expect', expect => 1);
    sleep 0.2;
    close $e->{sock};
    my $t = wait_until(sub { inflight() == 0 }, 12);
    ok(defined $t, 'after 5 aborted writes the count returns to 0' . (defined $t ? sprintf(' (%.1f s)', $t) : ''))
        or diag('in flight: ' . inflight());
    note(sprintf 'aborted clients: in flight back to 0 after %.1f s (the CGIs sleep 1 s)', $t // -1);
    is(scope_json(status_json())->{inflight_writes}, 0, 'status --json: inflight_writes 0');
    like((ctl('status'))[1], qr/^  writes:      0 in flight, 0 held$/m, 'status: 0 in flight, 0 held');
    my ($rc, $out) = ctl('readonly', '--wait', '--timeout', '2s');
    is($rc, 0, 'readonly --wait returns (exit 0) after the aborted writes');
    flip('normal');
}

# ------------------------------------------------------------------ restarts with a write in flight
{
    my @r = (slow_write('/cgi-bin/slow.cgi?2'));
    wait_inflight(1, 'before a graceful restart', \@r);
    ok(eval { restart_server('graceful') }, 'graceful restart') or diag($@);
    my ($rc, $out, $err) = ctl('readonly', '--wait', '--timeout', '10s');
    is($rc, 0, 'readonly --wait after a graceful restart exits 0') or diag($err);
    cmp_ok(done_at($r[0]{id}) // 9e9, '<=', time, 'it waited for the write the old generation was still running');
    pump(\@r, 5);
    is(response_of($r[0])->{status}, 200, 'that write completed across the graceful restart');
    is(inflight(), 0, 'none in flight after it');
    flip('normal');
}
{
    my @r = (slow_write('/cgi-bin/slow.cgi?3'));
    wait_inflight(1, 'before a hard restart', \@r);
    ok(eval { restart_server('hard') }, 'hard restart') or diag($@);
    pump(\@r, 5);
    my $t = wait_until(sub { inflight() == 0 }, 5);
    ok(defined $t, 'after a hard restart, none is in flight') or diag('inflight_writes: ' . inflight());
    my ($rc, $out, $err) = ctl('readonly', '--wait', '--timeout', '1s');
    is($rc, 0, 'readonly --wait after a hard restart exits 0') or diag($err);
    flip('normal');
}
my $log = error_log_since(0);

# A child that dies (crash, OOM killer) or the whole server killed -9 while
# a write runs: no process runs it any more, so it must not stay "in
# flight" for ever (else every later --wait times out).  Each case uses its
# own scope so that a leak cannot disturb the others.
{
    my @r = (slow_write('/cgi-bin/crash-slow.cgi?3'));
    wait_inflight(1, 'scope crash: before every child is killed -9', \@r, 'crash');
    my @killed = kill_children();
    note("killed children: @killed");
    pump(\@r, 5);
    my $t = wait_until(sub { inflight('crash') == 0 }, 5);
    ok(defined $t, 'after the child running the write was killed -9, none is in flight')
        or diag('scope crash inflight_writes: ' . inflight('crash'));
    my ($rc, $out, $err) = ctl('--scope', 'crash', 'readonly', '--wait', '--timeout', '1s');
    is($rc, 0, 'readonly --wait after the child died exits 0') or diag($err);
}
{
    my @r = (slow_write('/cgi-bin/kill9-slow.cgi?3'));
    wait_inflight(1, 'scope kill9: before kill -9 of every httpd process', \@r, 'kill9');
    ok(eval { restart_server('kill9') }, 'kill9 restart') or diag($@);
    pump(\@r, 5);
    my $t = wait_until(sub { inflight('kill9') == 0 }, 5);
    ok(defined $t, 'after kill -9 of every httpd process and a fresh start, none is in flight')
        or diag('scope kill9 inflight_writes: ' . inflight('kill9'));
    my ($rc, $out, $err) = ctl('--scope', 'kill9', 'readonly', '--wait', '--timeout', '1s');
    is($rc, 0, 'readonly --wait after the kill -9 restart exits 0') or diag($err);
}

unlike($log, qr/Segmentation fault|AddressSanitizer|runtime error:|exit signal|\[core:emerg\]/, 'error log has no crash or sanitizer report');
ok(server_alive(), 'apache2 parent still alive');
stop_server();
done_testing();
