# What conf/ ships (issue 7) stays valid: apache2 -t accepts upkeep.load +
# upkeep.conf and both example configs with the module loaded; haproxy -c
# accepts haproxy.cfg.example; and the single-server example runs for real,
# serving conf/maintenance.html (its UpkeepPage) in maintenance mode.  The
# cluster example and the HAProxy fragment run for real in t/200-drill.t.
# conf/maintenance.html is what conf/make-maintenance-html makes of the
# built-in page, and renders as the built-in page does.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use POSIX ();

my $Root = abs_path(dirname(__FILE__) . '/..');
my $Module = -e "$Root/.libs/mod_upkeep.so" ? "$Root/.libs/mod_upkeep.so" : "$Root/mod_upkeep.so";
my $Tmp = tempdir('upkeep-conf-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $Secret = "$Tmp/cluster.secret";

sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; <$fh> }
sub spew { my ($f, $t) = @_; open my $fh, '>', $f or die "$f: $!"; print $fh $t; close $fh }
spew($Secret, "conf-examples-secret-0123456789\n");
chmod 0600, $Secret;
make_path("$Tmp/www");

# An example as it would be installed, with the paths it names pointing at
# files that exist here (the page is the repository's conf/maintenance.html).
sub localized {
    my ($text, %o) = @_;
    $text =~ s{/etc/apache2/upkeep/maintenance\.html}{$o{page} // "$Root/conf/maintenance.html"}ge;
    $text =~ s{/etc/apache2/upkeep/cluster\.secret}{$Secret}g;
    $text =~ s{/var/www/example}{$o{docroot} // "$Tmp/www"}ge;
    $text =~ s{/usr/lib/apache2/modules/mod_upkeep\.so}{$Module}g;
    return $text;
}

# apache2 -t on a minimal server that includes $files; -> (exit, output).
sub config_test {
    my (@files) = @_;
    my $mods = '/usr/lib/apache2/modules';
    my $load = join '', map { "LoadModule ${_}_module $mods/mod_$_.so\n" }
        grep { -e "$mods/mod_$_.so" } qw(mpm_event authz_core authz_host alias mime dir env);
    my $i = 0;
    my $incl = join '', map { spew("$Tmp/part" . ++$i . '.conf', $_); "Include $Tmp/part$i.conf\n" } @files;
    spew("$Tmp/httpd.conf", "ServerRoot $Tmp\nServerName 127.0.0.1\nListen 127.0.0.1:" . free_port()
         . "\nPidFile $Tmp/httpd.pid\nErrorLog $Tmp/error.log\nDefaultRuntimeDir $Tmp\n$load" . $incl);
    my $pid = open(my $out, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        $ENV{LD_PRELOAD} = $ENV{TEST_UPKEEP_PRELOAD} if $ENV{TEST_UPKEEP_PRELOAD};
        $ENV{ASAN_OPTIONS} = 'detect_leaks=0';
        { no warnings 'exec'; exec '/usr/sbin/apache2', '-t', '-d', $Tmp, '-f', "$Tmp/httpd.conf" }
        POSIX::_exit(127);
    }
    my $text = do { local $/; <$out> } // '';
    close $out;
    return ($? >> 8, $text);
}

my $load = localized(slurp("$Root/conf/upkeep.load"));
like($load, qr/^LoadModule upkeep_module \Q$Module\E$/m, 'upkeep.load loads mod_upkeep.so');

for my $case (['upkeep.load + upkeep.conf', localized(slurp("$Root/conf/upkeep.conf"))],
              ['example-single-server.conf', localized(slurp("$Root/conf/example-single-server.conf"))],
              ['example-cluster.conf', localized(slurp("$Root/conf/example-cluster.conf"))]) {
    my ($name, $text) = @$case;
    my ($rc, $out) = config_test($load, $text);
    is($rc, 0, "apache2 -t accepts $name") or diag($out);
    like($out, qr/Syntax OK/, "... Syntax OK ($name)");
}

# The same check fails when the example's page has an unknown placeholder:
# apache2 -t does read the page.
{
    my $page = slurp("$Root/conf/maintenance.html");
    $page =~ s/\{\{reason\}\}/{{reasons}}/ or die 'conf/maintenance.html has no {{reason}}';
    spew("$Tmp/bad.html", $page);
    my ($rc, $out) = config_test($load, localized(slurp("$Root/conf/example-single-server.conf"), page => "$Tmp/bad.html"));
    isnt($rc, 0, 'apache2 -t refuses the single-server example with a page holding {{reasons}}');
    like($out, qr/UpkeepPage: \Q$Tmp\E\/bad\.html line \d+: unknown placeholder \{\{reasons\}\}/,
         '... naming the file, the line and the placeholder');
}

SKIP: {
    skip 'haproxy is not installed', 1 unless -x '/usr/sbin/haproxy';
    my $out = `/usr/sbin/haproxy -c -f $Root/conf/haproxy.cfg.example 2>&1`;
    is($?, 0, 'haproxy -c accepts conf/haproxy.cfg.example') or diag($out);
}

# ------------------------------------------------------------ conf/maintenance.html is generated
# The first line that differs, for a diagnostic shorter than two pages.
sub first_difference {
    my ($got, $want) = @_;
    my @g = split /\n/, $got, -1;
    my @w = split /\n/, $want, -1;
    for my $i (0 .. ($#g > $#w ? $#g : $#w)) {
        next if ($g[$i] // "\0") eq ($w[$i] // "\0");
        return sprintf "line %d:\n  got:  %s\n  want: %s", $i + 1,
            $g[$i] // '(end of text)', $w[$i] // '(end of text)';
    }
    return 'no difference';
}

sub make_page {
    my ($script) = @_;
    my $out = `'$script' - 2>&1`;
    return ($? >> 8, $out);
}

{
    my ($rc, $made) = make_page("$Root/conf/make-maintenance-html");
    is($rc, 0, 'conf/make-maintenance-html runs') or diag($made);
    my $file = slurp("$Root/conf/maintenance.html");
    ok($made eq $file, 'conf/maintenance.html is what conf/make-maintenance-html makes of the built-in page')
        or diag("conf/maintenance.html differs from the built-in page: run conf/make-maintenance-html\n"
                . "and commit conf/maintenance.html. First difference, "
                . first_difference($file, $made));
    like($made, qr/\A<!DOCTYPE html>\n<!--\n[^{]*?conf\/make-maintenance-html.*?-->\n<html /s,
         '... its header comment right after the DOCTYPE (no quirks mode), naming the script');

    # A change to the built-in page shows in what the script makes: the
    # check above fails until conf/maintenance.html is regenerated.
    my $tree = "$Tmp/tree";
    make_path("$tree/conf", "$tree/include");
    system('cp', "$Root/upkeep_private.h", $tree) == 0 or die 'cp';
    system('cp', glob("$Root/include/*.h"), "$tree/include/") == 0 or die 'cp';
    system('cp', "$Root/conf/make-maintenance-html", "$tree/conf/") == 0 or die 'cp';
    system('cp', "$Root/upkeep_page.c", "$Root/upkeep_state.c", $tree) == 0 or die 'cp';
    # the page's words are upkeep_i18n.c's (English: the first language)
    my $c = slurp("$Root/upkeep_i18n.c");
    $c =~ s/"We&#39;ll be back soon",/"Back \\"soon\\"\\tnow",/ or die 'no English heading in upkeep_i18n.c';
    spew("$tree/upkeep_i18n.c", $c);
    ($rc, my $changed) = make_page("$tree/conf/make-maintenance-html");
    is($rc, 0, 'the script runs on a changed built-in page') or diag($changed);
    like($changed, qr{<h1>Back "soon"\tnow</h1>\n}, '... whose change (and its C escapes) it copies');
    isnt($changed, $file, '... so it no longer matches conf/maintenance.html');

    # Without the page in upkeep_page.c, it says so and writes nothing.
    my $p = slurp("$Root/upkeep_page.c");
    $p =~ s/upkeep_default_page_text/upkeep_default_page_words/g;
    spew("$tree/upkeep_page.c", $p);
    spew("$tree/conf/maintenance.html", "old\n");
    my $err = `'$tree/conf/make-maintenance-html' 2>&1`;
    isnt($?, 0, 'the script fails when upkeep_page.c has no upkeep_default_page_text');
    like($err // '', qr/could not build the page printer/, '... saying so');
    is(slurp("$tree/conf/maintenance.html"), "old\n", '... and leaves the old file alone');
}

# ------------------------------------------------------------ the single-server example, running
# Its <VirtualHost> on the harness's address (name-based: Host:
# www.example.com), its DocumentRoot in the servroot.  The harness's own
# vhost (Host: localhost) serves the built-in page, and conf/maintenance.html
# under /file, for the comparison at the end.
start_server('');
my $Docroot = servroot() . '/htdocs/example';
for (['index.html', "example home\n"], ['static/style.css', "body{}\n"], ['login/index.html', "login form\n"],
     ['shop/index.html', "shop\n"]) {
    make_path(dirname("$Docroot/$_->[0]"));
    spew("$Docroot/$_->[0]", $_->[1]);
}
my $site = localized(slurp("$Root/conf/example-single-server.conf"), docroot => $Docroot);
$site =~ s/<VirtualHost \*:80>/<VirtualHost 127.0.0.1:\$ServerPort>/ or die 'no <VirtualHost *:80>';
start_server({ main_config => $site, config => <<"EOC" });
    <Location /file>
        UpkeepPage $Root/conf/maintenance.html
    </Location>
    <Location /norefresh>
        UpkeepRefresh off
    </Location>
    <Location /norefresh/file>
        UpkeepPage $Root/conf/maintenance.html
    </Location>
EOC

sub get {
    my ($path, $method) = @_;
    return http_get($method // 'GET', $path, { Host => 'www.example.com' }, $method ? 'x=1' : undef);
}
sub flip {
    my @args = @_;
    my ($rc, $out, $err) = ctl(@args);
    is($rc, 0, "upkeepctl @args") or diag("$out$err");
}

flip('normal');
is(get('/')->{body}, "example home\n", 'normal: the example site answers');

flip('maintenance', '--reason', 'Back at 10:30 <UTC> & later', '--for', '10m');
{
    my $r = get('/');
    is($r->{status}, 503, 'maintenance: 503');
    my ($ra) = ($r->{headers}{'retry-after'} // '') =~ /^(\d+)$/;
    ok($ra && $ra > 500 && $ra <= 600, "Retry-After is the time left of --for 10m ($r->{headers}{'retry-after'})");
    like($r->{body}, qr/^<!DOCTYPE html>\n<!--\n  mod_upkeep maintenance page: the built-in page, as a file/,
         'the page is conf/maintenance.html (UpkeepPage of the example)');
    like($r->{body}, qr{<p class="reason">Back at 10:30 &lt;UTC&gt; &amp; later</p>}, '... with the reason, HTML-escaped');
    like($r->{body}, qr{<meta http-equiv="refresh" content="60">}, '... refreshing every 60 s (the Retry-After is longer)');
    like($r->{body}, qr{Expected back by <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">}, '... and saying when');
    like($r->{body}, qr{data-left="$ra"}, '... counting down from Retry-After');
    unlike($r->{body}, qr/\{\{/, '... every placeholder filled in');
    is(get('/static/style.css')->{status}, 200, 'UpkeepExempt /static: the page assets load');
    is(get('/login/')->{status}, 200, '<Location /login> Upkeep Off: the login form loads');
    is(get('/upkeep-status?json')->{status}, 200, '/upkeep-status answers from local addresses');
    is(get('/shop/')->{status}, 200, 'the shop scope is not in maintenance');
}

flip('normal');
flip('readonly');
{
    my $r = get('/', 'POST');
    is($r->{status}, 503, 'readonly: a POST gets 503');
    is($r->{headers}{'retry-after'}, 120, '... with UpkeepRetryAfter 120 of the example');
    is(get('/')->{status}, 200, '... and pages still load');
}
flip('normal');
flip('--scope', 'shop', 'maintenance');
is(get('/shop/')->{status}, 503, 'upkeepctl --scope shop maintenance takes /shop down');
is(get('/')->{status}, 200, '... and only /shop');
flip('--scope', 'shop', 'normal');

# ------------------------------------------------------------ conf/maintenance.html = the built-in page
# Served as UpkeepPage, conf/maintenance.html answers what the built-in page
# answers, but for its header comment: with and without an end, with and
# without UpkeepRefresh (every section of the page).
sub builtin_and_file {
    my ($dir) = @_;
    my ($builtin, $file);
    # Retry-After counts down with --for: compare two answers of one second.
    for (1 .. 5) {
        $builtin = http_get('GET', "$dir/");
        $file = http_get('GET', "$dir/file/");
        last if ($builtin->{headers}{'retry-after'} // '') eq ($file->{headers}{'retry-after'} // '');
    }
    return ($builtin, $file);
}

for my $case (['--reason', 'Back at 10:30 <UTC> & later', '--for', '30m'], []) {
    flip('maintenance', @$case);
    for my $dir ('', '/norefresh') {
        my $what = "maintenance " . (@$case ? "@$case" : "without --reason or --for") . ($dir ? ', UpkeepRefresh off' : '');
        my ($builtin, $file) = builtin_and_file($dir);
        is($builtin->{status}, 503, "$what: the built-in page is a 503");
        is($file->{status}, 503, "... so is UpkeepPage conf/maintenance.html");
        is($file->{headers}{'retry-after'}, $builtin->{headers}{'retry-after'}, '... with the same Retry-After');
        my $body = $file->{body};
        ok($body =~ s/\A(<!DOCTYPE html>\n)<!--\n.*?\n-->\n/$1/s, '... the file with its header comment');
        ok($body eq $builtin->{body}, '... and otherwise the same text as the built-in page')
            or diag('First difference, ' . first_difference($body, $builtin->{body}));
    }
    flip('normal');
}

my @crash = fatal_log_lines(0);
is(scalar @crash, 0, 'no crash in the error log') or diag(join "\n", @crash);
stop_server();
done_testing();
