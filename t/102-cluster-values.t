# Cluster values in memcached, one node: what the poller adopts, what it
# ignores (missing keys, stale versions, unsigned / forged / truncated /
# oversized / garbage values), what it writes back, and how ties between
# servers are broken.  Values are written straight into memcached, as a
# stale node or an attacker with access to memcached would.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempfile);
use Time::HiRes qw(time sleep);

my $INTERVAL = 0.2;
my $SECRET = 'values-secret-0123456789abcdefgh';
my ($sfh, $SECRET_FILE) = tempfile('upkeep-secret-XXXXXX', TMPDIR => 1, UNLINK => 1);
print $sfh "$SECRET\n";
close $sfh;
my $MC = memcached_port();
my $KEY = 'upkeep:default';

sub spec {
    my (%o) = @_;
    my $main = "UpkeepMemcached " . ($o{servers} // "127.0.0.1:$MC") . "\n"
        . "UpkeepSyncInterval " . ($o{interval} // '200ms') . "\n"
        . ($o{no_secret} ? '' : "UpkeepSecretFile $SECRET_FILE\n")
        . ($o{key} ? "UpkeepClusterKey $o{key}\n" : '')
        . ($o{timeout} ? "UpkeepMemcachedTimeout $o{timeout}\n" : '');
    return { main_config => $main, config => "<Location /app>\n    UpkeepScope app\n</Location>\n" };
}

# Stopped, state wiped, memcached emptied, started again.
sub fresh {
    my ($spec) = @_;
    $spec //= spec();
    start_server($spec);
    stop_server();
    remove_tree(servroot() . '/state');
    make_path(servroot() . '/htdocs/app');
    open my $fh, '>', servroot() . '/htdocs/app/index.html' or die $!;
    print $fh "app\n";
    close $fh;
    mc_cmd($_, 'flush_all') for @_[1 .. $#_], $MC;
    start_server($spec);
}

sub code { http_get('GET', $_[0] // '/')->{status} // 'no response' }

sub ctl_ok {
    my ($rc, $out, $err) = ctl(@_);
    is($rc, 0, "upkeepctl @_ exits 0") or diag("stdout: $out\nstderr: $err");
    return $out;
}

# "MODE (version N)" of the cluster layer of a scope.
sub cluster_layer {
    my ($scope) = @_;
    my (undef, $out) = ctl('--scope', $scope // 'default', 'status');
    return $out =~ /^  cluster:     (\w+ \(version \d+\))$/m ? $1 : "? $out";
}

sub count { my ($off, $re) = @_; scalar(() = error_log_since($off) =~ /$re/g) }

# The record fields of a value ("mode", "version", ...), undef if none.
sub fields {
    my ($v) = @_;
    return undef unless defined $v;
    return { map { /^(\S+) ?(.*)$/ ? ($1 => $2) : () } grep { !/^#/ } split /\n/, $v };
}

sub signed { cluster_value(secret => $SECRET, @_) }

my $crash_off = 0;
sub no_crash {
    my @bad = fatal_log_lines($crash_off);
    is(scalar(@bad), 0, "$_[0]: no crash in the error log") or diag(join "\n", @bad);
    $crash_off = error_log_offset();
}

# ------------------------------------------------------------ the harness signs like upkeepctl
fresh();
{
    ctl_ok('--cluster', 'maintenance', '--reason', 'signed by upkeepctl');
    my $stored = mc_get($MC, $KEY);
    my $f = fields($stored);
    is($stored, signed(mode => 'maintenance', version => 1, since => $f->{since},
                       changed_by => $f->{'changed-by'}, reason => 'signed by upkeepctl'),
       'the stored value is the record text + hmac-sha256 over "upkeep-cluster-value\n" PREFIX "\n" TEXT');
    like($stored, qr/\nhmac-sha256 [0-9a-f]{64}\n\z/, '... with 64 lowercase hex digits');

    my $off = error_log_offset();
    is(mc_set($MC, $KEY, signed(mode => 'normal', version => 2, reason => 'from another node')), 'STORED', 'a newer signed value');
    ok(wait_for(1, sub { code() == 200 }), 'a newer signed value is adopted');
    is(cluster_layer(), 'normal (version 2)', 'status: cluster layer version 2');
    ok(wait_for(1.5, sub { count($off, qr/UPK0019: scope 'default' is now in normal mode \(its cluster layer is now normal: version 2, set by test\@harness\)/) }),
       'UPK0019 names the version, the writer and the reason');
    sleep 2 * $INTERVAL;
    is(count($off, qr/UPK0022|UPK0025/), 0, 'no UPK0022, nothing to write back');
}

# ------------------------------------------------------------ a missing key is no news
for my $how ("delete $KEY", 'flush_all') {
    fresh();
    ctl_ok('--cluster', 'maintenance', '--reason', 'keep me');
    sleep 0.7;    # the transition is logged within 0.5s
    my $off = error_log_offset();
    like(mc_cmd($MC, $how), qr/^(DELETED|OK)\r\n$/, "$how");
    sleep 3 * $INTERVAL;
    is(code(), 503, "after $how: still in maintenance");
    is(cluster_layer(), 'maintenance (version 1)', "after $how: cluster layer unchanged");
    ok(wait_for(1, sub { my $f = fields(mc_get($MC, $KEY)); $f && $f->{mode} eq 'maintenance' && $f->{version} == 1 }),
       "after $how: the value is published again");
    like(mc_get($MC, $KEY), qr/^reason keep me\nhmac-sha256 [0-9a-f]{64}\n\z/m, '... signed, with its reason');
    like(error_log_since($off), qr/UPK0025: wrote version 1 of upkeep:default back to 127\.0\.0\.1:$MC/, '... and UPK0025 says so');
    is(count($off, qr/UPK0010|UPK0019|UPK0022/), 0, '... no transition, nothing invalid');
}

# ------------------------------------------------------------ a stale writer cannot roll back
fresh();
{
    ctl_ok('--cluster', 'normal');
    ctl_ok('--cluster', 'maintenance');
    ctl_ok('--cluster', 'maintenance', '--reason', 'v3');
    my $off = error_log_offset();
    is(mc_set($MC, $KEY, signed(mode => 'normal', version => 2)), 'STORED', 'a stale writer stores normal version 2');
    sleep 3 * $INTERVAL;
    is(code(), 503, 'the older version is ignored: still 503');
    is(cluster_layer(), 'maintenance (version 3)', 'cluster layer still version 3');
    ok(wait_for(1, sub { (fields(mc_get($MC, $KEY)) // {})->{version} == 3 }), 'version 3 is written back over it');
    is(count($off, qr/UPK0022/), 0, 'an older valid value is not logged as invalid');
    like(error_log_since($off), qr/UPK0025: wrote version 3 of upkeep:default back/, 'UPK0025 for the write-back');

    is(mc_set($MC, $KEY, signed(mode => 'normal', version => 3, since => 1, changed_by => 'old@node')), 'STORED',
       'a writer stores normal with the same version 3 but older content');
    sleep 3 * $INTERVAL;
    is(code(), 503, '... still 503');

    ctl_ok('--cluster', 'normal');
    is(mc_set($MC, $KEY, signed(mode => 'maintenance', version => 1)), 'STORED', 'a stale writer stores maintenance version 1');
    sleep 3 * $INTERVAL;
    is(code(), 200, 'a stale maintenance cannot take the site down');
}
no_crash('missing keys and stale writers');

# ------------------------------------------------------------ forged values
# [name, value for (mode, version), why in UPK0022]
my $other = 'another-secret-that-is-long-enough';
my @forged = (
    ['unsigned', sub { cluster_value(@_) }, qr/it is not signed$/],
    ['signed with another secret', sub { cluster_value(secret => $other, @_) },
        qr/it has a bad signature \(forged, truncated, or signed with another secret\)$/],
    ['a made-up signature', sub { my $v = signed(@_); $v =~ s/[0-9a-f]{64}\n\z/'0' x 64 . "\n"/e; $v },
        qr/it has a bad signature/],
    ['tampered after signing', sub {
        my %o = @_;
        my $v = signed(%o, mode => $o{mode} eq 'normal' ? 'maintenance' : 'normal');
        $v =~ s/^mode \w+$/mode $o{mode}/m;
        $v }, qr/it has a bad signature/],
    ['truncated', sub { substr(signed(@_), 0, -11) }, qr/it has a bad signature/],
    ['truncated before its signature', sub { (my $v = signed(@_)) =~ s/hmac-sha256 .*\n\z//; $v }, qr/it is not signed$/],
    ['5000 bytes', sub { signed(@_, reason => 'x' x 4900) }, qr/it is larger than 4096 bytes$/],
    ['garbage', sub { "hello\x00\xff world" }, qr/it is not signed$/],
    ['signed garbage', sub { my $t = "garbage\n"; $t . 'hmac-sha256 ' . hmac_sha256_hex("upkeep-cluster-value\nupkeep\n$t", $SECRET) . "\n" },
        qr/it .*unknown field 'garbage'/],
    ['signed for another scope', sub { signed(@_, scope => 'app') }, qr/it .*scope 'app' does not match/],
    ['signed for another key prefix', sub { signed(@_, prefix => 'other') }, qr/it has a bad signature/],
    ['signed, with an unknown mode', sub { my %o = @_; signed(%o, mode => 'panic') }, qr/it .*unknown mode 'panic'/],
    ['signed twice', sub { my $v = signed(@_); $v . ($v =~ /(hmac-sha256 \S+\n)\z/)[0] }, qr/it (has a bad signature|.*unknown field)/],
);

for my $dir (['would take the site down', 'normal', 200, 'maintenance'],
             ['would bring the site back up', 'maintenance', 503, 'normal']) {
    my ($what, $held, $want, $forged_mode) = @$dir;
    fresh();
    ctl_ok('--cluster', $held, $held eq 'normal' ? () : ('--reason', 'the real one'));
    sleep 0.7;
    my $version = 1;
    for my $f (@forged) {
        my ($name, $make, $why) = @$f;
        my $value = $make->(mode => $forged_mode, version => $version + 10, reason => 'forged');
        my $off = error_log_offset();
        is(mc_set($MC, $KEY, $value), 'STORED', "$what: $name ($forged_mode, version " . ($version + 10) . ") stored");
        sleep 4 * $INTERVAL;
        is(code(), $want, "$what: $name: ignored, the site still answers $want");
        is(cluster_layer(), "$held (version $version)", "$what: $name: cluster layer unchanged");
        my @lines = error_log_since($off) =~ /(UPK0022: .*)/g;
        is(scalar(@lines), 1, "$what: $name: logged once") or diag(join "\n", @lines);
        like($lines[0] // '', qr/UPK0022: ignoring the value of upkeep:default on 127\.0\.0\.1:$MC: $why/,
             "$what: $name: the log says why");
        my $back = fields(mc_get($MC, $KEY)) // {};
        ok(($back->{mode} // '') eq $held && ($back->{version} // 0) == $version, "$what: $name: overwritten with the real value");
        is(count($off, qr/UPK001[09]/), 0, "$what: $name: no transition logged");
    }
    no_crash("forged values that $what");
}

# ------------------------------------------------------------ the same forged value again and again
fresh();
{
    ctl_ok('--cluster', 'normal');
    my $value = cluster_value(mode => 'maintenance', version => 99);
    my $off = error_log_offset();
    for (1 .. 5) {
        mc_set($MC, $KEY, $value);
        sleep 3 * $INTERVAL;
    }
    is(code(), 200, 'an attacker who keeps writing the same unsigned value: still 200');
    is(count($off, qr/UPK0022/), 1, '... and the value is logged once, not on every write')
        or diag(join "\n", error_log_since($off) =~ /(UPK0022.*)/g);
}

# ------------------------------------------------------------ --cluster ignores invalid values when it picks the version
fresh();
{
    ctl_ok('--cluster', 'readonly');
    mc_set($MC, $KEY, cluster_value(mode => 'maintenance', version => 1000));
    my $out = ctl_ok('--cluster', 'normal');
    like($out, qr/^scope default: normal \(version 2, stored on 1 of 1 memcached servers\)$/,
         '--cluster does not bump above an unsigned version 1000');
    is((fields(mc_get($MC, $KEY)) // {})->{version}, 2, '... and overwrites it');

    mc_set($MC, $KEY, signed(mode => 'readonly', version => 50));
    $out = ctl_ok('--cluster', 'maintenance');
    like($out, qr/\(version 51, stored on 1 of 1 memcached servers\)$/, '--cluster bumps above a signed version 50');
}

# ------------------------------------------------------------ scopes are separate keys
fresh();
{
    mc_set($MC, 'upkeep:app', signed(scope => 'app', mode => 'maintenance', version => 1));
    ok(wait_for(1, sub { code('/app/') == 503 }), 'a signed value under upkeep:app takes /app/ down');
    is(code('/'), 200, '... not the default scope');
    is(cluster_layer('app'), 'maintenance (version 1)', 'status: app cluster layer');
    is(mc_get($MC, $KEY), undef, 'nothing was published for the default scope (no news)');
}

# ------------------------------------------------------------ two memcached servers
{
    my $mc2 = start_memcached();
    my $spec = spec(servers => "127.0.0.1:$MC,127.0.0.1:$mc2");
    fresh($spec, $mc2);
    my $out = ctl_ok('--cluster', 'maintenance');
    like($out, qr/stored on 2 of 2 memcached servers/, '--cluster stores on both servers');
    is(mc_get($mc2, $KEY), mc_get($MC, $KEY), 'both hold the same value');

    my $off = error_log_offset();
    mc_set($mc2, $KEY, signed(mode => 'normal', version => 5));
    ok(wait_for(1, sub { code() == 200 }), 'a newer value on the second server only is adopted');
    ok(wait_for(1, sub { ((fields(mc_get($MC, $KEY)) // {})->{version} // 0) == 5 }), '... and written to the first');
    like(error_log_since($off), qr/UPK0025: wrote version 5 of upkeep:default back to 127\.0\.0\.1:$MC/, '... UPK0025 names it');

    # equal versions, different content: every order picks the same one
    my $since = int time;
    my %win;
    for my $order (['maintenance', 'normal'], ['normal', 'maintenance']) {
        my $v = $order->[0] eq 'maintenance' ? 6 : 7;
        mc_set($MC, $KEY, signed(mode => $order->[0], version => $v, since => $since, changed_by => 'x@a'));
        mc_set($mc2, $KEY, signed(mode => $order->[1], version => $v, since => $since, changed_by => 'x@a'));
        sleep 4 * $INTERVAL;
        my ($a, $b) = (mc_get($MC, $KEY), mc_get($mc2, $KEY));
        is($a, $b, "tie at version $v ($order->[0] first): both servers end up with the same value");
        my $mode = (fields($a) // {})->{mode} // '?';
        is(cluster_layer(), "$mode (version $v)", "tie at version $v: the node holds that value");
        $win{$v} = $mode;
    }
    is($win{6}, $win{7}, "ties are broken by content, not by server order ($win{6} both times)");

    # one server stops: the other carries on, no UPK0021
    $off = error_log_offset();
    stop_memcached($mc2);
    $out = ctl_ok('--cluster', 'readonly');
    like($out, qr/stored on 1 of 2 memcached servers/, 'with one server down: stored on 1 of 2');
    sleep 3 * $INTERVAL;
    is(code('/index.html'), 200, 'readonly in force');
    is(count($off, qr/UPK0021/), 0, 'no UPK0021 while one server answers');

    # it comes back empty and is healed
    start_memcached($mc2);
    ok(wait_for(3, sub { ((fields(mc_get($mc2, $KEY)) // {})->{mode} // '') eq 'readonly' }), 'the server that came back empty is healed');
    stop_memcached($mc2);
    start_server(spec());
}
no_crash('two servers');

# ------------------------------------------------------------ --cluster status shows each server's value
{
    my $dead = free_port();
    my $spec = spec(servers => "127.0.0.1:$MC 127.0.0.1:$dead", interval => '1h');
    fresh($spec);
    my ($rc, $out) = ctl('--cluster', 'status');
    like($out, qr/^  memcached:   127\.0\.0\.1:$MC missing\n  memcached:   127\.0\.0\.1:$dead no answer$/m,
         '--cluster status: missing, no answer');
    like($out, qr/^cluster sync: no good poll yet$/m, 'status: no good poll yet');
    mc_set($MC, $KEY, cluster_value(mode => 'maintenance', version => 3));
    (undef, $out) = ctl('--cluster', 'status');
    like($out, qr/^  memcached:   127\.0\.0\.1:$MC invalid: it is not signed$/m, '--cluster status: invalid: it is not signed');
    mc_set($MC, $KEY, signed(mode => 'maintenance', version => 3, reason => 'x' x 5000));
    (undef, $out) = ctl('--cluster', 'status');
    like($out, qr/^  memcached:   127\.0\.0\.1:$MC invalid: it is larger than 4096 bytes$/m, '--cluster status: invalid: too large');
    mc_set($MC, $KEY, signed(mode => 'readonly', version => 3));
    (undef, $out) = ctl('--cluster', 'status');
    like($out, qr/^  memcached:   127\.0\.0\.1:$MC readonly \(version 3\)$/m, '--cluster status: a valid value');
    like($out, qr/^  cluster:     normal \(version 0\)$/m, '... which this node has not polled yet');
}

# ------------------------------------------------------------ memcached stopped: upkeepctl --cluster changes nothing
fresh();
{
    ctl_ok('--cluster', 'maintenance', '--reason', 'kept');
    my $read = sub { join '', map { my $f = servroot() . "/state/default.$_"; -e $f ? do { local (@ARGV, $/) = $f; <> } : '' } qw(state cluster) };
    my $before = $read->();
    stop_memcached($MC);
    my ($rc, $out, $err) = ctl('--cluster', 'normal');
    is($rc, 1, '--cluster normal with memcached stopped exits 1');
    like($err, qr/^upkeepctl: no memcached server answered; not changed$/m, '... no memcached server answered; not changed');
    is($out, '', '... nothing on stdout');
    is($read->(), $before, '... the state files are unchanged');
    is(code(), 503, '... the site stays in maintenance');
    is(cluster_layer(), 'maintenance (version 1)', '... the cluster layer is unchanged');
    ($rc, $out) = ctl('--cluster', 'status');
    like($out, qr/^  memcached:   127\.0\.0\.1:$MC no answer$/m, '--cluster status: no answer');
    start_memcached($MC);
}

# ------------------------------------------------------------ UpkeepClusterKey and cluster.conf
{
    fresh(spec(key => 'shop.prod', timeout => '500ms'));
    my $conf = do { local (@ARGV, $/) = servroot() . '/state/cluster.conf'; <> };
    like($conf, qr/^servers 127\.0\.0\.1:$MC\nkey-prefix shop\.prod\nsecret-file \Q$SECRET_FILE\E\ntimeout-ms 500\n/m,
         'cluster.conf records servers, key prefix, secret file and timeout');
    ctl_ok('--cluster', 'maintenance');
    my $v = mc_get($MC, 'shop.prod:default');
    ok(defined $v, 'stored under shop.prod:default');
    is(mc_get($MC, $KEY), undef, 'nothing under upkeep:default');
    my $f = fields($v) // {};
    is($v, signed(prefix => 'shop.prod', mode => 'maintenance', version => 1, since => $f->{since},
                  changed_by => $f->{'changed-by'}), 'the signature covers the key prefix');
    mc_cmd($MC, 'delete shop.prod:default');
    ok(wait_for(1.5, sub { defined mc_get($MC, 'shop.prod:default') }), 'the poller republishes under the prefix');
    is(code(), 503, 'still in maintenance');
}

# ------------------------------------------------------------ --cluster commands are checked against memcached
# This node polls once an hour: its own copy of the cluster layer is stale,
# as it is for a sync interval on any node, or always where httpd is not
# running.  Another node (a state directory without httpd) flips.
{
    fresh(spec(interval => '1h'));
    my $other = servroot() . '-othernode';
    remove_tree($other);
    make_path($other);
    my @other = ('--state-dir', $other, '--cluster', '--memcached', "127.0.0.1:$MC", '--secret-file', $SECRET_FILE);
    my ($rc, $out, $err) = ctl(@other, 'maintenance', '--reason', 'emergency');
    is($rc, 3, 'another node (no httpd runs on its state directory: exit 3) puts the cluster in maintenance') or diag($err);
    is(cluster_layer(), 'normal (version 0)', 'this node has not polled it');
    ($rc, $out, $err) = ctl('--cluster', 'readonly', '--at', '+1h', '--for', '10m');
    is($rc, 1, '--cluster --at here is refused: the cluster is in maintenance');
    like($err, qr/scope 'default' is in maintenance mode now: a window can be scheduled only while the scope is normal/, '... saying so');
    ($rc, $out, $err) = ctl('--cluster', 'cancel');
    is($rc, 1, '--cluster cancel here: the cluster has no window, exit 1');
    like($err, qr/scope 'default' has no scheduled window in the cluster layer; not changed/, '... saying so');
    is((fields(mc_get($MC, $KEY)) // {})->{reason}, 'emergency', 'memcached still holds the emergency');
    ($rc, $out, $err) = ctl('--cluster', 'maintenance', '--at', '+2h', '--for', '30m');
    is($rc, 1, 'so does a window scheduled over it');
    ($rc, $out, $err) = ctl(@other, 'normal');
    ($rc, $out, $err) = ctl('--cluster', 'maintenance', '--at', '+2h', '--for', '30m');
    is($rc, 0, 'back to normal there: a window can be scheduled here') or diag($err);
    ($rc, $out, $err) = ctl(@other, 'readonly');
    like($err, qr/note: this replaces the maintenance window scheduled for /, 'the other node is told it replaces the window this one scheduled');
    ($rc, $out, $err) = ctl('--cluster', 'cancel');
    is($rc, 1, '... and this node cannot cancel a window that is no longer there');
    is((fields(mc_get($MC, $KEY)) // {})->{mode}, 'readonly', 'memcached holds readonly');
    remove_tree($other);
}

# ------------------------------------------------------------ without UpkeepSecretFile, unsigned values count
{
    my $off = error_log_offset();
    fresh(spec(no_secret => 1));
    like(error_log_since($off), qr/UPK0020: UpkeepMemcached without UpkeepSecretFile: cluster values are not signed/,
         'UPK0020 at startup');
    $off = error_log_offset();
    mc_set($MC, $KEY, cluster_value(mode => 'maintenance', version => 4, reason => 'unsigned'));
    ok(wait_for(1, sub { code() == 503 }), 'an unsigned value is adopted');
    is(cluster_layer(), 'maintenance (version 4)', '... version 4');
    my $out = ctl_ok('--cluster', 'normal');
    like($out, qr/\(version 5,/, '--cluster bumps above it');
    my $v = mc_get($MC, $KEY);
    unlike($v, qr/hmac-sha256/, 'upkeepctl stores it unsigned');
    mc_set($MC, $KEY, "mode maintenance\n");
    sleep 3 * $INTERVAL;
    is(code(), 200, 'garbage is still refused');
    like(error_log_since($off), qr/UPK0022: ignoring the value of upkeep:default on 127\.0\.0\.1:$MC: it /, '... and logged');
    is(count($off, qr/UPK0022/), 1, '... once');
}
no_crash('the rest');

done_testing();
