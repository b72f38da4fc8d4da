# Scheduled windows: `upkeepctl MODE --at TIME [--for DURATION]` starts
# and ends a window by itself on every node that holds the state (each by
# its own clock), `upkeepctl cancel` removes one that has not started, and
# what upkeepctl refuses.  Windows here start within the next seconds.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use File::Path qw(make_path remove_tree);
use POSIX qw(mkfifo);
use Time::HiRes qw(time sleep);

my $SECRET_FILE = servroot() . '-secret';
open my $sfh, '>', $SECRET_FILE or die "$SECRET_FILE: $!";
print $sfh "schedule-test-secret-0123456789abcdef\n";
close $sfh;
END { unlink $SECRET_FILE }

sub ok_ctl {
    my @a = @_;
    my ($rc, $out, $err) = ctl(@a);
    is($rc, 0, "upkeepctl @a exits 0") or diag("stdout: $out\nstderr: $err");
    return ($out, $err);
}

sub bad_ctl {
    my ($code, $re, @a) = @_;
    my ($rc, $out, $err) = ctl(@a);
    is($rc, $code, "upkeepctl @a exits $code");
    like($err, $re, "upkeepctl @a says why");
}

# Requests every 100 ms until $until; returns [time, status] pairs.
sub follow {
    my ($until, $method, $node) = @_;
    my @seen;
    while (time < $until) {
        my $r = http_get($method // 'GET', '/', undef, ($method // '') eq 'POST' ? 'a=1' : undef);
        push @seen, [time, $r->{status} // 'none'];
        sleep 0.1;
    }
    return \@seen;
}

# The statuses in order, runs collapsed: "200 503 200".
sub runs { my @s; for (@{ $_[0] }) { push @s, $_->[1] unless @s && $s[-1] eq $_->[1] } join ' ', @s }

start_server('');
ctl('normal');

# ------------------------------------------------------------ a window flows
{
    my $off = error_log_offset();
    my $t0 = int(time) + 1;    # the whole second upkeepctl counts from
    my ($out) = ok_ctl('maintenance', '--at', '+3s', '--for', '3s', '--reason', 'Window test');
    like($out, qr/^scope default: maintenance scheduled on this node from \S+Z \(in [^)]*\) until \S+Z \(in [^)]*\) \(version \d+\)$/m,
         'upkeepctl says what it scheduled');
    my $st = scope_json(status_json(), 'default');
    is($st->{mode}, 'normal', 'status: still normal before the window');
    ok($st->{local}{pending}, 'status --json: the local layer has a pending window');
    like($st->{local}{starts}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'status --json: starts is an ISO time');
    my ($rc, $text) = ctl('status');
    like($text, qr/^  scheduled:   maintenance from \S+ to \S+ \(in [0-9]s\)$/m, 'status shows the window');

    my $seen = follow(time + 8.5);
    is(runs($seen), '200 503 200', 'requests: served, then refused during the window, then served again');
    my @refused = grep { $_->[1] eq '503' } @$seen;
    ok(@refused >= 15, 'the window lasted about 3 s (' . scalar(@refused) . ' refusals at 100 ms)');
    my $log = error_log_since($off);
    like($log, qr/UPK0014: scope 'default': a maintenance window is scheduled from \S+ to \S+ \(local layer/,
         'the error log announces the scheduled window');
    like($log, qr/UPK0011: scope 'default' is now in maintenance mode: a scheduled window started/,
         'the error log says when the window starts');
    like($log, qr/UPK0011: scope 'default' is back to normal mode: a window ended/,
         'the error log says when the window ends');
}

# ------------------------------------------------- the refusal during a window
{
    ok_ctl('readonly', '--at', '+2s', '--for', '1h', '--reason', 'Upgrade');
    my $r = http_get('POST', '/', undef, 'a=1');
    is($r->{status}, 200, 'a write before a read-only window passes');
    ok(wait_for(6, sub { http_get('POST', '/', undef, 'a=1')->{status} == 503 }),
       'writes are refused once the read-only window started');
    $r = http_get('POST', '/', { Accept => 'application/json' }, 'a=1');
    like($r->{headers}{'retry-after'} // '', qr/^3[56]\d\d$/, 'Retry-After counts down to the end of the window');
    like($r->{body}, qr/"until":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/, 'the refusal names the end of the window');
    bad_ctl(1, qr/its readonly window already started at \S+ \(end it with upkeepctl normal\); not changed/, 'cancel');
    ok_ctl('normal');
}

# ------------------------------------------------------------------ cancel
{
    ok_ctl('maintenance', '--at', '+2s', '--for', '2s');
    my ($out) = ok_ctl('cancel');
    like($out, qr/^scope default: the maintenance window scheduled for \S+Z is cancelled; normal \(version \d+\)$/m,
         'cancel says what it removed');
    my $seen = follow(time + 3.5);
    is(runs($seen), '200', 'a cancelled window never starts');
    bad_ctl(1, qr/scope 'default' has no scheduled window; not changed/, 'cancel');
}

# ------------------------------------- a window survives a restart of httpd
{
    ok_ctl('maintenance', '--at', '+4s', '--for', '2s');
    restart_server('stop_start');
    is(http_get('GET', '/')->{status}, 200, 'after a restart, still normal before the window');
    ok(wait_for(8, sub { http_get('GET', '/')->{status} == 503 }), 'the window starts after the restart');
    ok(wait_for(6, sub { http_get('GET', '/')->{status} == 200 }), 'and ends');
}

# ------------------------------- a flip replaces a pending window, and says so
{
    ok_ctl('maintenance', '--at', '+1h', '--for', '10m');
    my ($out, $err) = ok_ctl('readonly');
    like($err, qr/note: this replaces the maintenance window scheduled for \S+Z/, 'a flip over a pending window says it replaces it');
    is(scope_json(status_json(), 'default')->{local}{pending}, JSON::PP::false(), 'the window is gone');
    bad_ctl(1, qr/scope 'default' is in readonly mode now: a window can be scheduled only while the scope is normal \(run upkeepctl normal first\); not changed/,
            'maintenance', '--at', '+1h');
    is(scope_json(status_json(), 'default')->{mode}, 'readonly', 'a refused schedule leaves the mode as it was');
    ok_ctl('normal');
}

# ------------------------------------- the banner announces a window ahead
{
    start_server("<Location /quiet>\n    UpkeepAnnounce off\n</Location>\n"
               . "<Location /short>\n    UpkeepAnnounce 10m\n</Location>\n");
    make_path(servroot() . '/htdocs/quiet', servroot() . '/htdocs/short');
    for my $f ('page.html', 'quiet/page.html', 'short/page.html') {
        open my $fh, '>', servroot() . "/htdocs/$f" or die $!;
        print $fh "<html><head><title>t</title></head><body>\n<p>content</p>\n</body></html>\n";
    }
    is(http_get('GET', '/page.html')->{body}, "<html><head><title>t</title></head><body>\n<p>content</p>\n</body></html>\n",
       'no window: the page as it is');
    ok_ctl('maintenance', '--at', '+30m', '--for', '1h', '--reason', 'Database <move>');
    my $r = http_get('GET', '/page.html');
    is($r->{status}, 200, 'a window ahead: the page is served');
    like($r->{body}, qr{<body><div id="upkeep-banner" role="status"[^>]*><strong>Scheduled maintenance:</strong> this site will be unavailable from <time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)">\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT</time> until <time datetime="\d{4}-[^"]+">[^<]+</time>\. \(Database &lt;move&gt;\)</div>\n<script>[^<]*</script>\n\n<p>content</p>},
         'within UpkeepAnnounce (1h) the banner announces the window: start, end, reason');
    my ($starts) = $r->{body} =~ /<time datetime="([^"]+)"/;
    is($starts, scope_json(status_json(), 'default')->{local}{starts}, 'the announced start is the window\'s');
    unlike(http_get('GET', '/quiet/page.html')->{body}, qr/upkeep-banner/, 'UpkeepAnnounce off: no announcement');
    unlike(http_get('GET', '/short/page.html')->{body}, qr/upkeep-banner/, 'UpkeepAnnounce 10m: a window 30m ahead is not announced yet');
    ok_ctl('readonly', '--at', '+5m');
    like(http_get('GET', '/short/page.html')->{body}, qr{<strong>Scheduled maintenance:</strong> changes will be paused from <time[^>]*>[^<]+</time>\.</div>},
         'a read-only window 5m ahead: announced within UpkeepAnnounce 10m, no end, no reason');
    ok_ctl('cancel');
    unlike(http_get('GET', '/page.html')->{body}, qr/upkeep-banner/, 'cancelled: no announcement');
    ok_ctl('readonly', '--at', '+2s', '--for', '1h');
    ok(wait_for(6, sub { http_get('GET', '/page.html')->{body} =~ /<strong>Changes are paused<\/strong>\./ }),
       'once the read-only window starts, the banner says changes are paused');
    ok_ctl('normal');
    start_server('');
}

