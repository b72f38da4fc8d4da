# Staff bypass (UpkeepBypassSecret): the URL upkeepctl bypass-url prints
# sets a signed, expiring cookie; requests of its scope that carry it are
# served as in normal mode; forged, expired and other-scope cookies are
# ignored; the cookie never reaches a backend and the token never reaches
# the access log.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use FindBin;
use Digest::SHA qw(hmac_sha256);
use File::Temp qw(tempdir);
use MIME::Base64 qw(encode_base64url);

my $dir = tempdir('upkeep-bypass-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;
my $secret_file = "$dir/bypass.secret";
my $secret;
sub set_secret {
    ($secret) = @_;
    open my $fh, '>', $secret_file or die "$secret_file: $!";
    print $fh "$secret\n";
    close $fh;
    chmod 0600, $secret_file;
}
set_secret('staff-bypass-secret-0123456789abcdef');

# The cookie as the module signs it (README, "Staff bypass").
sub cookie_for {
    my ($scope, $expiry, $key) = @_;
    my $mac = encode_base64url(hmac_sha256("upkeep-bypass-cookie\n$scope\n$expiry", $key // $secret));
    return "upkeep_bypass_$scope=$scope:$expiry:$mac";
}

my $backend = free_port();    # a second vhost without a bypass: the proxy's backend
my %spec = (
    main_config => <<"EOF",
Listen 127.0.0.1:$backend
<VirtualHost 127.0.0.1:$backend>
    ServerName backend.test
    UpkeepScope backend
    ScriptAlias /cgi-bin/ "\$ServRoot/cgi-bin/"
    <Directory "\$ServRoot/cgi-bin">
        Options +ExecCGI
        Require all granted
    </Directory>
</VirtualHost>
EOF
    config => <<"EOF",
UpkeepBypassSecret $secret_file
ProxyPass /proxied/ http://127.0.0.1:$backend/cgi-bin/
<Location /upkeep-status>
    SetHandler upkeep-status
    Upkeep Off
</Location>
<Location /api>
    UpkeepScope api
</Location>
EOF
);

sub ctl_ok {
    my ($rc, $out, $err) = ctl(@_);
    is($rc, 0, "upkeepctl @_ exits 0") or diag("$out$err");
    return $out;
}
sub get {
    my ($method, $path, $cookie, $body) = @_;
    return http_get($method, $path, $cookie ? [['Cookie', $cookie]] : [], $body);
}
sub set_cookie_of { my ($res) = @_; ($res->{headers}{'set-cookie'} // '') =~ /^([^;]+)/ ? $1 : undef }

start_server(\%spec);
my $sr = servroot();
open my $cgi, '>', "$sr/cgi-bin/cookie.cgi" or die $!;
print $cgi <<'EOF';
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\ncookie=", $ENV{HTTP_COOKIE} // '(none)', "\n";
EOF
close $cgi;
chmod 0755, "$sr/cgi-bin/cookie.cgi";
mkdir "$sr/htdocs/api";
open my $api, '>', "$sr/htdocs/api/index.html" or die $!;
print $api "api\n";
close $api;
my $port = port();

# --- upkeepctl bypass-url ------------------------------------------------
my $url = ctl_ok('bypass-url');
like($url, qr{^http://localhost:$port/\.upkeep/bypass/[A-Za-z0-9_-]{32}\n\z}, 'bypass-url prints the URL of the default scope');
my ($token) = $url =~ m{/\.upkeep/bypass/(\S+)};
my $api_url = ctl_ok('--scope', 'api', 'bypass-url');
my ($api_token) = $api_url =~ m{/\.upkeep/bypass/(\S+)};
ok($api_token && $api_token ne $token, 'each scope has its own token');
my ($rc, $out, $err) = ctl('--scope', 'nosuch', 'bypass-url');
is($rc, 1, 'bypass-url of an unknown scope exits 1');
like($err, qr/unknown scope 'nosuch': httpd's configuration names default backend api/, '... naming the known scopes');
($rc, $out, $err) = ctl('--scope', 'backend', 'bypass-url');
is($rc, 1, 'bypass-url of a scope without UpkeepBypassSecret exits 1');
like($err, qr/no staff bypass for scope 'backend'/, '... saying so');
is(ctl_ok('bypass-url', '--json'), qq({"scope":"default","urls":["http://localhost:$port/.upkeep/bypass/$token"]}\n),
   'bypass-url --json');
($rc, $out, $err) = ctl('bypass-url', '--reason', 'x');
is($rc, 2, 'bypass-url with a mode option is a usage error');
my $perms = sprintf '%04o', (stat "$sr/state/bypass.conf")[2] & 07777;
is($perms, $> == 0 ? '0640' : $perms, 'bypass.conf is not world-readable');
SKIP: {
    skip 'needs root', 2 unless $> == 0;
    ($rc, $out, $err) = ctl({ user => 'nobody' }, 'bypass-url');
    is($rc, 1, 'bypass-url by someone outside the control group exits 1');
    like($err, qr/permission denied: cannot read \S*bypass\.conf/, '... permission denied');
}

# --- the URL sets the cookie, in maintenance too -------------------------
ctl_ok('maintenance', '--reason', 'upgrade');
is(get('GET', '/')->{status}, 503, 'maintenance: no cookie, 503');
my $log_off = error_log_offset();
my $access_off = -s "$sr/logs/access.log";
my $res = get('GET', "/.upkeep/bypass/$token?x=1");
is($res->{status}, 302, 'the bypass URL answers 302 in maintenance');
is($res->{headers}{location}, '/', '... to /');
is($res->{headers}{'cache-control'}, 'no-store', '... not cached');
my $sc = $res->{headers}{'set-cookie'} // '';
like($sc, qr/^upkeep_bypass_default=default:\d+:[A-Za-z0-9_-]{43}; /, 'Set-Cookie: upkeep_bypass_default=SCOPE:EXPIRY:MAC');
like($sc, qr/; Path=\/(;|$)/, '... Path=/');
like($sc, qr/; Max-Age=43200(;|$)/, '... Max-Age 12h by default');
like($sc, qr/; HttpOnly(;|$)/, '... HttpOnly');
like($sc, qr/; SameSite=Lax(;|$)/, '... SameSite=Lax');
unlike($sc, qr/Secure/, '... not Secure over http');
my $cookie = set_cookie_of($res);
my ($expiry) = $cookie =~ /:(\d+):/;
ok(abs($expiry - time - 43200) < 60, 'the cookie expires in 12h');
is($cookie, cookie_for('default', $expiry), 'the cookie is the documented HMAC');

ok(wait_for(2, sub { (-s "$sr/logs/access.log") > $access_off }), 'the redirect is logged');
open my $al, '<', "$sr/logs/access.log" or die $!;
seek $al, $access_off, 0;
my $access = do { local $/; <$al> };
like($access, qr{"GET /\.upkeep/bypass/ HTTP/1\.1" 302 }, 'the access log has the path without the token');
unlike($access, qr/\Q$token\E/, 'the access log never has the token');
unlike(error_log_since($log_off), qr/\Q$token\E/, 'nor the error log');
like(error_log_since($log_off), qr/UPK0154: staff bypass cookie set for scope 'default'/, 'UPK0154 is logged');

my $metric = qr/^upkeep_requests_total\{scope="default",mode="maintenance",outcome="bypassed"\} (\d+)$/m;
my ($bypassed) = get('GET', '/upkeep-status?metrics')->{body} =~ $metric;
$res = get('GET', '/', $cookie);
is($res->{status}, 200, 'maintenance: GET with the cookie is served');
is($res->{body}, "hello\n", '... the real page');
is(get('POST', '/cgi-bin/cookie.cgi', $cookie, 'a=1')->{status}, 200, 'maintenance: POST with the cookie is served');
is(get('GET', '/', "other=1; $cookie")->{status}, 200, 'the cookie counts among other cookies');
like(error_log_since($log_off), qr/UPK0150: GET \/ passes with a staff bypass cookie/, 'UPK0150 at debug');
my $exempted = qr/^upkeep_requests_total\{scope="default",mode="maintenance",outcome="exempted"\} (\d+)$/m;
my $m = get('GET', '/upkeep-status?metrics')->{body};
my ($bypassed_now) = $m =~ $metric;
# three requests with the cookie; the status requests are exemptions
is($bypassed_now - $bypassed, 3, 'the status page counts them as bypassed');
cmp_ok(($m =~ $exempted)[0], '>=', 1, '... and the status requests (Upkeep off) as exempted, apart');

# --- the backend never sees it --------------------------------------------
$res = get('GET', '/cgi-bin/cookie.cgi', "a=1; $cookie; b=2");
is($res->{body}, "cookie=a=1; b=2\n", 'CGI: the bypass cookie is taken out, the others stay');
$res = get('GET', '/cgi-bin/cookie.cgi', $cookie);
is($res->{body}, "cookie=(none)\n", 'CGI: no Cookie header when it was the only one');
$res = http_get('GET', '/cgi-bin/cookie.cgi', [['Cookie', 'a=1'], ['Cookie', $cookie], ['Cookie', 'b=2']]);
is($res->{body}, "cookie=a=1; b=2\n", 'CGI: from several Cookie headers too');
my $h2 = `curl -sS --max-time 10 --http2-prior-knowledge -H 'Cookie: a=1' -H 'Cookie: $cookie' http://127.0.0.1:$port/cgi-bin/cookie.cgi`;
is($h2, "cookie=a=1\n", 'CGI over HTTP/2 (h2c): the bypass cookie is taken out');
$h2 = `curl -sS --max-time 10 --http2-prior-knowledge -o /dev/null -w '%{http_code}' -H 'Cookie: $cookie' http://127.0.0.1:$port/`;
is($h2, '200', 'HTTP/2: the cookie opens the site in maintenance');
$res = get('GET', '/proxied/cookie.cgi', "a=1; $cookie");
is($res->{status}, 200, 'mod_proxy: served with the cookie in maintenance');
is($res->{body}, "cookie=a=1\n", 'mod_proxy: the backend gets the other cookies only');
# httpd joins repeated Cookie headers with ", "
$res = http_get('GET', '/cgi-bin/cookie.cgi', [['Cookie', $cookie], ['Cookie', 'a=1']]);
is($res->{body}, "cookie=a=1\n", 'CGI: several Cookie headers, the bypass cookie first');
is(http_get('GET', '/', [['Cookie', $cookie], ['Cookie', 'a=1']])->{status}, 200, '... and it opens the site');
$res = http_get('GET', '/cgi-bin/cookie.cgi', [['Cookie', $cookie], ['Cookie', 'a=1'], ['Cookie', 'b=2; c=3']]);
is($res->{body}, "cookie=a=1; b=2; c=3\n", '... the others as one Cookie header');
# a browser sends the cookie to every port of the host name
my $other = `curl -sS --max-time 10 -H 'Cookie: a=1; $cookie' http://127.0.0.1:$backend/cgi-bin/cookie.cgi`;
is($other, "cookie=a=1\n", 'a virtual host without UpkeepBypassSecret takes it out too');
# thousands of pairs: one pass, whatever their order
my @many = ('a') x 2000;
$res = get('GET', '/cgi-bin/cookie.cgi', join('; ', 'upkeep_bypass_x=1', @many, $cookie));
is($res->{body}, 'cookie=' . join('; ', @many) . "\n", '2,000 other pairs around two of ours: all kept, in order');

# --- wrong tokens -----------------------------------------------------------
$log_off = error_log_offset();
my $wrong = reverse $token;
$res = get('GET', "/.upkeep/bypass/$wrong");
is($res->{status}, 404, 'a wrong token gets 404 in maintenance, not the 503 page');
ok(!defined $res->{headers}{'set-cookie'}, '... and no cookie');
is(get('GET', '/.upkeep/bypass/')->{status}, 404, 'no token: 404');
like(error_log_since($log_off), qr/UPK0153: a staff bypass URL with a wrong or outdated token: 404/, 'UPK0153 at info');
unlike(error_log_since($log_off), qr/\Q$wrong\E/, '... without the token');
ok(wait_for(2, sub { index(do { local $/; open my $f, '<', "$sr/logs/access.log"; <$f> }, '/.upkeep/bypass/ HTTP/1.1" 404') >= 0 }),
   'the 404 is logged without the token');
unlike(do { local $/; open my $f, '<', "$sr/logs/access.log"; <$f> }, qr/\Q$wrong\E/, 'a wrong token is not logged either');

# --- forged, expired, other scope ------------------------------------------
$log_off = error_log_offset();
my $future = time + 3600;
my $forged = cookie_for('default', $future);
substr($forged, -10, 1) = substr($forged, -10, 1) eq 'A' ? 'B' : 'A';
is(get('GET', '/', $forged)->{status}, 503, 'a forged MAC is refused');
is(get('GET', '/', cookie_for('default', $future, 'not-the-secret-0123456789'))->{status}, 503,
   'a cookie signed with another secret is refused');
(my $moved = $cookie) =~ s/:$expiry:/:$future:/;
is(get('GET', '/', $moved)->{status}, 503, 'a cookie with a changed expiry is refused');
is(get('GET', '/', 'upkeep_bypass_default=garbage')->{status}, 503, 'a malformed cookie is refused');
like(error_log_since($log_off), qr/UPK0152: ignored a bypass cookie of scope 'default': it has a bad signature/, 'UPK0152 at info');
is(get('GET', '/', cookie_for('default', time - 10))->{status}, 503, 'an expired cookie is refused');
like(error_log_since($log_off), qr/UPK0151: ignored a bypass cookie of scope 'default': it has expired/, 'UPK0151 at debug');
is(get('GET', '/', cookie_for('default', time + 86400))->{status}, 503,
   'a cookie that lives longer than UpkeepBypassTTL is refused');
is(get('GET', '/', cookie_for('default', time + 600))->{status}, 200, 'a cookie made by the documented recipe passes');

ctl_ok('--scope', 'api', 'maintenance');
is(get('GET', '/api/', $cookie)->{status}, 503, 'the default scope\'s cookie does not open the api scope');
$res = get('GET', "/.upkeep/bypass/$api_token");
is($res->{status}, 302, 'the api URL sets a cookie');
my $api_cookie = set_cookie_of($res);
like($api_cookie, qr/^upkeep_bypass_api=api:/, '... named for its scope');
is(get('GET', '/api/', $api_cookie)->{status}, 200, 'it opens the api scope');
is(get('GET', '/api/', "$cookie; $api_cookie")->{status}, 200, 'staff can hold both cookies');
is(get('GET', '/', $api_cookie)->{status}, 503, 'the api cookie does not open the default scope');
(my $renamed = $api_cookie) =~ s/^upkeep_bypass_api=/upkeep_bypass_default=/;
$log_off = error_log_offset();
is(get('GET', '/', $renamed)->{status}, 503, 'nor does it renamed to the default scope\'s cookie');
like(error_log_since($log_off), qr/UPK0152: ignored a bypass cookie of scope 'default': it is for scope 'api'/, '... logged');

# --- read-only and normal modes ----------------------------------------------
ctl_ok('readonly');
is(get('POST', '/cgi-bin/cookie.cgi', undef, 'a=1')->{status}, 503, 'readonly: a write without the cookie is refused');
is(get('POST', '/cgi-bin/cookie.cgi', $cookie, 'a=1')->{status}, 200, 'readonly: a write with the cookie is served');
ctl_ok('hold');
is(get('POST', '/cgi-bin/cookie.cgi', $cookie, 'a=1')->{status}, 200, 'hold: a write with the cookie is not held');
like(error_log_since($log_off), qr/UPK0150: POST \/cgi-bin\/cookie.cgi passes/, '... it passes at once');
unlike(error_log_since($log_off), qr/UPK0105/, '... without waiting out the hold');
ctl_ok('normal');
ctl_ok('--scope', 'api', 'normal');
is(get('GET', "/.upkeep/bypass/$token")->{status}, 302, 'normal: the URL still sets the cookie');
is(get('GET', '/cgi-bin/cookie.cgi', "$cookie; z=9")->{body}, "cookie=z=9\n", 'normal: the cookie is taken out too');

# --- rotating the secret ----------------------------------------------------
ctl_ok('maintenance');
set_secret('a-brand-new-staff-secret-fedcba9876543210');
restart_server('graceful');
is(get('GET', '/', $cookie)->{status}, 503, 'after a new secret and a graceful restart, old cookies are refused');
is(get('GET', "/.upkeep/bypass/$token")->{status}, 404, '... and the old URL is 404');
my $new_url = ctl_ok('bypass-url');
isnt($new_url, $url, 'bypass-url prints the new URL');
my ($new_token) = $new_url =~ m{/\.upkeep/bypass/(\S+)};
$res = get('GET', "/.upkeep/bypass/$new_token");
is($res->{status}, 302, 'the new URL works');
is(get('GET', '/', set_cookie_of($res))->{status}, 200, '... and its cookie too');
ctl_ok('normal');

# --- https, a custom path and TTL -------------------------------------------
start_server({ %spec, config => <<"EOF" });
ServerName https://localhost
UpkeepBypassSecret $secret_file
UpkeepBypassPath /staff-pass
UpkeepBypassTTL 1h
EOF
$url = ctl_ok('bypass-url');
like($url, qr{^https://localhost:$port/staff-pass/[A-Za-z0-9_-]{32}\n\z}, 'bypass-url follows the scheme and UpkeepBypassPath');
($token) = $url =~ m{/staff-pass/(\S+)};
$res = get('GET', "/staff-pass/$token");
is($res->{status}, 302, 'the custom path works');
like($res->{headers}{'set-cookie'} // '', qr/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure$/, 'Secure on https, Max-Age from UpkeepBypassTTL');
is(get('GET', "/.upkeep/bypass/$token")->{status}, 404, 'the default path is not the bypass then (a plain 404)');

# --- configuration errors ---------------------------------------------------
sub must_die {
    my ($config, $re, $name) = @_;
    stop_server();
    my $ok = eval { start_server({ config => $config }); 1 };
    ok(!$ok, "$name: apache2 refuses to start");
    like($@, $re, "$name: the error names the problem");
    stop_server();
}
open my $short, '>', "$dir/short.secret" or die $!;
print $short "tooshort\n";
close $short;
must_die("UpkeepBypassSecret $dir/missing", qr{UpkeepBypassSecret: cannot read \Q$dir\E/missing}, 'missing secret file');
must_die("UpkeepBypassSecret $dir/short.secret", qr{UpkeepBypassSecret: \Q$dir\E/short.secret holds fewer than 16 bytes}, 'short secret');
must_die("UpkeepBypassSecret $secret_file\nUpkeepBypassTTL soon", qr/UpkeepBypassTTL: 'soon' is not a duration/, 'bad TTL');
must_die("UpkeepBypassTTL 10s", qr/UpkeepBypassTTL: '10s' must be between 1m and 30d/, 'TTL too short');
must_die("UpkeepBypassPath staff", qr/UpkeepBypassPath: 'staff' is not a plain URL path/, 'bad path');
must_die("UpkeepBypassPath /", qr/UpkeepBypassPath: '\/' would take every path/, 'root path');
# httpd shows bytes outside ASCII as \xHH in the error
for (["/st\xc3\xa4ff/", '/st\xc3\xa4ff/'], '/a//b/', '/a/../b/', '/a/.', '/a"b/', '/a<b>/') {
    my ($path, $shown) = ref $_ ? @$_ : ($_, $_);
    must_die("UpkeepBypassPath $path", qr/UpkeepBypassPath: '\Q$shown\E' is not a plain URL path \(letters, digits and '-\._~' between single slashes\)/,
             "a path a browser would escape or rewrite: $shown");
}

# --- without UpkeepBypassSecret nothing is taken out -------------------------
start_server({ config => '' });
ok(!-e "$sr/state/bypass.conf", 'no bypass.conf without UpkeepBypassSecret');
($rc, $out, $err) = ctl('bypass-url');
is($rc, 1, 'bypass-url without a bypass exits 1');
like($err, qr/no staff bypass: httpd has no UpkeepBypassSecret/, '... saying so');
is(get('GET', '/cgi-bin/cookie.cgi', 'upkeep_bypass_default=x; a=1')->{body}, "cookie=upkeep_bypass_default=x; a=1\n",
   'without UpkeepBypassSecret the Cookie header is left alone');
is(get('GET', '/.upkeep/bypass/x')->{status}, 404, 'and the path is an ordinary one');

# --- bypass-url reads bypass.conf whole ---------------------------------------
{
    my $sd = tempdir('upkeep-bypass-conf-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    open my $bc, '>', "$sd/bypass.conf" or die $!;
    print $bc "# written by the test\nscopes default\n";
    printf $bc "url default http://site%04d.example.test/.upkeep/bypass/%s\n", $_, 'T' x 32 for 1 .. 1200;
    close $bc;
    ok(-s "$sd/bypass.conf" > 65536, 'a bypass.conf of ' . (-s "$sd/bypass.conf") . ' bytes (1,200 virtual hosts)');
    my ($rc, $out) = ctl('--state-dir', $sd, 'bypass-url');
    is($rc, 0, 'bypass-url exits 0');
    my @urls = split /\n/, $out;
    is(scalar @urls, 1200, '... and prints every URL');
    is($urls[-1], 'http://site1200.example.test/.upkeep/bypass/' . 'T' x 32, '... the last one whole');
    open $bc, '>', "$sd/bypass.conf" or die $!;
    print $bc '#' x 1023, "\n" for 1 .. 16 * 1024 + 1;
    close $bc;
    my $err;
    ($rc, $out, $err) = ctl('--state-dir', $sd, 'bypass-url');
    is($rc, 1, 'a bypass.conf over 16 MiB: exit 1');
    like($err, qr/^upkeepctl: \Q$sd\E\/bypass\.conf is larger than 16777216 bytes: not written by mod_upkeep\?$/m, '... saying so');
}

stop_server();

# --- a main server without virtual hosts: its URL carries the Listen port ----
# (ServerName without a port, as in demo/run-demo; the harness always uses
# a virtual host, so this one is started by hand and stopped by its PID)
{
    my $root = "$dir/plain";
    my $plain_port = free_port();
    mkdir $_ for $root, "$root/logs", "$root/state", "$root/htdocs";
    my $mods = '/usr/lib/apache2/modules';
    my $mpm = ($ENV{TEST_UPKEEP_MPM} // 'event') eq 'prefork' ? 'prefork' : 'event';
    my $module = $ENV{TEST_UPKEEP_MODULE} // "$FindBin::Bin/../.libs/mod_upkeep.so";
    open my $c, '>', "$root/httpd.conf" or die $!;
    print $c "ServerRoot $root\nServerName 127.0.0.1\nListen 127.0.0.1:$plain_port\n"
        . "PidFile $root/logs/httpd.pid\nErrorLog $root/logs/error.log\nDefaultRuntimeDir $root/logs\n"
        . "Mutex file:$root/logs default\n"
        . ($> == 0 ? "User www-data\nGroup www-data\n" : '')
        . "LoadModule mpm_${mpm}_module $mods/mod_mpm_$mpm.so\nLoadModule authz_core_module $mods/mod_authz_core.so\n"
        . "LoadModule upkeep_module $module\nDocumentRoot $root/htdocs\n"
        . "UpkeepStateDir $root/state\nUpkeepBypassSecret $secret_file\n";
    close $c;
    # an ASan build of the module needs its runtime loaded first (t/run-tests --asan)
    local $ENV{LD_PRELOAD} = $ENV{TEST_UPKEEP_PRELOAD} if $ENV{TEST_UPKEEP_PRELOAD};
    local $ENV{ASAN_OPTIONS} = 'detect_leaks=0:abort_on_error=0' if $ENV{TEST_UPKEEP_PRELOAD};
    system('/usr/sbin/apache2', '-d', $root, '-f', "$root/httpd.conf", '-k', 'start') == 0
        or BAIL_OUT("the plain httpd did not start: " . `tail -5 $root/logs/error.log`);
    # -k start returns once httpd detached, before its post_config wrote
    # bypass.conf (it listens even before that): wait for the file
    ok(wait_for(20, sub { -e "$root/state/bypass.conf" }), 'the plain httpd wrote bypass.conf');
    delete local $ENV{LD_PRELOAD};
    my $out = `$FindBin::Bin/../upkeepctl --state-dir $root/state bypass-url 2>&1`;
    like($out, qr{^http://127\.0\.0\.1:$plain_port/\.upkeep/bypass/[A-Za-z0-9_-]{32}\n\z},
         'a main server whose ServerName has no port: bypass-url names its Listen port') or diag($out);
    open my $pf, '<', "$root/logs/httpd.pid" or die $!;
    chomp(my $pid = <$pf>);
    kill 'TERM', $pid;
    for (1 .. 100) { last unless kill 0, $pid; select undef, undef, undef, 0.1 }
}

my @bad = fatal_log_lines(0);
ok(!@bad, 'no crash or sanitizer report in the error log') or diag(join "\n", @bad);
done_testing();
