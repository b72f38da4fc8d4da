# upkeepctl cases the data-driven runner cannot express: the
# UPKEEP_STATE_DIR environment variable (the runner always passes
# --state-dir), status --json parsed as JSON, reasons with newlines, and
# concurrent flips.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use Cwd qw(getcwd);
use File::Temp qw(tempfile);
use JSON::PP ();
use POSIX ();

my $Ctl = $ENV{TEST_UPKEEP_CTL}
    ? ($ENV{TEST_UPKEEP_CTL} =~ m{^/} ? $ENV{TEST_UPKEEP_CTL} : getcwd() . "/$ENV{TEST_UPKEEP_CTL}")
    : getcwd() . '/upkeepctl';
my $State = servroot() . '/state';
my $Json = JSON::PP->new->utf8;

# upkeepctl exactly as given (no --state-dir added): ($exit, $stdout, $stderr)
sub run_ctl {
    my ($env, @args) = @_;
    my ($ofh, $out) = tempfile(UNLINK => 1);
    my ($efh, $err) = tempfile(UNLINK => 1);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', $ofh; open STDERR, '>&', $efh;
        delete $ENV{UPKEEP_STATE_DIR};
        @ENV{ keys %$env } = values %$env;
        { no warnings "exec"; exec { $Ctl } $Ctl, @args }
        POSIX::_exit(127);
    }
    waitpid $pid, 0;
    my $rc = $? >> 8;
    my @r = map { local $/; open my $fh, '<:raw', $_ or die; scalar <$fh> } $out, $err;
    return ($rc, @r);
}

sub status_json {
    my ($rc, $out, $err) = ctl('status', '--json', @_);
    my $doc = eval { $Json->decode($out) };
    ok($doc, "status --json @_ is valid JSON") or diag("$@\nstdout: $out\nstderr: $err");
    return ($doc, $rc, $err);
}

start_server(join '', map { "<Location /$_>\n    UpkeepScope $_\n</Location>\n" } qw(zeta alpha never));
ctl('normal');

# --- UPKEEP_STATE_DIR
{
    my ($rc, $out, $err) = run_ctl({ UPKEEP_STATE_DIR => $State }, 'maintenance', '--reason', 'via env');
    is($rc, 0, 'UPKEEP_STATE_DIR: a flip without --state-dir exits 0') or diag($err);
    like($out, qr/\Ascope default: maintenance on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\n\z/, 'UPKEEP_STATE_DIR: the flip reached the live state (no "applies when it starts")');
    my $r = http_get('GET', '/');
    is($r->{status}, 503, 'UPKEEP_STATE_DIR: the running httpd serves maintenance at once');
    like($r->{body}, qr{<p class="reason">via env</p>}, '... with the reason');

    ($rc, $out) = run_ctl({ UPKEEP_STATE_DIR => $State }, 'status');
    like($out, qr/^scope default: maintenance\n  reason:      via env\n/m, 'UPKEEP_STATE_DIR: status reads the same directory');

    ($rc, $out, $err) = run_ctl({ UPKEEP_STATE_DIR => '/nonexistent/upkeep-h3' }, '--state-dir', $State, 'normal');
    is($rc, 0, '--state-dir wins over UPKEEP_STATE_DIR') or diag($err);
    is(http_get('GET', '/')->{status}, 200, '... and the flip applied to --state-dir');

    ($rc, $out, $err) = run_ctl({ UPKEEP_STATE_DIR => '/nonexistent/upkeep-h3' }, 'maintenance');
    is($rc, 1, 'UPKEEP_STATE_DIR pointing nowhere: a flip exits 1');
    like($err, qr{\Aupkeepctl: state directory /nonexistent/upkeep-h3 does not exist}, '... naming that directory');
    is(http_get('GET', '/')->{status}, 200, '... and the site is untouched');
}

# --- reasons that cannot pass through a one-line ctl section
for my $case (["a newline", "line one\nline two"], ["a carriage return", "a\rb"], ["a trailing newline", "done\n"]) {
    my ($what, $reason) = @$case;
    ctl('maintenance', '--reason', 'kept');
    my ($rc, $out, $err) = ctl('maintenance', '--reason', $reason);
    is($rc, 2, "a reason with $what: exit 2");
    is($err, "upkeepctl: --reason contains a control character (see upkeepctl --help)\n", '... one line naming the problem');
    like(http_get('GET', '/')->{body}, qr{<p class="reason">kept</p>}, '... and the previous reason stays');
}
ctl('normal');