# ------------------------------------------------------------ bad arguments
for my $case (
    [qr/--at '2020-01-01T00:00:00Z' is not in the future/, 'maintenance', '--at', '2020-01-01T00:00:00Z'],
    [qr/--at '2030-01-01T10:00' has no time zone/, 'maintenance', '--at', '2030-01-01T10:00'],
    [qr/--at '2030-02-30T10:00Z' is not a date that exists/, 'maintenance', '--at', '2030-02-30T10:00Z'],
    [qr/--at 'tomorrow' is not a time/, 'maintenance', '--at', 'tomorrow'],
    [qr/--at '\+soon' is not a duration \(examples/, 'maintenance', '--at', '+soon'],
    [qr/--at '\+400d' is more than a year away/, 'maintenance', '--at', '+400d'],
    [qr/--at '\+99999999999999d' is too large/, 'maintenance', '--at', '+99999999999999d'],
    [qr/--at '\+1500ms' must be whole seconds/, 'maintenance', '--at', '+1500ms'],
    [qr/--for '1500ms' must be whole seconds/, 'maintenance', '--for', '1500ms'],
    [qr/--at '2030-01-01T10:00:00\.5Z' has fractional seconds/, 'maintenance', '--at', '2030-01-01T10:00:00.5Z'],
    [qr/--at '2030-06-30T23:59:60Z' is a leap second/, 'maintenance', '--at', '2030-06-30T23:59:60Z'],
    [qr/--at does not go with normal/, 'normal', '--at', '+1h'],
    [qr/--at does not go with cancel/, 'cancel', '--at', '+1h'],
    [qr/--for does not go with cancel/, 'cancel', '--for', '1h'],
    [qr/--wait does not go with --at/, 'readonly', '--at', '+1h', '--wait'],
) {
    my ($re, @a) = @$case;
    bad_ctl(2, $re, @a);
}
{
    my $st = scope_json(status_json(), 'default');
    ok($st->{mode} eq 'normal' && !$st->{local}{pending}, 'the refused commands left the scope normal, with no window');
}
# a refused command (a mistyped scope, say) takes none of the live file's
# few scope slots
for my $typo (qw(typo1 typo2)) {
    bad_ctl(2, qr/unknown scope '$typo': httpd's configuration names default/, '--scope', $typo, 'cancel');
}
ok(!grep({ $_->{scope} =~ /^typo/ } @{ status_json()->{scopes} }), 'refused commands claim no live slot for their scope');

# state the node cannot use: nothing is written, and upkeepctl says why
{
    my $d = servroot() . '-broken';
    remove_tree($d);
    make_path($d);
    open my $lf, '>', "$d/upkeep.live" or die $!;
    print $lf "\0" x 1000;
    close $lf;
    bad_ctl(1, qr/upkeep\.live has size 1000, not \d+; not changed/, '--state-dir', $d, 'drain');
    ok(!-e "$d/drain", 'drain with an unusable live file: no drain file either');
    unlink "$d/upkeep.live";
    mkfifo("$d/default.state", 0600) or die "mkfifo: $!";
    # (a blocked open would end in the harness's kill, not exit 1)
    bad_ctl(1, qr{default\.state is a FIFO, not a regular file}, '--state-dir', $d, 'status');
    remove_tree($d);
}

# ISO 8601 with an offset: the same instant as in UTC
{
    my @t = gmtime(time + 7200);
    my $utc = sprintf '%04d-%02d-%02dT%02d:%02d:00Z', $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1];
    my @l = gmtime(time + 7200 + 3600);
    my $plus1 = sprintf '%04d-%02d-%02dT%02d:%02d+01:00', $l[5] + 1900, $l[4] + 1, $l[3], $l[2], $l[1];
    ok_ctl('maintenance', '--at', $plus1);
    is(scope_json(status_json(), 'default')->{local}{starts}, $utc, "--at $plus1 is $utc");
    ok_ctl('cancel');
}

# ----------------------------------------- cluster: every node starts it
SKIP: {
    my $mc = eval { memcached_port() };
    skip "no memcached: $@", 6 unless $mc;
    my $spec = { main_config => "UpkeepMemcached 127.0.0.1:$mc\nUpkeepSyncInterval 100ms\n"
                                . "UpkeepSecretFile $SECRET_FILE\n" };
    mc_cmd($mc, 'flush_all');
    start_server($spec);
    instance('b', sub { start_server($spec) });
    ok_ctl('--cluster', 'normal');
    my ($out) = ok_ctl('--cluster', 'maintenance', '--at', '+3s', '--for', '3s');
    like($out, qr/maintenance scheduled on every node from \S+ \(in [^)]*\) until \S+ \(in [^)]*\)/, 'a cluster-wide window is scheduled');
    ok(wait_for(3, sub { instance('b', sub { scope_json(status_json(), 'default')->{cluster}{pending} }) }),
       'node b holds the pending window');
    ok(wait_for(8, sub { instance('b', sub { http_get('GET', '/')->{status} == 503 }) }),
       'node b starts the window by itself');
    ok(wait_for(8, sub { instance('b', sub { http_get('GET', '/')->{status} == 200 }) }),
       'node b ends it by itself');
    ok_ctl('--cluster', 'normal');
    instance('b', sub { stop_server() });
}

done_testing();
