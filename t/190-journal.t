# The journal (issue 16): in maintenance (and readonly), an unsafe request
# under an UpkeepJournal prefix is appended to a durable per-scope journal
# and answered 202 with Upkeep-Journal-Id; once the scope is normal, the
# node replays it through httpd over loopback, in arrival order, with
# Upkeep-Journal-Id and Upkeep-Journal-Received.  2xx: done; 4xx: dead
# (kept); 5xx: retried with backoff, for UpkeepJournalRetry, then dead.
# It survives kill -9 of the parent.  UpkeepJournalBodyMax and
# UpkeepJournalMax bound it: beyond them, today's refusal.  upkeepctl
# journal lists it; journal show redacts secrets.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use Compress::Zlib ();

my $Dir = scratch_dir('journal');
my $Log = "$Dir/log";

# Logs every request it gets (one Data::Dumper line) and answers 500 the
# first N times a journal id comes (?fail=N), 400 for ?bad=1.
my $Cgi = <<"EOF";
use Data::Dumper;
\$Data::Dumper::Terse = 1; \$Data::Dumper::Indent = 0; \$Data::Dumper::Useqq = 1; \$Data::Dumper::Sortkeys = 1;
my \$len = \$ENV{CONTENT_LENGTH} || 0;
my \$body = '';
while (length \$body < \$len) {
    my \$n = read STDIN, \$body, \$len - length \$body, length \$body;
    last unless \$n;
}
my \$q = \$ENV{QUERY_STRING} // '';
my \$id = \$ENV{HTTP_UPKEEP_JOURNAL_ID} // 'direct';
my \$n = 0;
if (open my \$c, '<', "$Dir/count-\$id") { \$n = <\$c>; close \$c }
\$n++;
{ open my \$c, '>', "$Dir/count-\$id" or die; print \$c \$n; close \$c }
if (\$q =~ /slow=1/) {
    open my \$s, '>>', "$Dir/slow-started" or die; print \$s "\$id\\n"; close \$s;
    sleep 2;
}
my \$status = 200;
\$status = 500 if \$q =~ /fail=(\\d+)/ && \$n <= \$1;
\$status = 400 if \$q =~ /bad=1/;
my %h = map { \$_ => \$ENV{\$_} } grep { /^HTTP_|^CONTENT_TYPE\$/ } keys %ENV;
open my \$fh, '>>', '$Log' or die;
syswrite \$fh, Dumper({ method => \$ENV{REQUEST_METHOD}, uri => \$ENV{REQUEST_URI}, body => \$body, status => \$status, headers => \\%h }) . "\\n";
close \$fh;
print "Status: \$status\\r\\nContent-Type: text/plain\\r\\n\\r\\nstatus \$status\\n";
EOF

start_server(<<'EOF');
UpkeepJournal /cgi-bin/hook.cgi /cgi-bin/small.cgi
UpkeepJournalRetry 4s
<Location /cgi-bin/small.cgi>
    UpkeepJournalBodyMax 100
</Location>
<Location /cgi-bin/tiny.cgi>
    UpkeepScope tiny
    UpkeepJournal /cgi-bin/tiny.cgi
    UpkeepJournalMax 1K
</Location>
<Location /cgi-bin/hold.cgi>
    UpkeepJournal /cgi-bin/hold.cgi
    UpkeepHoldMax 300ms
</Location>
<Location /upkeep-status>
    SetHandler upkeep-status
    Upkeep off
</Location>
EOF
write_cgi($_, $Cgi) for qw(hook.cgi small.cgi tiny.cgi other.cgi hold.cgi);

