# The status handler (issue 4): SetHandler upkeep-status serves an HTML
# page, ?json and ?metrics (Prometheus text format 0.0.4) from shared
# memory: modes, drain, writes held and in flight, and per-scope counters
# that add up over every httpd child.  Only GET (and HEAD) are allowed.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use JSON::PP ();
use Time::HiRes qw(time sleep);

my $Mpm = $ENV{TEST_UPKEEP_MPM} || 'event';
my @Modes = qw(normal hold readonly maintenance);
my @Outcomes = qw(refused held released timed_out bypassed exempted);
# what can happen in which mode: nothing is refused or let through in
# normal, and only hold holds (the metrics leave the rest out)
sub possible { my ($o, $m) = @_; $m ne 'normal' && ($o !~ /^(held|released|timed_out)$/ || $m eq 'hold') }

my $Conf = <<'EOF';
<Location /upkeep-status>
    SetHandler upkeep-status
    Upkeep off
</Location>
UpkeepExempt /free
UpkeepHealthCheck /health
<Location /shop>
    UpkeepScope shop
</Location>
EOF

start_server($Conf);
for my $d (qw(free shop)) {
    mkdir servroot() . "/htdocs/$d";
    open my $fh, '>', servroot() . "/htdocs/$d/index.html" or die;
    print $fh "$d\n";
    close $fh;
}
write_cgi('slow.cgi', <<'EOF');
my $len = $ENV{CONTENT_LENGTH} || 0;
read STDIN, my $body, $len if $len;
sleep 2;
print "Content-Type: text/plain\r\n\r\nslow done\n";
EOF
ctl('--scope', $_, 'normal') for qw(default shop);

