# hold (issue 4): safe methods pass, writes wait inside httpd until the mode
# leaves hold, then run (normal) exactly once or get the refusal of the new
# mode; the wait is capped by --max / UpkeepHoldMax (default 10s) and the
# number of held writes by UpkeepHoldLimit; a --for window ending releases
# them too.  Release latency after a flip is measured and reported (note
# lines); the test only asserts it stays under 1 s.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use Time::HiRes qw(time sleep);

my $Mpm = $ENV{TEST_UPKEEP_MPM} || 'event';
my $Dir = scratch_dir('hold');
my $Ids = "$Dir/ids";

my $Conf = <<'EOF';
UpkeepSafeMethods GET HEAD OPTIONS REPORT
<Location /cgi-bin/short.cgi>
    UpkeepHoldMax 300ms
</Location>
EOF

# Appends the id of its body to $Ids (one line per run) and says which
# mode it saw.  Runs as www-data.
my $Cgi = <<"EOF";
my \$len = \$ENV{CONTENT_LENGTH} || 0;
my \$body = '';
while (length \$body < \$len) {
    my \$n = read STDIN, \$body, \$len - length \$body, length \$body;
    last unless \$n;
}
my (\$id) = \$body =~ /id=([\\w.-]+)/;
\$id //= 'none';
open my \$fh, '>>', '$Ids' or die "$Ids: \$!";
syswrite \$fh, "\$id\\n";
close \$fh;
print "Content-Type: text/plain\\r\\n\\r\\nstored \$id mode=\" . (\$ENV{UPKEEP_MODE} // \"normal\") . \" method=\$ENV{REQUEST_METHOD}\\n";
EOF

start_server($Conf);
write_cgi('append.cgi', $Cgi);
write_cgi('short.cgi', $Cgi);
ctl('normal');