sub got { map { my $r = eval $_; $r ? ($r) : () } slurp_lines($Log) }
sub got_for { my ($id) = @_; grep { ($_->{headers}{HTTP_UPKEEP_JOURNAL_ID} // '') eq $id } got() }
sub post {
    my ($path, $body, @h) = @_;
    return http_get('POST', $path, [['Content-Type', 'application/x-www-form-urlencoded'], @h], $body);
}
sub metrics { http_get('GET', '/upkeep-status?metrics')->{body} // '' }
sub metric { my ($re) = @_; my ($v) = metrics() =~ /^\Q$re\E (\S+)$/m; $v }

ctl('normal');
ctl('normal', '--scope', 'tiny');
my ($rc, $out, $err) = ctl('maintenance');
is($rc, 0, 'maintenance') or diag("$out$err");

# --- a journaled POST: 202 + id, in the client's format
my $body = "a=1&b=two\nline two \x00 end";
my $r = post('/cgi-bin/hook.cgi?x=1&y=%20z', $body, ['Accept', 'application/json'],
             ['X-Test', 'one'], ['Authorization', 'Bearer s3cret'],
             ['Cookie', 'session=abc'], ['Proxy-Authorization', 'Basic cHJveHk=']);
is($r->{status}, 202, 'journaled POST in maintenance: 202');
my $id = $r->{headers}{'upkeep-journal-id'} // '';
ok($id, "... with Upkeep-Journal-Id ($id)");
like($r->{headers}{'content-type'} // '', qr{application/problem\+json}, '... JSON for a client that asks for JSON');
like($r->{body}, qr/"status":202.*"journal_id":"\Q$id\E"/s, '... saying it was queued, with the id');
$r = post('/cgi-bin/hook.cgi', 'x=1', ['Accept', 'text/plain']);
is($r->{status}, 202, 'a second one: 202');
like($r->{body}, qr/^Accepted: the request was queued/, '... text for text/plain');
my $id2 = $r->{headers}{'upkeep-journal-id'} // '';
isnt($id2, $id, '... with an id of its own');

# --- not journaled: the refusal of today
$r = post('/cgi-bin/other.cgi', 'x=1');
is($r->{status}, 503, 'a POST outside the journaled prefixes is refused (503)');
ok(!$r->{headers}{'upkeep-journal-id'}, '... without a journal id');
$r = http_get('GET', '/cgi-bin/hook.cgi');
is($r->{status}, 503, 'a GET of a journaled path in maintenance is refused as before');
$r = post('/cgi-bin/hook.cgi/%2e%2e/other.cgi', 'x=1');
isnt($r->{status}, 202, 'a path that only looks journaled is not journaled');
is(scalar(got()), 0, 'the app saw nothing yet');

# --- the limits
$r = post('/cgi-bin/small.cgi', 'x' x 101);
is($r->{status}, 503, 'a body over UpkeepJournalBodyMax: refused (503)');
$r = post('/cgi-bin/small.cgi', 'x' x 100);
is($r->{status}, 202, 'a body of exactly UpkeepJournalBodyMax: 202');
ctl('maintenance', '--scope', 'tiny');
$r = post('/cgi-bin/tiny.cgi', 'x' x 300);
is($r->{status}, 202, 'UpkeepJournalMax 1K: a first entry fits (202)');
$r = post('/cgi-bin/tiny.cgi', 'x' x 800);
is($r->{status}, 503, '... the next one would pass the limit: refused (503)');

# --- the files: httpd's user and root only
my $jdir = state_dir() . '/journal';
is(sprintf('%o', (stat $jdir)[2] & 07777), '700', 'the journal directory is 0700');
is(sprintf('%o', (stat "$jdir/default.journal")[2] & 07777), '600', 'the journal file is 0600');
if ($> == 0) {
    is((stat "$jdir/default.journal")[4], scalar(getpwnam('www-data')), "... owned by httpd's user");
}
my $logtext = do { local $/; open my $f, '<', servroot() . '/logs/error.log'; <$f> };
unlike($logtext, qr/s3cret|session=abc|line two/, 'nothing of an entry in the error log');

# --- upkeepctl journal
($rc, $out, $err) = ctl('journal');
is($rc, 0, 'upkeepctl journal') or diag("$out$err");
like($out, qr/^\Q$id\E\s+default\s+pending\s.*POST\s+\/cgi-bin\/hook\.cgi\?x=1&y=%20z$/m, '... lists the entry, pending');
like($out, qr/^\Q$id2\E\s+default\s+pending/m, '... and the second');
($rc, $out, $err) = ctl('journal', '--scope', 'tiny');
like($out, qr/tiny\s+pending/, 'journal --scope tiny: its entry');
unlike($out, qr/\Q$id\E/, '... only its own');
($rc, $out, $err) = ctl('journal', 'show', $id);
is($rc, 0, 'upkeepctl journal show ID') or diag("$out$err");
like($out, qr/^POST \/cgi-bin\/hook\.cgi\?x=1&y=%20z HTTP\/1\.1$/m, '... the request line');
like($out, qr/^X-Test: one$/m, '... its headers');
like($out, qr/^Authorization: \[redacted\]$/m, '... Authorization redacted');
like($out, qr/^Cookie: \[redacted\]$/m, '... Cookie redacted');
like($out, qr/^Proxy-Authorization: \[redacted\]$/m, '... Proxy-Authorization redacted');
unlike($out, qr/s3cret|session=abc|cHJveHk/, '... no secret shown');
like($out, qr/\n\na=1&b=two\nline two \x00 end\z/, '... and the body, as it was sent (piped: raw bytes)');
($rc, $out, $err) = ctl('journal', 'show', $id, '--unredacted');
like($out, qr/^Authorization: Bearer s3cret$/m, 'journal show --unredacted: the secrets');
($rc, $out, $err) = ctl('journal', 'show', 'nope');
isnt($rc, 0, 'journal show of an unknown id fails');

# --- metrics
like(metrics(), qr/^upkeep_journal_entries\{scope="default",state="pending"\} 3$/m, 'metrics: 3 pending');
like(metrics(), qr/^upkeep_journal_bytes\{scope="default"\} [1-9]\d*$/m, 'metrics: the journal bytes');
{
    my $page = JSON::PP::decode_json(http_get('GET', '/upkeep-status?json')->{body} // '{}');
    my ($sj) = grep { $_->{scope} eq 'default' } @{ $page->{scopes} || [] };
    is_deeply([@{ $sj->{journal} // {} }{qw(pending dead)}], [3, 0], 'the status page JSON: journal 3 pending, 0 dead');
    cmp_ok($sj->{journal}{bytes} // 0, '>', 0, '... and its bytes');
    like(http_get('GET', '/upkeep-status')->{body}, qr{<dt>journal</dt><dd>3 pending, 0 dead</dd>}, '... the HTML card says it too');
}

# --- kill -9 of the parent; start again: still there, then replayed once
my $restart_off = error_log_offset();
restart_server('kill9');
sleep 1;
is(scalar(got()), 0, 'after kill -9 and a start in maintenance: nothing replayed');
like(error_log_since($restart_off), qr/UPK0147: the journal of scope 'default' holds 3 pending and 0 dead entries/,
     '... and the start says what waits (UPK0147)');
($rc, $out, $err) = ctl('normal');
is($rc, 0, 'normal') or diag("$out$err");
ok(wait_until(sub { got_for($id2) }, 15), 'the entries are replayed once the scope is normal');
sleep 1.5;
my @got = got_for($id);
is(scalar(@got), 1, 'the first was received exactly once');
my $g = $got[0] // {};
is($g->{method}, 'POST', '... same method');
is($g->{uri}, '/cgi-bin/hook.cgi?x=1&y=%20z', '... same URI and query');
is($g->{body}, $body, '... same body (bytes, NUL included)');
is($g->{headers}{HTTP_X_TEST}, 'one', '... same headers');
is($g->{headers}{HTTP_COOKIE}, 'session=abc', '... Cookie included');
is($g->{headers}{CONTENT_TYPE}, 'application/x-www-form-urlencoded', '... Content-Type included');
is($g->{headers}{HTTP_UPKEEP_JOURNAL_ID}, $id, '... with Upkeep-Journal-Id');
like($g->{headers}{HTTP_UPKEEP_JOURNAL_RECEIVED} // '', qr/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/, '... and Upkeep-Journal-Received (an HTTP-date)');
ok(!exists $g->{headers}{HTTP_UPKEEP_MODE}, '... without the Upkeep-Mode of the time it came');
ok(!exists $g->{headers}{HTTP_UPKEEP_JOURNAL_TOKEN}, '... nor the replay key');
my @ids = map { $_->{headers}{HTTP_UPKEEP_JOURNAL_ID} } got();
is_deeply([@ids[0, 1]], [$id, $id2], 'replayed in arrival order');
ok(wait_until(sub { (metric('upkeep_journal_entries{scope="default",state="pending"}') // 1) == 0 }, 10), 'metrics: nothing pending');
like(metrics(), qr/^upkeep_journal_replayed_total\{scope="default",result="ok"\} 3$/m, 'metrics: replayed ok');
ctl('normal', '--scope', 'tiny');
ok(wait_until(sub { got() >= 4 }, 10), 'the tiny scope replays its own');

# --- order of several entries
unlink $Log;
ctl('maintenance');
my @order;
for my $i (1 .. 6) {
    my $x = post("/cgi-bin/hook.cgi?seq=$i", "seq=$i");
    push @order, $x->{headers}{'upkeep-journal-id'};
}
is(scalar(grep { $_ } @order), 6, 'six entries journaled');
ctl('normal');
ok(wait_until(sub { got() >= 6 }, 15), 'all six replayed');
is_deeply([map { $_->{uri} } got()], [map { "/cgi-bin/hook.cgi?seq=$_" } 1 .. 6], 'in arrival order');
is_deeply([map { $_->{headers}{HTTP_UPKEEP_JOURNAL_ID} } got()], \@order, '... each under its id');

# --- concurrent clients: each journaled once; the replay follows the
# journal's order (the id ends with the entry's offset in the file)
unlink $Log;
ctl('maintenance');
my @conc = map { start_req(method => 'POST', path => "/cgi-bin/hook.cgi?c=$_", body => "c=$_",
                           headers => [['Content-Type', 'application/x-www-form-urlencoded']]) } 1 .. 12;
pump(\@conc, 15);
my @cids = map { response_of($_)->{headers}{'upkeep-journal-id'} // 'none' } @conc;
is_deeply([map { response_of($_)->{status} // 0 } @conc], [(202) x 12], '12 concurrent journaled POSTs: 202 each');
ctl('normal');
ok(wait_until(sub { got() >= 12 }, 20), 'all 12 replayed');
sleep 0.5;
my @rids = map { $_->{headers}{HTTP_UPKEEP_JOURNAL_ID} } got();
is_deeply([sort @rids], [sort @cids], '... each exactly once');
my @offs = map { hex((split /-/)[1]) } @rids;
is_deeply(\@offs, [sort { $a <=> $b } @offs], '... in the order they were journaled');
is_deeply([map { $_->{body} } got()], [map { my $o = $_; my ($i) = grep { $cids[$_ - 1] eq $o } 1 .. 12; "c=$i" } @rids], '... each with its own body');

# --- a 500 is retried, a 400 is dead
unlink $Log;
ctl('maintenance');
my $retry = post('/cgi-bin/hook.cgi?fail=1', 'r=1')->{headers}{'upkeep-journal-id'};
my $dead = post('/cgi-bin/hook.cgi?bad=1', 'd=1')->{headers}{'upkeep-journal-id'};
my $after = post('/cgi-bin/hook.cgi?after=1', 'a=1')->{headers}{'upkeep-journal-id'};
ctl('normal');
ok(wait_until(sub { got_for($after) }, 15), 'the entries after a failing one are replayed');
is_deeply([map { $_->{status} } got_for($retry)], [500, 200], 'a 500 is retried until it succeeds');
is_deeply([map { $_->{status} } got_for($dead)], [400], 'a 400 is not retried');
is_deeply([map { $_->{headers}{HTTP_UPKEEP_JOURNAL_ID} } got()], [$retry, $retry, $dead, $after], '... order holds');
($rc, $out) = ctl('journal');
like($out, qr/^\Q$dead\E\s+default\s+dead\s+\S+\s+1\s+400\s+POST/m, 'upkeepctl journal: the 400 is dead (attempts 1, last 400)');
unlike($out, qr/\Q$retry\E|\Q$after\E/, '... the done ones are gone');
like(metrics(), qr/^upkeep_journal_entries\{scope="default",state="dead"\} 1$/m, 'metrics: 1 dead');
like(metrics(), qr/^upkeep_journal_replayed_total\{scope="default",result="retry"\} [1-9]/m, 'metrics: a retry');
like(metrics(), qr/^upkeep_journal_replayed_total\{scope="default",result="client_error"\} 1$/m, 'metrics: a client error');

# promtool check metrics, with every journal metric there
SKIP: {
    my ($promtool) = grep { -x } (map { "$_/promtool" } split /:/, $ENV{PATH}), 't/.promtool/promtool';
    skip('no promtool (t/141-status-tools.t fetches one into t/.promtool)', 2) unless $promtool;
    open my $fh, '>', "$Dir/metrics.txt" or die;
    print $fh metrics();
    close $fh;
    my $out = `$promtool check metrics < $Dir/metrics.txt 2>&1`;
    is($? >> 8, 0, 'promtool check metrics exits 0');
    is($out, '', 'promtool check metrics has no findings');
}

# --- a 5xx past UpkeepJournalRetry (4s) is dead
unlink $Log;
ctl('maintenance');
my $never = post('/cgi-bin/hook.cgi?fail=99', 'n=1')->{headers}{'upkeep-journal-id'};
ctl('normal');
ok(wait_until(sub { (metric('upkeep_journal_entries{scope="default",state="dead"}') // 0) == 2 }, 20), 'a 500 past UpkeepJournalRetry is dead');
cmp_ok(scalar(got_for($never)), '>=', 2, '... after being retried');
($rc, $out) = ctl('journal');
like($out, qr/^\Q$never\E\s+default\s+dead\s+\S+\s+\d+\s+500\s/m, 'upkeepctl journal: dead, last 500');

# --- Upkeep-Journal-Id and -Received come from the replay only: it proves
# itself with the key in STATE_DIR/journal/replay.key
my ($key) = slurp_lines(state_dir() . '/journal/replay.key');
like($key // '', qr/^[0-9a-f]{32}$/, 'the replay key');
is(sprintf('%o', (stat state_dir() . '/journal/replay.key')[2] & 07777), '600', '... 0600');
unlink $Log;
$r = post('/cgi-bin/other.cgi?forged=1', 'x=1', ['Upkeep-Journal-Id', 'forged'], ['Upkeep-Journal-Received', 'then'], ['Upkeep-Journal-Token', 'f' x 32]);
is($r->{status}, 200, 'normal: a client that sends the journal headers is served');
my ($fg) = got();
ok($fg && !grep({ /^HTTP_UPKEEP_JOURNAL/ } keys %{ $fg->{headers} }), '... and they do not reach the app');
$r = post('/cgi-bin/other.cgi?keyed=1', 'x=1', ['Upkeep-Journal-Id', 'mine'], ['Upkeep-Journal-Token', $key]);
($fg) = grep { $_->{uri} =~ /keyed/ } got();
is($fg->{headers}{HTTP_UPKEEP_JOURNAL_ID}, 'mine', 'with the key, Upkeep-Journal-Id reaches the app');
ok(!exists $fg->{headers}{HTTP_UPKEEP_JOURNAL_TOKEN}, '... the key does not');
ctl('maintenance');
$r = post('/cgi-bin/hook.cgi', 'x=1', ['Upkeep-Journal-Id', 'replayed'], ['Upkeep-Journal-Token', $key]);
is($r->{status}, 503, 'a replay that meets maintenance again is refused (to be retried), never journaled twice');
$r = post('/cgi-bin/hook.cgi?forged=2', 'x=1', ['Upkeep-Journal-Id', 'forged']);
is($r->{status}, 202, 'a client that sends Upkeep-Journal-Id without the key is journaled as any other');
my $fid = $r->{headers}{'upkeep-journal-id'};
ctl('normal');
ok(wait_until(sub { got_for($fid) }, 15), '... and replayed under its own id');

# --- the journal survives graceful and hard restarts
unlink $Log;
ctl('maintenance');
my $kept = post('/cgi-bin/hook.cgi?restart=1', 'k=1')->{headers}{'upkeep-journal-id'};
restart_server('graceful');
restart_server('hard');
restart_server('stop_start');
ctl('normal');
ok(wait_until(sub { got_for($kept) }, 15), 'an entry survives graceful, hard and stop/start restarts');
sleep 1;
is(scalar(got_for($kept)), 1, '... and is replayed once');

# --- kill -9 while an entry is being replayed: it is sent again (its
# answer was lost), and the app applies it once
unlink $Log;
ctl('maintenance');
my $slow = post('/cgi-bin/hook.cgi?slow=1', 's=1')->{headers}{'upkeep-journal-id'};
my $next = post('/cgi-bin/hook.cgi?next=1', 'n=1')->{headers}{'upkeep-journal-id'};
ctl('normal');
ok(wait_until(sub { -s "$Dir/slow-started" }, 15), 'the replay of a slow entry started');
restart_server('kill9');
ok(wait_until(sub { got_for($next) }, 20), 'after kill -9 mid-replay, the replay goes on');
is_deeply([slurp_lines("$Dir/slow-started")], [$slow, $slow], '... the entry whose answer was lost is sent again, with the same id');
is(scalar(got_for($slow)), 1, '... and the app finished it once');
is_deeply([map { $_->{headers}{HTTP_UPKEEP_JOURNAL_ID} } got()], [$slow, $next], '... before the next one');

# --- kill -9 of the children only, mid-replay: new children take the
# replay up again where it stood; the app may get the entry whose answer
# was lost twice, always under the same id, and the next one after it
unlink $Log, "$Dir/slow-started";
ctl('maintenance');
$slow = post('/cgi-bin/hook.cgi?slow=1', 's=2')->{headers}{'upkeep-journal-id'};
$next = post('/cgi-bin/hook.cgi?next=2', 'n=2')->{headers}{'upkeep-journal-id'};
ctl('normal');
ok(wait_until(sub { -s "$Dir/slow-started" }, 15), 'the replay of another slow entry started');
kill_children();
ok(wait_until(sub { got_for($next) }, 20), 'after kill -9 of the children mid-replay, the replay goes on');
my @replayed_ids = map { $_->{headers}{HTTP_UPKEEP_JOURNAL_ID} } got();
cmp_ok(scalar(grep { $_ eq $slow } @replayed_ids), '>=', 1, '... the slow entry was applied');
is_deeply([grep { $_ ne $slow } @replayed_ids], [$next], '... the next one once');
ok((grep { $replayed_ids[$_] eq $slow } 0 .. $#replayed_ids) && $replayed_ids[-1] eq $next, '... after the slow one');

# --- readonly journals too
unlink $Log;
ctl('readonly');
$r = post('/cgi-bin/hook.cgi?ro=1', 'x=1');
is($r->{status}, 202, 'readonly: a journaled POST gets 202');
ctl('normal');
ok(wait_until(sub { grep { $_->{uri} =~ /ro=1/ } got() }, 15), '... and is replayed');

# --- a torn entry (a crash mid-append) is skipped; one at the end dropped
unlink $Log;
ctl('maintenance');
my $before = post('/cgi-bin/hook.cgi?torn=before', 'b=1')->{headers}{'upkeep-journal-id'};
my $jfile = state_dir() . '/journal/default.journal';
my ($token) = (slurp_lines($jfile))[0] =~ /^upkeep-journal 1 (\w+)$/;
ok($token, 'the journal starts with its header and token');
sub append_raw { open my $f, '>>', $jfile or die "$jfile: $!"; print $f $_[0]; close $f }
append_raw("\nUPKJ $token 0000000000000-dead 500 00000000\nM POST\nU /cgi-bin/hook.cgi?torn=torn\n");
my $mid = post('/cgi-bin/hook.cgi?torn=after', 'a=1')->{headers}{'upkeep-journal-id'};
append_raw("\nUPKJ $token 0000000000001-badc 10 00000000\nM POST\nU /\n");
my $off = error_log_offset();
ctl('normal');
ok(wait_until(sub { got_for($mid) }, 15), 'the entry after a torn one is replayed');
sleep 1;
is_deeply([map { $_->{uri} } got()], ['/cgi-bin/hook.cgi?torn=before', '/cgi-bin/hook.cgi?torn=after'], '... the torn and the corrupt ones never are');
like(error_log_since($off), qr/UPK0131: .* skipped \d+ bytes of a torn entry/, '... skipped inside the file (UPK0131)');
like(error_log_since($off), qr/UPK0130: .* dropped \d+ bytes of a torn entry at its end/, '... dropped at its end (UPK0130)');

# --- an entry that passes its CRC but could not be sent as it stands (an
# edited file: a line break in its URI) is kept as dead, never sent
unlink $Log;
ctl('maintenance');
my $first = post('/cgi-bin/hook.cgi?edited=before', 'b=1')->{headers}{'upkeep-journal-id'};
($token) = (slurp_lines($jfile))[0] =~ /^upkeep-journal 1 (\w+)$/;
my $edited = "R 1\nM POST\nU /cgi-bin/hook.cgi?edited=1 HTTP/1.1\r\nX-Smuggled: 1\nA 127.0.0.1 " . port() . " 0\n\n";
append_raw(sprintf "\nUPKJ %s 0000000000002-ed %d %08x\n%s", $token, length $edited,
                   Compress::Zlib::crc32($edited), $edited);
my $last = post('/cgi-bin/hook.cgi?edited=after', 'a=1')->{headers}{'upkeep-journal-id'};
$off = error_log_offset();
ctl('normal');
ok(wait_until(sub { got_for($last) }, 15), 'the entries around an edited one are replayed');
is_deeply([map { $_->{uri} } got()], ['/cgi-bin/hook.cgi?edited=before', '/cgi-bin/hook.cgi?edited=after'],
          '... the edited one is never sent');
like(error_log_since($off), qr/UPK0132: journal of scope 'default': entry 0000000000002-ed does not parse; kept as dead/,
     '... it is kept as dead (UPK0132)');
like((ctl('journal'))[2], qr/warning: entry 0000000000002-ed of scope 'default' does not parse/,
     '... upkeepctl journal names it');
($rc, $out, $err) = ctl('journal', 'drop', '0000000000002-ed');
is($rc, 0, '... and journal drop removes it') or diag("$out$err");

# --- hold: a write that would time out is journaled instead
unlink $Log;
ctl('hold');
my $t0 = time;
$r = post('/cgi-bin/hold.cgi?held=1', 'x=1');
is($r->{status}, 202, 'hold: a journaled write that times out (UpkeepHoldMax 300ms) gets 202');
cmp_ok(time - $t0, '>=', 0.25, '... after waiting its hold max');
$r = post('/cgi-bin/other.cgi', 'x=1', ['Connection', 'close']);
ctl('normal');
ok(wait_until(sub { grep { $_->{uri} =~ /held=1/ } got() }, 15), '... and is replayed');

# --- no overtaking: in normal mode, while entries wait for their replay,
# a write under a journaled prefix is journaled behind them (202); other
# writes go straight to the app; once the journal is drained, so do these
unlink $Log;
ctl('maintenance');
my $older = post('/cgi-bin/hook.cgi?fail=2&o=1', 'o=1')->{headers}{'upkeep-journal-id'};
ok($older, 'an entry the app will fail twice (500) is journaled');
ctl('normal');
$r = post('/cgi-bin/hook.cgi?o=2', 'o=2');
is($r->{status}, 202, 'normal, the journal not yet replayed: a POST under the prefix is journaled behind it (202)');
my $behind = $r->{headers}{'upkeep-journal-id'} // '';
ok($behind, '... with its id');
$r = post('/cgi-bin/other.cgi?o=x', 'o=x');
is($r->{status}, 200, '... a POST outside the journaled prefixes goes straight to the app (200)');
ok(wait_until(sub { got_for($behind) }, 20), 'the one journaled in normal mode is replayed');
is_deeply([map { $_->{uri} } grep { ($_->{headers}{HTTP_UPKEEP_JOURNAL_ID} // '') ne '' } got()],
          ['/cgi-bin/hook.cgi?fail=2&o=1', '/cgi-bin/hook.cgi?fail=2&o=1', '/cgi-bin/hook.cgi?fail=2&o=1', '/cgi-bin/hook.cgi?o=2'],
          '... after the older one (tried three times), never before it');
ok(wait_until(sub { (metric('upkeep_journal_entries{scope="default",state="pending"}') // 1) == 0 }, 10), 'nothing pending');
sleep 0.5;
$r = post('/cgi-bin/hook.cgi?o=3', 'o=3');
is($r->{status}, 200, 'the journal drained: a POST under the prefix goes straight to the app again (200)');
ok(!$r->{headers}{'upkeep-journal-id'}, '... without a journal id');

# --- where the replay stands (SCOPE.jstate) does not parse: the replay
# waits, says why once, and goes on where it was once the file is fixed
unlink $Log;
ctl('maintenance');
my $jid = post('/cgi-bin/hook.cgi?jstate=1', 'j=1')->{headers}{'upkeep-journal-id'};
ok($jid, 'journaled with a damaged replay state ahead');
my $jstate = "$jdir/default.jstate";
my $jstate_ok = do { local $/; open my $f, "<", $jstate or die "$jstate: $!"; <$f> };
(my $broken = $jstate_ok) =~ s/^cursor \d+$/cursor 12abc/m;
{ open my $f, '>', $jstate or die; print $f $broken; close $f }
$off = error_log_offset();
ctl('normal');
sleep 3;
is(scalar(got_for($jid)), 0, 'a replay state that does not parse: nothing is replayed');
my @why = error_log_since($off) =~ /(UPK0119: .*)/g;
is(scalar(@why), 1, '... said once (UPK0119)');
like($why[0] // '', qr/scope 'default' waits: journal\/default\.jstate line \d+: cursor is not a number/, '... naming the file, the line and the field');
($rc, $out, $err) = ctl('journal');
like($err, qr/warning: .*default\.jstate: line \d+: cursor is not a number.*waits until it is fixed or removed/, 'upkeepctl journal warns the same');
{ open my $f, '>', $jstate or die; print $f $jstate_ok; close $f }
ok(wait_until(sub { got_for($jid) }, 10), 'fixed: the entry is replayed');
is(scalar(grep { $_->{uri} !~ /jstate=1/ } got()), 0, '... and nothing replayed before it again');

# --- upkeepctl journal retry|drop: a dead entry is sent again (first),
# or dropped for good; only dead entries, usage errors exit 2
unlink $Log;
my $dead_before = metric('upkeep_journal_entries{scope="default",state="dead"}') // 0;
cmp_ok($dead_before, '>=', 2, "dead entries from above ($dead_before)");
($rc, $out, $err) = ctl('journal', 'retry');
is($rc, 2, 'journal retry without an ID or --dead: usage error (exit 2)');
like($err, qr/journal retry needs an ID or --dead/, '... saying so');
($rc, $out, $err) = ctl('journal', 'drop', 'nope');
is($rc, 1, 'journal drop of an unknown id: exit 1');
like($err, qr/no dead journal entry nope/, '... naming it');
($rc, $out, $err) = ctl('journal', 'retry', $dead);
is($rc, 0, 'journal retry ID') or diag("$out$err");
like($out, qr/entry \Q$dead\E: dead -> pending/, '... says it is pending again');
ok(wait_until(sub { got_for($dead) }, 10), '... and the app gets it again, with its id');
ok(wait_until(sub { (metric('upkeep_journal_entries{scope="default",state="dead"}') // 0) == $dead_before }, 10),
   '... where it is refused again (400): dead again');
($rc, $out, $err) = ctl('journal', 'drop', '--dead');
is($rc, 0, 'journal drop --dead') or diag("$out$err");
is(scalar(() = $out =~ /: dead -> dropped$/mg), $dead_before, '... drops each dead entry, one line each');
($rc, $out) = ctl('journal');
unlike($out, qr/\sdead\s/, 'upkeepctl journal: no dead entry left');
ok(wait_until(sub { (metric('upkeep_journal_entries{scope="default",state="dead"}') // 1) == 0 }, 5), 'metrics: 0 dead');
($rc, $out, $err) = ctl('journal', 'drop', '--dead');
is($rc, 0, 'journal drop --dead with none: exit 0');
like($out, qr/no dead journal entry/, '... saying there is none');

# --- UpkeepJournalConcurrency 4: up to four entries replayed at once
start_server(<<'EOF');
UpkeepJournal /cgi-bin/hook.cgi
UpkeepJournalConcurrency 4
EOF
write_cgi('hook.cgi', $Cgi);
unlink $Log, "$Dir/slow-started";
ctl('maintenance');
my @cc = map { post("/cgi-bin/hook.cgi?slow=1&n=$_", "n=$_")->{headers}{'upkeep-journal-id'} } 1 .. 8;
is(scalar(grep { $_ } @cc), 8, 'UpkeepJournalConcurrency 4: eight slow entries journaled');
ctl('normal');
my $most = 0;
wait_until(sub {
    my $started = () = slurp_lines("$Dir/slow-started");
    my $done = () = got();
    $most = $started - $done if $started - $done > $most;
    $done >= 8;
}, 30);
is(scalar(got()), 8, '... all eight replayed');
is_deeply([sort map { $_->{headers}{HTTP_UPKEEP_JOURNAL_ID} } got()], [sort @cc], '... each once');
cmp_ok($most, '>', 1, "... several at once ($most)");
cmp_ok($most, '<=', 4, '... never more than four');

# --- bad directives
ok(!eval { start_server("UpkeepJournal /\n"); 1 }, 'UpkeepJournal /: httpd does not start');
like($@ // '', qr/UpkeepJournal: '\/' would journal every write/, '... and says why');
ok(!eval { start_server("UpkeepJournalBodyMax 1X\n"); 1 }, 'UpkeepJournalBodyMax 1X: httpd does not start');
like($@ // '', qr/UpkeepJournalBodyMax '1X': must be a size/, '... and says why');
for my $bad ('0', '65', 'many') {
    ok(!eval { start_server("UpkeepJournalConcurrency $bad\n"); 1 }, "UpkeepJournalConcurrency $bad: httpd does not start");
    like($@ // '', qr/UpkeepJournalConcurrency '\Q$bad\E': must be a number between 1 and 64/, '... and says why');
}
done_testing();