sub flip {
    my @a = @_;
    my ($rc, $out, $err) = ctl(@a);
    is($rc, 0, "upkeepctl @a exits 0") or diag("stdout: $out\nstderr: $err");
}
sub page {
    my ($query, $method) = @_;
    return http_get($method // 'GET', '/upkeep-status' . (defined $query ? "?$query" : ''), undef, undef, 5);
}
sub json_page {
    my $r = page('json');
    return eval { JSON::PP::decode_json($r->{body}) } // do { diag("bad JSON: $@\n" . ($r->{body} // $r->{error})); {} };
}
my @ScopeKeys = qw(scope mode layer set_mode reason since until expired retry_after hold_max_ms
                   refusal_status version changed_by next_window local cluster inflight_writes held);
sub scope_of { my ($j, $n) = @_; (grep { $_->{scope} eq $n } @{ $j->{scopes} || [] })[0] // {} }
# metrics -> { 'name{labels}' => value }, plus the HELP/TYPE lines seen
sub metrics {
    my $r = page('metrics');
    my (%v, %help, %type, @bad);
    for (split /\n/, $r->{body} // '') {
        if (/^# HELP (\w+) \S/)               { $help{$1} = 1 }
        elsif (/^# TYPE (\w+) (gauge|counter)$/) { $type{$1} = $2 }
        elsif (/^(\w+(?:\{[^}]*\})?) (-?\d+(?:\.\d+)?)$/) { $v{$1} = $2 }
        else                                   { push @bad, $_ }
    }
    return (\%v, \%help, \%type, \@bad, $r);
}
sub counters {    # {scope}{outcome}{mode} from the JSON page
    my $j = json_page();
    return { map { $_->{scope} => $_->{counters} } @{ $j->{scopes} || [] } };
}

# ------------------------------------------------------------------ HTML
{
    my $r = page();
    is($r->{status}, 200, 'HTML: 200');
    is($r->{headers}{'content-type'}, 'text/html; charset=utf-8', 'HTML: Content-Type');
    is($r->{headers}{'cache-control'}, 'no-store', 'HTML: Cache-Control: no-store');
    like($r->{body}, qr{<title>mod_upkeep status: [^<]+</title>}, 'HTML: title names the node');
    like($r->{body}, qr{<meta name="viewport" content="width=device-width,initial-scale=1">}, 'HTML: viewport meta (phones)');
    like($r->{body}, qr{<p class="meta">Node <b>[^<]+</b> &middot; as of <time datetime="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)">\1</time>}, 'HTML: node name and "as of" time');
    like($r->{body}, qr{<meta http-equiv="refresh" content="5">}, 'HTML: reloads itself every 5 s');
    like($r->{body}, qr{refreshes every 5 s \(<a href="\?refresh=0">stop</a>\)}, 'HTML: says so, with a link to stop');
    is($r->{headers}{vary}, 'Accept', 'HTML: Vary: Accept (JSON by Accept)');
    like($r->{body}, qr{<div class="scopes">.*</div>}s, 'HTML: the scopes');
    for my $s (qw(default shop)) {
        like($r->{body}, qr{<section><h2>$s <span class="badge">normal</span></h2>\n<dl><dt>layer</dt><dd>local</dd>}, "HTML: a card for scope $s, in normal mode");
    }
    my $r0 = page('refresh=0');
    unlike($r0->{body}, qr{http-equiv="refresh"}, '?refresh=0: no reload');
    like($r0->{body}, qr{does not refresh}, '?refresh=0: says so');
    like(page('refresh=30')->{body}, qr{<meta http-equiv="refresh" content="30">}, '?refresh=30: every 30 s');
    like(page('refresh=junk')->{body}, qr{<meta http-equiv="refresh" content="5">}, '?refresh=junk: the default');
    my $j = http_get('GET', '/upkeep-status', { Accept => 'application/json' }, undef, 5);
    is($j->{headers}{'content-type'}, 'application/json', 'Accept: application/json gets the JSON view');
    ok(eval { JSON::PP::decode_json($j->{body}) }, '... and it parses');
    is($j->{headers}{vary}, 'Accept', '... with Vary: Accept');
    my $b = http_get('GET', '/upkeep-status', { Accept => 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, undef, 5);
    is($b->{headers}{'content-type'}, 'text/html; charset=utf-8', "a browser's Accept gets HTML");
    my $jm = http_get('GET', '/upkeep-status?metrics', { Accept => 'application/json' }, undef, 5);
    like($jm->{headers}{'content-type'} // '', qr{^text/plain}, '?metrics wins over Accept');
    like($r->{body}, qr{href="\?json"}, 'HTML: links to ?json');
    like($r->{body}, qr{href="\?metrics"}, 'HTML: links to ?metrics');
    like($r->{body}, qr{Drain: <b>serving</b>}, 'HTML: not drained');
}

# ------------------------------------------------------------------ JSON
my $HoldLimit = $Mpm eq 'event' ? 8 : 5;    # a quarter of MaxRequestWorkers (32 / 20)
{
    my $r = page('json');
    is($r->{status}, 200, 'JSON: 200');
    is($r->{headers}{'content-type'}, 'application/json', 'JSON: Content-Type');
    is($r->{headers}{'cache-control'}, 'no-store', 'JSON: Cache-Control: no-store');
    my $j = eval { JSON::PP::decode_json($r->{body}) };
    ok($j, 'JSON: parses') or diag($@ . $r->{body});
    $j ||= {};
    is_deeply([sort keys %$j], [sort qw(schema node generated drained drained_since held hold_limit scopes)], 'JSON: top-level keys (no "sync" without UpkeepMemcached)');
    is($j->{schema}, 1, 'JSON: schema 1');
    like($j->{generated} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'JSON: generated is a UTC time');
    ok(length($j->{node} // ''), 'JSON: the node is named');
    ok(JSON::PP::is_bool($j->{drained}) && !$j->{drained}, 'JSON: "drained": false');
    is($j->{drained_since}, undef, 'JSON: "drained_since": null');
    is($j->{held}, 0, 'JSON: "held": 0');
    is($j->{hold_limit}, $HoldLimit, "JSON: hold_limit is a quarter of the worker slots ($HoldLimit under $Mpm)");
    is_deeply([sort map { $_->{scope} } @{ $j->{scopes} }], [qw(default shop)], 'JSON: every configured scope');
    for my $s (@{ $j->{scopes} }) {
        is_deeply([sort keys %$s], [sort @ScopeKeys, 'counters'], "JSON $s->{scope}: keys (upkeepctl status --json's, and the counters)");
        is($s->{mode}, 'normal', "JSON $s->{scope}: mode");
        is($s->{layer}, 'local', "JSON $s->{scope}: layer");
        for my $l (qw(local cluster)) {
            is_deeply([sort keys %{ $s->{$l} }], [sort qw(mode set_mode pending reason since starts until retry_after version changed_by)], "JSON $s->{scope}: $l keys");
        }
        is($s->{inflight_writes}, 0, "JSON $s->{scope}: inflight_writes 0");
        is($s->{held}, 0, "JSON $s->{scope}: held 0");
        is_deeply([sort keys %{ $s->{counters} }], [sort @Outcomes], "JSON $s->{scope}: counters by outcome");
        ok(!grep({ join(',', sort keys %{ $s->{counters}{$_} }) ne join(',', sort @Modes) } @Outcomes),
           "JSON $s->{scope}: each outcome by mode");
    }
}

# ------------------------------------------------------------------ one JSON
# The status page and upkeepctl status --json render the same per-scope
# object (one function of the core).
{
    my ($rc, $out) = ctl('status', '--json', '--scope', 'shop');
    my $c = eval { JSON::PP::decode_json($out) } || {};
    my $cs = $c->{scopes}[0] || {};
    is_deeply([sort keys %$cs], [sort @ScopeKeys, 'live'], 'upkeepctl status --json: the same scope keys as the status page (and live)');
    is($c->{schema}, 1, 'upkeepctl status --json: schema 1');
    my $p = eval { JSON::PP::decode_json(http_get('GET', '/upkeep-status?json')->{body}) } || {};
    my ($ps) = grep { $_->{scope} eq 'shop' } @{ $p->{scopes} || [] };
    delete $ps->{counters} if $ps;    # the page's own: what this process counted
    delete $cs->{live};               # upkeepctl's own: the files against the slot
    is_deeply($cs, $ps, 'the page and upkeepctl agree on every field of a scope');
}

# ------------------------------------------------------------------ metrics
{
    my ($v, $help, $type, $bad, $r) = metrics();
    is($r->{status}, 200, 'metrics: 200');
    like($r->{headers}{'content-type'} // '', qr{^text/plain; version=0\.0\.4(;|$)}, 'metrics: Content-Type text/plain; version=0.0.4');
    is_deeply($bad, [], 'metrics: every line is a HELP, a TYPE or a sample');
    my %fam = (upkeep_mode => 'gauge', upkeep_requests_total => 'counter', upkeep_inflight_writes => 'gauge',
               upkeep_held_writes => 'gauge', upkeep_drained => 'gauge', upkeep_hold_limit => 'gauge',
               upkeep_build_info => 'gauge', upkeep_mode_since_timestamp_seconds => 'gauge',
               upkeep_mode_until_timestamp_seconds => 'gauge');
    for (sort keys %fam) {
        ok($help->{$_}, "metrics: HELP $_");
        is($type->{$_}, $fam{$_}, "metrics: TYPE $_ $fam{$_}");
    }
    for my $s (qw(default shop)) {
        is_deeply([map { $v->{qq{upkeep_mode{scope="$s",mode="$_"}}} } @Modes], [1, 0, 0, 0], "metrics: upkeep_mode of $s: normal 1, others 0");
        my @missing = grep { !defined $v->{$_} }
            map { my $m = $_; map { qq{upkeep_requests_total{scope="$s",mode="$m",outcome="$_"}} } grep { possible($_, $m) } @Outcomes } @Modes;
        is_deeply(\@missing, [], "metrics: upkeep_requests_total of $s for every mode and outcome that can occur");
        my @extra = grep { defined $v->{$_} }
            map { my $m = $_; map { qq{upkeep_requests_total{scope="$s",mode="$m",outcome="$_"}} } grep { !possible($_, $m) } @Outcomes } @Modes;
        is_deeply(\@extra, [], "metrics: none of $s that cannot occur (mode=\"normal\", held outside hold)");
        ok(!defined $v->{qq{upkeep_mode_until_timestamp_seconds{scope="$s"}}}, "metrics: no until timestamp of $s without an end");
        is($v->{qq{upkeep_inflight_writes{scope="$s"}}}, 0, "metrics: upkeep_inflight_writes of $s");
        is($v->{qq{upkeep_held_writes{scope="$s"}}}, 0, "metrics: upkeep_held_writes of $s");
    }
    is($v->{upkeep_drained}, 0, 'metrics: upkeep_drained 0');
    is($v->{upkeep_hold_limit}, $HoldLimit, "metrics: upkeep_hold_limit $HoldLimit");
    my ($bi) = grep { /^upkeep_build_info\{version="[^"]+"\}$/ } keys %$v;
    ok($bi && $v->{$bi} == 1, 'metrics: upkeep_build_info{version=...} 1') or diag(join ' ', sort keys %$v);
    ok(!grep({ /^upkeep_sync/ } keys %$v), 'metrics: no upkeep_sync_* without UpkeepMemcached');
}

# ------------------------------------------------------------------ every mode; methods
for my $mode (@Modes) {
    flip($mode, $mode eq 'normal' ? () : ('--reason', "in $mode"));
    my $reason = $mode eq 'normal' ? '' : "in $mode";
    my $h = page();
    is($h->{status}, 200, "$mode: the HTML page is served (Upkeep off)");
    my ($cls, $shown) = $mode eq 'normal' ? ('', '-') : (' class="alert"', $reason);
    like($h->{body} // '', qr{<section$cls><h2>default <span class="badge">$mode</span></h2>\n<dl><dt>layer</dt><dd>local</dd><dt>local</dt><dd>$mode \(v\d+\)</dd><dt>cluster</dt><dd>normal \(v\d+\)</dd><dt>reason</dt><dd>$shown</dd>}, "$mode: the HTML card says so" . ($mode eq 'normal' ? '' : ' and stands out'));
    unlike($h->{body} // '', qr{Changes are paused|id="upkeep-banner"}, "$mode: no banner on the status page");
    if ($mode ne 'normal') {
        my ($v) = metrics();
        cmp_ok(abs(($v->{'upkeep_mode_since_timestamp_seconds{scope="default"}'} // 0) - time), '<', 60, "$mode: metrics: upkeep_mode_since_timestamp_seconds is now");
    }
    my $j = json_page();
    is(scope_of($j, 'default')->{mode}, $mode, "$mode: JSON mode");
    is(scope_of($j, 'default')->{local}{reason}, $reason, "$mode: JSON reason");
    is(scope_of($j, 'shop')->{mode}, 'normal', "$mode: scope shop is still normal");
    my ($v) = metrics();
    is_deeply([map { $v->{qq{upkeep_mode{scope="default",mode="$_"}}} } @Modes], [map { $_ eq $mode ? 1 : 0 } @Modes],
              "$mode: upkeep_mode is 1 for $mode only");
    for my $m (qw(POST PUT DELETE)) {
        my $r = http_get($m, '/upkeep-status?json', undef, 'x=1', 5);
        is($r->{status}, 405, "$mode: $m to the status handler gets 405");
        # A 405 must list what is allowed (RFC 9110 15.5.6).
        like($r->{headers}{allow} // '', qr/\bGET\b/, "$mode: $m: Allow names GET") if $mode eq 'normal' && $m eq 'POST';
    }
    my $hd = http_get('HEAD', '/upkeep-status?json', undef, undef, 5);
    is($hd->{status}, 200, "$mode: HEAD gets 200");
}
{
    flip('readonly', '--reason', q{say "hi" \ <b>});
    is(scope_of(json_page(), 'default')->{local}{reason}, q{say "hi" \ <b>}, 'JSON: quotes and backslashes of the reason survive');
    like(page()->{body}, qr{say &quot;hi&quot; \\ &lt;b&gt;}, 'HTML: the reason is escaped');
    flip('normal');
}

# ------------------------------------------------------------------ counters
{
    my $before = counters();
    my %want;    # "scope outcome mode" => delta
    my $send = sub {
        my ($n, $method, $path, $expect, $key) = @_;
        my @st = map { my $r = http_get($method, $path, undef, $method eq 'GET' ? undef : 'a=1', 15); $r->{status} // $r->{error} } 1 .. $n;
        is_deeply(\@st, [($expect) x $n], "$n x $method $path: $expect");
        $want{$key} += $n if $key;
    };
    my $access_off = -s servroot() . '/logs/access.log';
    flip('readonly');
    $send->(3, 'POST', '/', 503, 'default refused readonly');
    $send->(2, 'POST', '/free/', 200, 'default exempted readonly');
    $send->(2, 'GET', '/', 200);                                    # safe: nothing counted
    flip('maintenance');
    $send->(2, 'GET', '/', 503, 'default refused maintenance');
    $send->(1, 'GET', '/free/', 200, 'default exempted maintenance');
    flip('--scope', 'shop', 'readonly');
    $send->(1, 'POST', '/shop/', 503, 'shop refused readonly');
    flip('--scope', 'shop', 'normal');
    flip('normal');
    $send->(2, 'POST', '/', 200);                                   # normal: nothing counted
    # hold: one released, one timed out
    flip('hold');
    my @r = (start_req(method => 'POST', path => '/', body => 'a=1'));
    ok(wait_until(sub { (scope_json(status_json()) // {})->{held} == 1 }, 10, \@r), 'a write is held');
    {
        my $j = json_page();
        is($j->{held}, 1, 'JSON: "held": 1 at the top level');
        is(scope_of($j, 'default')->{held}, 1, 'JSON: "held": 1 in scope default');
        my ($v) = metrics();
        is($v->{'upkeep_held_writes{scope="default"}'}, 1, 'metrics: upkeep_held_writes 1');
        like(page()->{body}, qr{Writes held now: 1 \(limit $HoldLimit\)}, 'HTML: 1 held, and the limit');
    }
    flip('normal');
    pump(\@r, 5);
    is(response_of($r[0])->{status}, 200, 'released: 200');
    $want{'default held hold'}++;
    $want{'default released hold'}++;
    flip('hold', '--max', '200ms');
    my $t0 = time;
    $send->(1, 'POST', '/free/', 200, 'default exempted hold');    # exempt: not held
    cmp_ok(time - $t0, '<', 1, 'an exempt write passes a hold at once');
    $send->(1, 'POST', '/', 503, 'default timed_out hold');
    $want{'default held hold'}++;       # it did start waiting
    $want{'default refused hold'}++;    # and got the 503 of hold
    flip('normal');

    my $after = counters();
    my (@diff, @ok);
    for my $s (qw(default shop)) {
        for my $o (@Outcomes) {
            for my $m (@Modes) {
                my $d = ($after->{$s}{$o}{$m} // -1e9) - ($before->{$s}{$o}{$m} // 0);
                my $w = $want{"$s $o $m"} // 0;
                push @diff, "$s $o $m: +$d, want +$w" if $d != $w;
            }
        }
    }
    is_deeply(\@diff, [], 'every counter moved by exactly what was sent (all children, both scopes)')
        or diag(join "\n", @diff);
    # the same numbers in the metrics and the HTML
    my ($v) = metrics();
    my @mism;
    for my $s (qw(default shop)) {
        for my $o (@Outcomes) {
            for my $m (grep { possible($o, $_) } @Modes) {
                my $k = qq{upkeep_requests_total{scope="$s",mode="$m",outcome="$o"}};
                push @mism, "$k: $v->{$k} vs JSON $after->{$s}{$o}{$m}" if ($v->{$k} // -1) != $after->{$s}{$o}{$m};
            }
        }
    }
    is_deeply(\@mism, [], 'metrics upkeep_requests_total equals the JSON counters');
    my $html = page()->{body};
    my $ref = 0; $ref += $after->{default}{refused}{$_} for @Modes;
    my $exm = 0; $exm += $after->{default}{exempted}{$_} for @Modes;
    my $byp = 0; $byp += $after->{default}{bypassed}{$_} for @Modes;
    like($html, qr{<h2>default .*?<dt>refused</dt><dd>$ref</dd><dt>exempted</dt><dd>$exm</dd><dt>bypassed</dt><dd>$byp</dd>}s, "HTML: refused $ref, exempted $exm and bypassed $byp of scope default");
    if ($Mpm eq 'prefork') {
        open my $fh, '<', servroot() . '/logs/access.log' or die;
        seek $fh, $access_off, 0;
        my %pids = map { /pid=(\d+)/ ? ($1 => 1) : () } <$fh>;
        cmp_ok(scalar keys %pids, '>=', 2, 'those requests were served by ' . scalar(keys %pids) . ' prefork children');
    }
}

# ------------------------------------------------------------------ in flight
{
    my @r = (start_req(method => 'POST', path => '/cgi-bin/slow.cgi', body => 'a=1'));
    ok(wait_until(sub { scope_of(json_page(), 'default')->{inflight_writes} == 1 }, 5, \@r), 'JSON: inflight_writes 1 while a slow write runs');
    my ($v) = metrics();
    is($v->{'upkeep_inflight_writes{scope="default"}'}, 1, 'metrics: upkeep_inflight_writes 1');
    like(page()->{body}, qr{<h2>default .*?<dt>writes in flight</dt><dd>1</dd><dt>held</dt><dd>0</dd>}s, 'HTML: 1 write in flight, 0 held');
    pump(\@r, 5);
    ok(wait_until(sub { scope_of(json_page(), 'default')->{inflight_writes} == 0 }, 3), 'JSON: back to 0 when it is done');
}

# ------------------------------------------------------------------ drain
{
    flip('drain');
    my $j = json_page();
    ok(JSON::PP::is_bool($j->{drained}) && $j->{drained}, 'drained: JSON "drained": true');
    like($j->{drained_since} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'drained: JSON "drained_since" is an ISO time');
    my ($v) = metrics();
    is($v->{upkeep_drained}, 1, 'drained: upkeep_drained 1');
    like(page()->{body}, qr{<p class="node alert">Drain: <b>drained since <time datetime="[^"]+">[^<]+</time></b>}, 'drained: the HTML says so, and it stands out');
    flip('undrain');
    $j = json_page();
    ok(JSON::PP::is_bool($j->{drained}) && !$j->{drained}, 'undrained: "drained": false');
    is($j->{drained_since}, undef, 'undrained: "drained_since": null');
    ($v) = metrics();
    is($v->{upkeep_drained}, 0, 'undrained: upkeep_drained 0');
}

# ------------------------------------------------------------------ with UpkeepMemcached
SKIP: {
    skip 'no memcached', 29 unless -x '/usr/bin/memcached';
    my $mport = start_memcached();    # the harness's child, stopped at END
    start_server({ config => $Conf, main_config => "UpkeepMemcached 127.0.0.1:$mport\nUpkeepSyncInterval 200ms\n",
                   server_config => "UpkeepHoldLimit 3\n" });
    my $j;
    ok(wait_until(sub { $j = json_page(); $j->{sync} && $j->{sync}{last_ok} }, 5), 'cluster: JSON "sync" has a last good poll');
    is_deeply([sort keys %{ $j->{sync} || {} }], [qw(age failing failing_servers last_ok)], 'cluster: sync keys');
    is_deeply($j->{sync}{failing_servers}, [], 'cluster: "failing_servers": [] (none)');
    ok(JSON::PP::is_bool($j->{sync}{failing}) && !$j->{sync}{failing}, 'cluster: "failing": false');
    cmp_ok($j->{sync}{age} // -1, '>=', 0, 'cluster: "age" >= 0');
    cmp_ok($j->{sync}{age} // 99, '<=', 2, 'cluster: "age" is small');
    is($j->{hold_limit}, 3, 'UpkeepHoldLimit 3: "hold_limit": 3');
    my ($v, $help, $type) = metrics();
    cmp_ok($v->{upkeep_sync_age_seconds} // -1, '>=', 0, 'cluster: upkeep_sync_age_seconds');
    my $failing = "upkeep_sync_failing{server=\"127.0.0.1:$mport\"}";
    is($v->{$failing}, 0, "cluster: $failing 0");
    is($v->{upkeep_sync_lost}, 0, 'cluster: upkeep_sync_lost 0');
    is($type->{$_}, 'gauge', "cluster: TYPE $_ gauge") for qw(upkeep_sync_age_seconds upkeep_sync_failing upkeep_sync_lost);
    ok($help->{$_}, "cluster: HELP $_") for qw(upkeep_sync_age_seconds upkeep_sync_failing upkeep_sync_lost);
    like(page()->{body}, qr{Cluster sync: last good poll \d+ s ago\.}, 'cluster: the HTML shows the sync');

    my ($rc, $out, $err) = ctl('--cluster', 'readonly', '--reason', 'cluster-wide');
    is($rc, 0, 'upkeepctl --cluster readonly exits 0') or diag("$out$err");
    ok(wait_until(sub { scope_of(json_page(), 'default')->{mode} eq 'readonly' }, 3), 'cluster: JSON mode readonly');
    $j = json_page();
    is(scope_of($j, 'default')->{layer}, 'cluster', 'cluster: JSON layer "cluster"');
    is(scope_of($j, 'default')->{cluster}{mode}, 'readonly', 'cluster: JSON cluster.mode');
    is(scope_of($j, 'default')->{local}{mode}, 'normal', 'cluster: JSON local.mode');
    ctl('--cluster', 'normal');

    stop_memcached($mport);
    ok(wait_until(sub { my ($v) = metrics(); ($v->{$failing} // 0) == 1 }, 5), "cluster: memcached gone: $failing 1");
    ok(wait_until(sub { my ($v) = metrics(); ($v->{upkeep_sync_lost} // 0) == 1 }, 5), 'cluster: memcached gone: upkeep_sync_lost 1');
    $j = json_page();
    ok($j->{sync}{failing}, 'cluster: JSON "failing": true');
    is_deeply($j->{sync}{failing_servers}, ["127.0.0.1:$mport"], 'cluster: JSON "failing_servers" names it');
    like(page()->{body}, qr{Cluster sync: [^<]*, no memcached server answers; failing: 127\.0\.0\.1:$mport\.}, 'cluster: the HTML names it');
    ($v) = metrics();
    cmp_ok($v->{upkeep_sync_age_seconds} // -1, '>=', 0, 'cluster: the age keeps counting from the last good poll');
}

# ------------------------------------------------------------------ each scope's own figures
# A virtual host whose scope it is sets its own Retry-After, hold max and
# refusal status: the page answered by the main server gives that scope
# the vhost's figures, as upkeepctl status --json does (from served.conf).
{
    stop_server();
    start_server({ config => $Conf . "UpkeepRetryAfter 30\nUpkeepHoldMax 10s\nUpkeepReadOnlyStatus 503\n",
                   main_config => <<'EOF' });
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName api.test
    DocumentRoot "$ServRoot/htdocs"
    UpkeepScope api
    UpkeepRetryAfter 90
    UpkeepHoldMax 3s
    UpkeepReadOnlyStatus 409
</VirtualHost>
EOF
    flip('--scope', 'api', 'readonly', '--reason', 'api upgrade');
    my $p = json_page();
    my $ps = scope_of($p, 'api') // {};
    is_deeply([@$ps{qw(retry_after hold_max_ms refusal_status)}], [90, 3000, 409],
              "page ?json (asked of the main server): scope api has its vhost's figures (90, 3000, 409)");
    is_deeply([@{ scope_of($p, 'default') // {} }{qw(retry_after hold_max_ms refusal_status)}], [30, 10000, undef],
              "... and scope default the main server's (30, 10000; in normal mode nothing is refused: null)");
    my ($rc, $out) = ctl('status', '--json');
    my $c = eval { JSON::PP::decode_json($out) } || {};
    for my $name (qw(api default)) {
        my ($cs) = grep { $_->{scope} eq $name } @{ $c->{scopes} || [] };
        my $ps = scope_of($p, $name) // {};
        delete $ps->{counters};
        delete $cs->{live} if $cs;
        is_deeply($cs, $ps, "scope $name: the page and upkeepctl status --json agree on every field");
    }
    my $r = http_get('POST', '/', { Host => 'api.test' }, 'x=1', 5);
    is($r->{status}, 409, 'and clients of api get 409 ...');
    is($r->{headers}{'retry-after'}, 90, '... with Retry-After: 90');
    flip('--scope', 'api', 'normal');
}

my $log = error_log_since(0);
unlike($log, qr/Segmentation fault|AddressSanitizer|runtime error:|exit signal|\[core:emerg\]/, 'error log has no crash or sanitizer report');
ok(server_alive(), 'apache2 parent still alive');
stop_server();
done_testing();