my $NextId = 0;
sub new_id { sprintf 'w%s%03d', $Mpm, ++$NextId }
sub write_req {
    my ($path, %o) = @_;
    my $id = $o{id} // new_id();
    return start_req(method => 'POST', path => $path, body => "id=$id", %o, id => $id);
}
sub held_now { my $s = scope_json(status_json()); $s ? $s->{held} : -1 }
sub ids_seen { my %c; $c{$_}++ for slurp_lines($Ids); \%c }
sub flip {
    my @a = @_;
    my ($rc, $out, $err) = ctl(@a);
    is($rc, 0, "upkeepctl @a exits 0") or diag("stdout: $out\nstderr: $err");
    return $out;
}
# Waits until $n writes are held (all of @reqs still unanswered).
sub all_held {
    my ($n, $reqs, $what) = @_;
    my $t = wait_until(sub { held_now() == $n }, 15, $reqs);
    ok(defined $t, "$what: $n write(s) held") or diag("held now: " . held_now());
    my @early = grep { $_->{done} } @$reqs;
    ok(!@early, "$what: none answered while held")
        or diag(join "\n", map { my $r = response_of($_); "$_->{id}: " . ($r->{status} // $r->{error}) } @early);
}
# Flips in the background and pumps the held requests; returns the
# release latencies (first byte after the flip started).
sub flip_and_collect {
    my ($reqs, @args) = @_;
    my $f = flip_async(@args);
    pump($reqs, 10, sub { flip_reap($f, 1); 0 });
    flip_reap($f);
    is($f->{rc}, 0, "upkeepctl @args (in the background) exits 0");
    my @lat = map { $_->{t_first} ? $_->{t_first} - $f->{t0} : 99 } @$reqs;
    note(sprintf "upkeepctl @args ran %.1f ms; release latency (flip start -> first byte): %s",
         1000 * ($f->{t_exit} - $f->{t0}), summary(@lat));
    return @lat;
}

# ------------------------------------------------------------------ usage
{
    my $out = flip('hold', '--reason', 'schema change');
    like($out, qr/\Ascope default: hold on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\n\z/, 'upkeepctl hold prints the success line');
    my ($rc, $text) = ctl('status');
    like($text, qr/^scope default: hold$/m, 'status says hold');
    like($text, qr/^  writes:      0 in flight, 0 held$/m, 'status: no write held yet');
    is(scope_json(status_json())->{mode}, 'hold', 'status --json: mode hold');

    for my $bad (['readonly', '--max', '1s'], ['maintenance', '--max', '1s'], ['normal', '--max', '1s'],
                 ['hold', '--max', '0'], ['hold', '--max', '6m'], ['hold', '--max', 'soon'],
                 ['hold', '--max']) {
        my ($rc, $o, $e) = ctl(@$bad);
        is($rc, 2, "upkeepctl @$bad: usage error (exit 2)");
        like($e, qr/\Aupkeepctl: .*--max.*\(see upkeepctl --help\)\n\z/, "upkeepctl @$bad: one line naming --max") or diag($e);
    }
    is(scope_json(status_json())->{mode}, 'hold', 'the usage errors changed nothing');
    my ($rc5, $o5) = ctl('hold', '--max', '5m');
    is($rc5, 0, 'hold --max 5m (the longest) is accepted');
    like(scalar(`cat ${\ state_dir()}/default.state`), qr/^hold-max-ms 300000$/m, 'the state file keeps the max');
}

# ------------------------------------------------------------------ safe methods pass
flip('hold');
for my $m (qw(GET HEAD OPTIONS REPORT)) {
    my $t0 = time;
    my $r = http_get($m, '/', undef, undef, 5);
    my $dt = time - $t0;
    isnt($r->{status} // 0, 503, "hold: $m / is not refused (" . ($r->{status} // $r->{error}) . ')');
    cmp_ok($dt, '<', 1, "hold: $m / answered at once (" . fmt_ms($dt) . ')');
}

# ------------------------------------------------------------------ held writes run exactly once on a flip to normal
my @release;    # latencies of every release to normal
{
    flip('hold');
    my @r = (write_req('/cgi-bin/append.cgi'), write_req('/cgi-bin/append.cgi'),
             write_req('/cgi-bin/append.cgi', expect => 1),
             write_req('/cgi-bin/append.cgi', method => 'PUT'));
    all_held(4, \@r, 'CGI writes');
    my ($rc, $text) = ctl('status');
    like($text, qr/^  writes:      0 in flight, 4 held$/m, 'status: 4 held, none in flight');
    is_deeply(ids_seen(), {}, 'no CGI ran while they were held');
    push @release, flip_and_collect(\@r, 'normal');
    for (@r) {
        my $res = response_of($_);
        is($res->{status}, 200, "released $_->{method} $_->{id}" . ($_->{expect} ? ' (Expect: 100-continue)' : '') . ': 200');
        is($res->{body}, "stored $_->{id} mode=normal method=$_->{method}\n", "released $_->{id}: the CGI ran once, in normal mode");
    }
    is_deeply(ids_seen(), { map { $_->{id} => 1 } @r }, 'each held write ran exactly once');
    is(held_now(), 0, 'nothing held after the release');
}

# More rounds on a static resource: the latency is then the wake-up alone.
for my $round (1 .. 5) {
    flip('hold');
    my @r = map { write_req('/index.html') } 1 .. 3;
    all_held(3, \@r, "round $round");
    push @release, flip_and_collect(\@r, 'normal');
    is_deeply([map { response_of($_)->{status} // 'none' } @r], [200, 200, 200], "round $round: the 3 held POSTs get 200 after the flip");
}
cmp_ok((sort { $b <=> $a } @release)[0], '<', 1, 'every held write was released within 1 s of the flip');
note('release to normal over all rounds (flip start -> first response byte): ' . summary(@release));

# ------------------------------------------------------------------ a flip to readonly / maintenance refuses them
{
    flip('hold');
    my @r = map { write_req('/cgi-bin/append.cgi') } 1 .. 3;
    all_held(3, \@r, 'before readonly');
    my @lat = flip_and_collect(\@r, 'readonly', '--reason', 'db migration');
    for (@r) {
        my $res = response_of($_);
        is($res->{status}, 503, "$_->{id}: held, then refused by readonly");
        is($res->{headers}{'retry-after'}, 60, "$_->{id}: Retry-After");
        like($res->{body} // '', qr{<title>Read-only mode</title>.*db migration}s, "$_->{id}: the read-only page");
    }
    my $seen = ids_seen();
    ok(!grep({ $seen->{ $_->{id} } } @r), 'none of the refused writes ran');
    cmp_ok((sort { $b <=> $a } @lat)[0], '<', 1, 'refused within 1 s of the flip to readonly');

    flip('hold');
    @r = map { write_req('/cgi-bin/append.cgi') } 1 .. 2;
    all_held(2, \@r, 'before maintenance');
    @lat = flip_and_collect(\@r, 'maintenance', '--reason', 'moving racks');
    for (@r) {
        my $res = response_of($_);
        is($res->{status}, 503, "$_->{id}: held, then refused by maintenance");
        like($res->{body} // '', qr{<title>Down for maintenance</title>.*moving racks}s, "$_->{id}: the maintenance page");
    }
    $seen = ids_seen();
    ok(!grep({ $seen->{ $_->{id} } } @r), 'none of them ran');
    cmp_ok((sort { $b <=> $a } @lat)[0], '<', 1, 'refused within 1 s of the flip to maintenance');
}

# ------------------------------------------------------------------ hold again: still held
{
    flip('hold');
    my @r = (write_req('/cgi-bin/append.cgi'));
    all_held(1, \@r, 'before a second hold');
    flip('hold', '--reason', 'still migrating');
    pump(\@r, 0.5);
    ok(!$r[0]{done}, 'a new hold (same mode, new version) keeps the write waiting');
    is(held_now(), 1, 'still 1 held');
    flip_and_collect(\@r, 'normal');
    is(response_of($r[0])->{status}, 200, 'then normal releases it');
    is(ids_seen()->{ $r[0]{id} }, 1, 'it ran once');
}

# ------------------------------------------------------------------ the max
my $off = error_log_offset();
{
    flip('hold', '--max', '500ms', '--retry-after', '30', '--reason', 'schema change');
    my @r = (write_req('/cgi-bin/append.cgi'));
    pump(\@r, 5);
    my $res = response_of($r[0]);
    my $dt = ($r[0]{done} // time) - $r[0]{t_sent};
    is($res->{status}, 503, 'hold --max 500ms: the write gets 503 when its max runs out');
    cmp_ok($dt, '>=', 0.45, 'not before 500 ms (' . fmt_ms($dt) . ')');
    cmp_ok($dt, '<', 3, 'and not much later');
    is($res->{headers}{'retry-after'}, 30, 'with the Retry-After of the hold');
    is($res->{headers}{'cache-control'}, 'no-store', 'and Cache-Control: no-store');
    like($res->{body} // '', qr{<title>Read-only mode</title>.*<p class="reason">schema change</p>}s, 'with the read-only page and the reason of the hold');
    ok(!ids_seen()->{ $r[0]{id} }, 'the timed-out write did not run');
    ok(wait_until(sub { error_log_since($off) =~ m{UPK0105: POST /cgi-bin/append\.cgi waited 500 ms in hold; refusing it} }, 2),
       'UPK0105 names the request and the wait') or diag(substr error_log_since($off), -2000);
    like(error_log_since($off), qr/\[upkeep:info\] .*UPK0105/, 'UPK0105 is logged at info');
}
{
    flip('hold');
    $off = error_log_offset();
    my @r = (write_req('/cgi-bin/short.cgi'));
    pump(\@r, 5);
    my $dt = ($r[0]{done} // time) - $r[0]{t_sent};
    is(response_of($r[0])->{status}, 503, 'UpkeepHoldMax 300ms of a <Location>: 503 when it runs out');
    cmp_ok($dt, '>=', 0.25, 'not before 300 ms (' . fmt_ms($dt) . ')');
    cmp_ok($dt, '<', 3, 'and not much later');
    ok(wait_until(sub { error_log_since($off) =~ m{UPK0105: POST /cgi-bin/short\.cgi waited 300 ms in hold} }, 2),
       'UPK0105 with 300 ms');
}
{
    flip('hold', '--max', '1500ms');
    $off = error_log_offset();
    my @r = (write_req('/cgi-bin/short.cgi'));
    pump(\@r, 5);
    my $dt = ($r[0]{done} // time) - $r[0]{t_sent};
    is(response_of($r[0])->{status}, 503, '--max 1500ms over UpkeepHoldMax 300ms: 503 in the end');
    cmp_ok($dt, '>=', 1.4, '--max wins over UpkeepHoldMax (' . fmt_ms($dt) . ')');
    ok(wait_until(sub { error_log_since($off) =~ m{UPK0105: POST /cgi-bin/short\.cgi waited 1500 ms in hold} }, 2),
       'UPK0105 with 1500 ms');
}

# ------------------------------------------------------------------ a --for window ending releases them
{
    flip('hold', '--for', '1s');
    my @r = (write_req('/cgi-bin/append.cgi'));
    pump(\@r, 4);
    my $dt = ($r[0]{done} // time) - $r[0]{t_sent};
    my $res = response_of($r[0]);
    is($res->{status}, 200, 'hold --for 1s: the held write runs when the window ends');
    is($res->{body}, "stored $r[0]{id} mode=normal method=POST\n", 'in normal mode, once');
    cmp_ok($dt, '<', 2.5, 'within the window plus a little (' . fmt_ms($dt) . ')');
    is(ids_seen()->{ $r[0]{id} }, 1, 'it ran exactly once');
}

# ------------------------------------------------------------------ the default max is 10 s
{
    flip('hold');
    $off = error_log_offset();
    my @r = (write_req('/cgi-bin/append.cgi'));
    all_held(1, \@r, 'default max');
    # meanwhile: reads pass, and the held write is shown
    my $t0 = time;
    my $g = http_get('GET', '/', undef, undef, 5);
    is($g->{status}, 200, 'a GET passes while a write is held');
    cmp_ok(time - $t0, '<', 1, 'at once');
    my ($rc, $text) = ctl('status');
    like($text, qr/^  writes:      0 in flight, 1 held$/m, 'status: 1 held');
    pump(\@r, 14);
    my $dt = ($r[0]{done} // time) - $r[0]{t_sent};
    is(response_of($r[0])->{status}, 503, 'without --max or UpkeepHoldMax the write is refused in the end');
    cmp_ok($dt, '>=', 9.8, 'after 10 s (' . fmt_ms($dt) . ')');
    cmp_ok($dt, '<', 12, 'not much later');
    ok(wait_until(sub { error_log_since($off) =~ m{UPK0105: POST /cgi-bin/append\.cgi waited 10000 ms in hold} }, 2),
       'UPK0105 with 10000 ms');
}
flip('normal');

# ------------------------------------------------------------------ UpkeepHoldLimit
start_server({ config => $Conf, server_config => "UpkeepHoldLimit 2\n" });
{
    flip('hold');
    $off = error_log_offset();
    my @r = map { write_req('/cgi-bin/append.cgi') } 1 .. 3;
    my $t = wait_until(sub { grep { $_->{done} } @r }, 5, \@r);
    my @done = grep { $_->{done} } @r;
    is(scalar @done, 1, 'UpkeepHoldLimit 2, 3 writes: one is answered at once');
    my $refused = $done[0] // {};
    my $dt = ($refused->{done} // time) - ($refused->{t_sent} // 0);
    is(response_of($refused)->{status}, 503, 'with 503');
    ok(response_of($refused)->{headers}{'retry-after'}, 'and Retry-After');
    cmp_ok($dt, '<', 3, 'at once, not after the 10 s max (' . fmt_ms($dt) . ')');
    note("hold limit: the third write was refused " . fmt_ms($dt) . " after it was sent");
    is(held_now(), 2, 'the other two are held');
    ok(wait_until(sub { error_log_since($off) =~ m{\[upkeep:info\] .*UPK0104: no room to hold POST /cgi-bin/append\.cgi} }, 2),
       'UPK0104 is logged at info') or diag(substr error_log_since($off), -2000);
    my @held = grep { !$_->{done} } @r;
    flip_and_collect(\@held, 'normal');
    is_deeply([map { response_of($_)->{status} // 'none' } @held], [200, 200], 'the two held writes run after the flip');
    my $seen = ids_seen();
    is_deeply([map { $seen->{ $_->{id} } // 0 } @held], [1, 1], 'each exactly once');
    ok(!$seen->{ $refused->{id} // '' }, 'the refused one never ran');

    # the room is given back
    flip('hold');
    @r = map { write_req('/index.html') } 1 .. 2;
    all_held(2, \@r, 'after the release, 2 fit again');
    flip_and_collect(\@r, 'normal');
    is_deeply([map { response_of($_)->{status} // 'none' } @r], [200, 200], 'and run');
}

# ------------------------------------------------------------------ --cluster hold
SKIP: {
    skip 'no memcached', 8 unless -x '/usr/bin/memcached';
    my $mport = start_memcached();    # the harness's child, stopped at END
    start_server({ config => $Conf, main_config => "UpkeepMemcached 127.0.0.1:$mport\nUpkeepSyncInterval 200ms\n" });
    my ($rc, $out, $err) = ctl('--cluster', 'hold');
    is($rc, 0, 'upkeepctl --cluster hold exits 0') or diag("$out$err");
    my @r = map { write_req('/cgi-bin/append.cgi') } 1 .. 2;
    all_held(2, \@r, '--cluster hold');
    my @lat = flip_and_collect(\@r, '--cluster', 'normal');
    is_deeply([map { response_of($_)->{status} // 'none' } @r], [200, 200], '--cluster normal releases them');
    my $seen = ids_seen();
    is_deeply([map { $seen->{ $_->{id} } // 0 } @r], [1, 1], 'each ran once');
    cmp_ok((sort { $b <=> $a } @lat)[0], '<', 1, 'within 1 s');
    stop_server();
    stop_memcached($mport);
}

# ------------------------------------------------------------------ a graceful restart during a hold
# A graceful restart (logrotate's nightly one) is not the end of a hold:
# the held writes wait on in the old generation's child, and run once the
# mode is released, each exactly once; nothing says they waited out a max.
{
    stop_server();
    unlink state_dir() . '/upkeep.live';
    start_server($Conf);
    flip('hold', '--max', '20s');
    my @r = map { write_req('/cgi-bin/append.cgi') } 1 .. 2;
    all_held(2, \@r, 'graceful restart');
    my $goff = error_log_offset();
    ok(eval { restart_server('graceful'); 1 }, 'graceful restart with 2 writes held') or diag($@);
    pump(\@r, 1);
    ok(!grep({ $_->{done} } @r), 'after the graceful restart the writes are still held, not refused')
        or diag(join "\n", map { "$_->{id}: " . (response_of($_)->{status} // 'none') } grep { $_->{done} } @r);
    flip_and_collect(\@r, 'normal');
    is_deeply([map { response_of($_)->{status} } @r], [200, 200], 'released after the restart: both run (200)');
    my $seen = ids_seen();
    is_deeply([map { $seen->{ $_->{id} } // 0 } @r], [1, 1], '... each exactly once');
    unlike(error_log_since($goff), qr/UPK0105|UPK0107/, 'no "waited ... in hold" and no "stops hard" line');
}

# ------------------------------------------------------------------ held writes whose process goes away
# A hard restart or a stop (children get SIGHUP/SIGTERM) or a child that
# dies (crash, OOM killer) while writes are held: the processes that held
# them are gone, so nothing is held any more, and the room under
# UpkeepHoldLimit must come back.  A restart must not wait for held writes
# either (they are cut off like any other request of a hard restart).
# Each case starts from a fresh live file (httpd stopped, upkeep.live
# removed) so that a leak cannot spill over; the hold has --max 3s so that
# a restart that waits for it still ends before the harness gives up.
my $LimitSpec = { config => $Conf, server_config => "UpkeepHoldLimit 2\n" };
my $crash_before = error_log_offset();
for my $kind (qw(kill_children hard stop_start)) {
    stop_server();
    unlink state_dir() . '/upkeep.live';
    start_server($LimitSpec);
    flip('hold', '--max', '3s');
    my @r = map { write_req('/index.html') } 1 .. 2;
    all_held(2, \@r, "$kind: before");
    my $t0 = time;
    if ($kind eq 'kill_children') {
        my @killed = kill_children();
        note("killed children: @killed");
    } else {
        ok(eval { restart_server($kind) }, "$kind restart") or diag($@);
        my $dt = time - $t0;
        # graceful restarts wait for requests; hard ones and stops do not
        cmp_ok($dt, '<', 2, sprintf "$kind restart does not wait for the held writes (%.2f s)", $dt);
    }
    pump(\@r, 2);
    ok(!grep({ (response_of($_)->{status} // 0) == 200 } @r), "$kind: the held writes went away with their process");
    if ($kind eq 'hard' && $Mpm eq 'event') {
        # the worker refuses at once (503), though an ungraceful stop may
        # close its socket first; either way the log says why, truly
        ok(!grep({ (response_of($_)->{status} // 503) != 503 } @r), 'hard: the held writes get 503 or a closed connection');
        like(error_log_since($crash_before), qr/UPK0107: POST \S+ held \d+ ms; httpd stops or restarts hard: refusing it/,
             'hard: UPK0107 says why (not "waited its max")');
    }
    my $t = wait_until(sub { held_now() == 0 }, 3);
    ok(defined $t, "$kind: afterwards no write is held") or diag('held now: ' . held_now());
    $off = error_log_offset();
    @r = map { write_req('/index.html') } 1 .. 2;
    pump(\@r, 1);
    ok(!grep({ $_->{done} } @r), "$kind: UpkeepHoldLimit 2 has room for 2 writes again")
        or diag(join "\n", map { ($_->{id}) . ': ' . (response_of($_)->{status} // 'none') } grep { $_->{done} } @r);
    unlike(error_log_since($off), qr/UPK0104/, "$kind: no \"no room to hold\"");
    flip_and_collect(\@r, 'normal');
}
stop_server();
unlink state_dir() . '/upkeep.live';
my $crash_off = error_log_offset();

# ------------------------------------------------------------------ directives httpd refuses
sub must_die {
    my ($spec, $re, $name) = @_;
    my $ok = eval { start_server($spec); 1 };
    ok(!$ok, "$name: apache2 refuses to start");
    like($@ // '', $re, "$name: the message names the problem");
    stop_server() if $ok;
}
must_die('UpkeepHoldMax 0', qr/UpkeepHoldMax: '0' must be between 1ms and 5m/, 'UpkeepHoldMax 0');
must_die('UpkeepHoldMax 6m', qr/UpkeepHoldMax: '6m' must be between 1ms and 5m/, 'UpkeepHoldMax 6m');
must_die('UpkeepHoldMax soon', qr/UpkeepHoldMax: 'soon' /, 'UpkeepHoldMax soon');
must_die({ server_config => 'UpkeepHoldLimit 0' }, qr/UpkeepHoldLimit: '0' is not a number from 1 to 100000/, 'UpkeepHoldLimit 0');
must_die({ server_config => 'UpkeepHoldLimit many' }, qr/UpkeepHoldLimit: 'many' is not a number/, 'UpkeepHoldLimit many');
must_die("<Location /x>\n    UpkeepHoldLimit 3\n</Location>", qr/UpkeepHoldLimit not allowed in <Location> context/, 'UpkeepHoldLimit in <Location>');

# ------------------------------------------------------------------ the end
start_server($Conf);
# (the children killed above are logged with "exit signal": leave that out)
my $log = substr(error_log_since(0), 0, $crash_before) . error_log_since($crash_off);
unlike($log, qr/Segmentation fault|AddressSanitizer|runtime error:|exit signal|\[core:emerg\]/, 'error log has no crash or sanitizer report');
ok(server_alive(), 'apache2 parent still alive');
stop_server();
done_testing();
