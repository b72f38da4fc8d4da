# The demo (README's first command, demo/run-demo) as a new user meets it
# (issue 13): the hints it prints work when pasted in another directory,
# its CGI takes the request body (no "Broken pipe" in the log), a demo that
# comes back in a mode left from last time says so, and the banner hint
# finds the banner.  It runs beside a developer's own demo: its files go
# under the server root (UPKEEP_DEMO_DIR), its port is one the harness
# picks (UPKEEP_DEMO_PORT); it is stopped by the PID in its pid file.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use Cwd qw(getcwd);
use File::Path qw(remove_tree);
use HTTP::Tiny;

my $top = getcwd();
my $dir = servroot() . '/demo';
my $port = free_port();
remove_tree($dir);
mkdir servroot();

my %env = (UPKEEP_DEMO_DIR => $dir, UPKEEP_DEMO_PORT => $port);
# Under the sanitizer build httpd needs its runtime loaded first (as the
# harness does), but only httpd: curl with it preloaded deadlocks, which
# once hung CI on the banner hint.
my %sanitizer = $ENV{TEST_UPKEEP_PRELOAD}
    ? (LD_PRELOAD => $ENV{TEST_UPKEEP_PRELOAD}, ASAN_OPTIONS => 'detect_leaks=0:abort_on_error=0')
    : ();

# runs a shell command line from /tmp with %env (and $more); -> (rc, output)
sub sh_in_tmp {
    my ($line, $more) = @_;
    local %ENV = (%ENV, %env, %{ $more || {} });
    delete $ENV{UPKEEP_STATE_DIR} unless $more && $more->{UPKEEP_STATE_DIR};
    # a hang fails this test instead of stalling the whole suite
    local $ENV{DEMO_TEST_LINE} = $line;
    my $out = `cd /tmp && timeout 120 sh -c "\$DEMO_TEST_LINE" 2>&1`;
    return ($? >> 8, $out);
}
sub run_demo { sh_in_tmp("'$top/demo/run-demo' @_", \%sanitizer) }
sub stop_demo { run_demo('stop') }
END { stop_demo() if $dir }

my $http = HTTP::Tiny->new(timeout => 10);
sub url { "http://127.0.0.1:$port$_[0]" }

my ($rc, $msg) = run_demo();
is($rc, 0, 'demo/run-demo, run from /tmp, starts') or diag($msg);
like($msg, qr{^mod_upkeep demo: http://127\.0\.0\.1:$port/ }m, '... on the port asked for');
like($msg, qr/^The site is in normal mode\.$/m, 'a fresh demo says it is in normal mode');

# ------------------------------------------------------------ hints from any directory
my ($export) = $msg =~ /^\s*export UPKEEP_STATE_DIR=(\S+)$/m;
is($export, "$dir/state", 'the hint exports the absolute state directory');
my ($ctl) = $msg =~ m{^\s*(\S+upkeepctl) status$}m;
is($ctl, "$top/upkeepctl", 'the hint names upkeepctl by its absolute path');
my %state = (UPKEEP_STATE_DIR => $export // '');
($rc, my $out) = sh_in_tmp("'$ctl' status", \%state);
is($rc, 0, 'the status hint, pasted in /tmp, exits 0') or diag($out);
like($out, qr/^scope default: normal$/m, '... and shows the demo in normal mode');

# ------------------------------------------------------------ the CGI takes its body
my $body = 'text=' . ('x' x 200_000);
my $r = $http->post(url('/cgi-bin/comment'), { content => $body,
                    headers => { 'Content-Type' => 'application/x-www-form-urlencoded' } });
is($r->{status}, 200, 'POST /cgi-bin/comment with a 200 kB body: 200');
like($r->{content}, qr/^comment saved \(POST \/cgi-bin\/comment, UPKEEP_MODE=unset: normal\)$/m, '... saved, in normal mode');
sleep 0.3;
my $log = do { local $/; open my $fh, '<', "$dir/logs/error.log" or die; <$fh> };
unlike($log, qr/Broken pipe/, 'no "Broken pipe" in the demo\'s error log: the CGI read the body');

# ------------------------------------------------------------ the banner hint
($rc, $out) = sh_in_tmp("'$ctl' readonly --reason 'Database upgrade' --for 10m", \%state);
is($rc, 0, 'readonly --for 10m through the hint exits 0') or diag($out);
my ($banner) = $msg =~ /^\s*(curl -s \S+\/ \| grep upkeep-banner)/m;
ok($banner, 'the message has the banner hint');
($rc, $out) = sh_in_tmp($banner // 'false');
is($rc, 0, 'the banner hint finds the banner in read-only mode') or diag($out);
like($out, qr/upkeep-banner/, '... and prints it');
$r = $http->post(url('/cgi-bin/comment'), { content => 'text=hi' });
is($r->{status}, 503, 'a write is refused in read-only mode');
like($r->{headers}{'retry-after'} // '', qr/^\d+$/, '... with Retry-After');

# ------------------------------------------------------------ a left-over mode
($rc, $out) = sh_in_tmp("'$ctl' maintenance --reason 'Back soon'", \%state);
is($rc, 0, 'maintenance exits 0') or diag($out);
($rc, $out) = stop_demo();
like($out, qr/^demo httpd stopped$/m, 'demo/run-demo stop stops it');
($rc, $msg) = run_demo();
is($rc, 0, 'the demo starts again') or diag($msg);
like($msg, qr/^The site is in maintenance mode \(left from last time: \S+upkeepctl normal ends it\)\.$/m,
     'it says it came back in maintenance, left from last time, and how to end it');
is($http->get(url('/'))->{status}, 503, '... and it serves maintenance');
($rc, $out) = sh_in_tmp("'$ctl' normal", \%state);
is($rc, 0, 'upkeepctl normal exits 0') or diag($out);
is($http->get(url('/'))->{status}, 200, '... and the site is back');

stop_demo();
ok(!-e "$dir/logs/httpd.pid" || !kill(0, do { open my $fh, '<', "$dir/logs/httpd.pid"; 0 + (<$fh> // 0) }),
   'the demo httpd is gone after stop');
done_testing();