# --- status --json
{
    ctl('maintenance', '--reason', q{quote " backslash \ <b>café</b> ☕}, '--retry-after', '30', '--for', '1h');
    my ($doc, $rc) = status_json('--scope', 'default');
    is($rc, 0, 'status --json exits 0');
    is($doc->{state_dir}, $State, 'JSON: state_dir');
    is(scalar @{ $doc->{scopes} || [] }, 1, 'JSON: one scope');
    my $s = $doc->{scopes}[0] || {};
    is($s->{scope}, 'default', 'JSON: scope');
    is($s->{mode}, 'maintenance', 'JSON: mode');
    is($s->{set_mode}, 'maintenance', 'JSON: set_mode');
    is($s->{reason}, "quote \" backslash \\ <b>caf\x{e9}</b> \x{2615}", 'JSON: the reason round-trips (quotes, backslash, UTF-8)');
    like($s->{since} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'JSON: since is ISO 8601 UTC');
    like($s->{until} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'JSON: until is ISO 8601 UTC');
    ok(JSON::PP::is_bool($s->{expired}) && !$s->{expired}, 'JSON: expired is false (a boolean)');
    ok($s->{retry_after} > 3590 && $s->{retry_after} <= 3600, 'JSON: retry_after is what clients get: until the end of the window')
        or diag("retry_after: $s->{retry_after}");
    is($s->{local}{retry_after}, 30, 'JSON: the layer keeps what upkeepctl was given (--retry-after 30)');
    is($doc->{schema}, 1, 'JSON: schema 1');
    like($s->{version}, qr/^\d+$/, 'JSON: version is a number');
    like($s->{changed_by} // '', qr/^root@\S+$/, 'JSON: changed_by');
    is($s->{live}, 'in sync', 'JSON: live');

    ctl('maintenance', '--for', '1s');
    sleep 2;
    ($doc) = status_json('--scope', 'default');
    $s = $doc->{scopes}[0] || {};
    is($s->{mode}, 'normal', 'JSON after the window: mode is normal');
    is($s->{set_mode}, 'maintenance', 'JSON after the window: set_mode is still maintenance');
    ok(JSON::PP::is_bool($s->{expired}) && $s->{expired}, 'JSON after the window: expired is true');
    is(http_get('GET', '/')->{status}, 200, '... and the site serves normally');

    ctl('--scope', 'zeta', 'readonly');
    ctl('--scope', 'alpha', 'maintenance');
    ctl('normal');
    ($doc) = status_json();
    is_deeply([map { "$_->{scope}=$_->{mode}" } @{ $doc->{scopes} || [] }],
              ['alpha=maintenance', 'default=normal', 'never=normal', 'zeta=readonly'], 'JSON: every configured scope, sorted by name');
    ($doc) = status_json('--scope', 'zeta');
    is_deeply([map { $_->{scope} } @{ $doc->{scopes} || [] }], ['zeta'], 'JSON: --scope shows only that scope');
    ($doc) = status_json('--scope', 'never');
    my %never_layer = (mode => 'normal', set_mode => 'normal', reason => '', since => undef,
        starts => undef, until => undef, pending => JSON::PP::false, retry_after => 0, version => 0,
        changed_by => '');
    is_deeply($doc->{scopes}, [{ scope => 'never', mode => 'normal', layer => 'local', set_mode => 'normal',
        reason => '', since => undef, until => undef, expired => JSON::PP::false, retry_after => 60,
        hold_max_ms => 10000, refusal_status => undef, next_window => undef,
        version => 0, changed_by => '', live => 'in sync', local => {%never_layer}, cluster => {%never_layer},
        inflight_writes => 0, held => 0 }],
        'JSON: a scope never set is normal, version 0, no times, in both layers');

    # a corrupt scope: exit 1, error on stderr, the others still listed
    open my $fh, '>', "$State/aaa.state" or die; print $fh "garbage\n"; close $fh;
    my ($rc2, $out, $err) = ctl('status', '--json');
    is($rc2, 1, 'JSON with a corrupt scope: exit 1');
    like($err, qr{\Aupkeepctl: \Q$State\E/aaa\.state line 1: unknown field 'garbage'\n\z}, '... the error names the file');
    my $doc2 = eval { $Json->decode($out) };
    ok($doc2, 'JSON with a corrupt first scope is still valid JSON') or diag("stdout: $out");
    is_deeply([map { $_->{scope} } @{ $doc2->{scopes} || [] }], ['alpha', 'default', 'never', 'zeta'],
              '... listing the readable scopes');
    unlink "$State/aaa.state";
    open $fh, '>', "$State/mmm.state" or die; print $fh "garbage\n"; close $fh;
    ($doc, $rc) = status_json();
    is($rc, 1, 'JSON with a corrupt scope in the middle: exit 1');
    is_deeply([map { $_->{scope} } @{ $doc->{scopes} || [] }], ['alpha', 'default', 'never', 'zeta'],
              '... the readable scopes are listed');
    unlink "$State/mmm.state";
    ctl('--scope', $_, 'normal') for qw(alpha zeta);
}

# --- concurrent flips: every one is applied, none is lost or torn
{
    ctl('normal');
    my ($doc) = status_json('--scope', 'default');
    my $v0 = $doc->{scopes}[0]{version};
    my @pids;
    for my $i (1 .. 20) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my ($rc) = ctl($i % 2 ? 'maintenance' : 'readonly', '--reason', "writer $i");
            POSIX::_exit($rc);
        }
        push @pids, $pid;
    }
    my @rc = map { waitpid($_, 0); $? >> 8 } @pids;
    is_deeply(\@rc, [(0) x 20], '20 concurrent flips all exit 0');
    ($doc) = status_json('--scope', 'default');
    my $s = $doc->{scopes}[0] || {};
    is($s->{version}, $v0 + 20, 'the version went up by exactly 20 (no lost update)');
    is($s->{live}, 'in sync', 'the live state matches the file');
    my ($n) = ($s->{reason} // '') =~ /^writer (\d+)$/;
    ok($n, 'the reason is one writer\'s, whole');
    is($s->{mode}, $n && $n % 2 ? 'maintenance' : 'readonly', 'the mode is the same writer\'s');
    my $r = http_get('POST', '/', {}, 'a=1');
    is($r->{status}, 503, 'httpd serves that last state');
    like($r->{body}, qr{<p class="reason">writer \Q$n\E</p>}, '... with that writer\'s reason') if $n;
    my @tmp = glob("$State/.*.??????");
    is("@tmp", '', 'no temporary files are left in the state directory');
    ctl('normal');
}

my $log = error_log_since(0);
unlike($log, qr/Segmentation fault|AddressSanitizer|runtime error:|exit signal|UPK0102/,
       'error log has no crash, sanitizer or torn-read report');
ok(server_alive(), 'apache2 parent still alive');
stop_server();
done_testing();
