# The built-in refusal pages in a real browser (Debian's chromium, headless):
# what a visitor sees once the page is rendered and its script has run, and
# proof that the page fetches nothing from anywhere but the server itself.
#
# UPKEEP_SCREENSHOT_DIR=DIR also saves the screenshots there
# (docs/screenshot does that for the README's pictures).
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use JSON::PP ();

use Test::Upkeep::Chromium;

my $Tmp = chromium_tmp();
my $Shots = $ENV{UPKEEP_SCREENSHOT_DIR};
my $Origin = chromium_origin();

# URLs the page asked for, from chromium's net log: requests whose network
# isolation key is the test origin's site, i.e. made on behalf of the page
# (chromium's own background requests carry another key).
sub page_requests {
    my ($netlog) = @_;
    my $log = JSON::PP->new->decode(slurp_file($netlog));
    my $type = $log->{constants}{logEventTypes}{URL_REQUEST_START_JOB};
    my @urls;
    for my $e (@{ $log->{events} }) {
        my $p = $e->{params} or next;
        next unless $e->{type} == $type && defined $p->{url};
        push @urls, $p->{url}
            if ($p->{network_isolation_key} // '') =~ m{^http://127\.0\.0\.1 }
            || ($p->{request_type} // '') eq 'main frame';
    }
    return @urls;
}


sub ctl_ok {
    my ($rc, $out, $err) = ctl(@_);
    is($rc, 0, "upkeepctl @_") or diag($err);
    return $out;
}

# A template with outside assets, to show the net-log check can fail.
open my $fh, '>', "$Tmp/leaky.html" or die "$Tmp/leaky.html: $!";
print $fh <<'EOF';
<!DOCTYPE html><html lang="en"><head><title>leaky</title>
<link rel="stylesheet" href="https://fonts.example.com/css">
</head><body><h1>{{reason}}</h1><img src="http://cdn.example.net/logo.png" alt=""></body></html>
EOF
close $fh;
start_server(<<"EOF");
<Location /ro>
    UpkeepScope ro
    # only OPTIONS is safe, so a browser's GET gets the read-only refusal
    UpkeepSafeMethods OPTIONS
</Location>
<Location /fast>
    UpkeepScope fast
    UpkeepRefresh 5
</Location>
<Location /leaky>
    UpkeepPage $Tmp/leaky.html
</Location>
EOF
ctl_ok('maintenance', '--reason', q{We're moving to a faster database & new disks.}, '--for', '30m');
my $status = JSON::PP->new->decode(ctl_ok('status', '--json'));
my ($until) = map { $_->{until} } grep { $_->{scope} eq 'default' } @{ $status->{scopes} };
like($until, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "the window has an end: $until");

# --- what the server sends: small, self-contained
my $r = http_get('GET', '/');
is($r->{status}, 503, 'maintenance: 503');
my $html = $r->{body};
cmp_ok(length $html, '<', 6 * 1024, 'the built-in page is small (' . length($html) . ' bytes)');
unlike($html, qr{https?:|//[\w.-]+\.\w}i, 'the built-in page holds no URL');
unlike($html, qr{\b(?:src|href|srcset|action|poster|data)\s*=}i,
       'the built-in page links to nothing');
unlike($html, qr{\@import|url\s*\(}i, 'its style loads nothing');
my $reload = $r->{headers}{'retry-after'} > 60 ? 60 : $r->{headers}{'retry-after'};
like($html, qr{<meta http-equiv="refresh" content="$reload">},
     "it reloads itself after the Retry-After, at most 60 s (${reload}s)");

# --- what the browser shows: maintenance page, script run
my $off = -s servroot() . '/logs/access.log';
my $dom = chromium('/', "--log-net-log=$Tmp/net.json", '--dump-dom');
like($dom, qr{<html lang="en"}, 'DOM: <html lang="en">');
like($dom, qr{<title>Down for maintenance</title>}, 'DOM: a meaningful title');
is(scalar(() = $dom =~ /<h1\b/g), 1, 'DOM: one h1');
like($dom, qr{<meta name="viewport" content="width=device-width, initial-scale=1">},
     'DOM: a viewport meta (responsive)');
like($dom, qr{<p class="reason">We're moving to a faster database &amp; new disks\.</p>},
     'DOM: the reason, as text');
like($dom, qr{<time datetime="\Q$until\E"[^>]*>[^<]*\w[^<]*</time>},
     'DOM: <time datetime=...> holds the end of the window');
like($dom, qr{<time [^>]*title="\w\w\w, \d\d \w\w\w \d{4} \d\d:\d\d:\d\d GMT"},
     'DOM: the script moved the HTTP-date into the title, showing local time');
like($dom, qr{<p class="when">Time left: <span id="countdown" [^>]*>(?:\d+ h )?\d+ min \d+ s</span></p>},
     'DOM: the countdown is shown and filled in (the script ran)');

my @urls = page_requests("$Tmp/net.json");
ok((grep { $_ eq "$Origin/" } @urls), 'net log: the page itself was requested')
    or diag("requests: @urls");
is_deeply([grep { index($_, "$Origin/") != 0 } @urls], [],
          'net log: nothing fetched from anywhere else');
my $log = substr(slurp_file(servroot() . '/logs/access.log'), $off);
is_deeply([grep { !m{"GET /(?:favicon\.ico)? HTTP} } split /\n/, $log], [],
          'access log: chromium asked for / (and the favicon), nothing else');

# --- the check above would see an outside fetch: a template with two
my $leaky = chromium('/leaky', "--log-net-log=$Tmp/leaky.json", '--dump-dom');
like($leaky, qr{<title>leaky</title>}, 'a template with outside assets renders');
my @outside = sort grep { index($_, "$Origin/") != 0 } page_requests("$Tmp/leaky.json");
is_deeply(\@outside, ['http://cdn.example.net/logo.png', 'https://fonts.example.com/css'],
          'net log: its outside fetches are seen (so the check above can fail)');

# --- the read-only refusal page: no reload, a countdown
ctl_ok('--scope', 'ro', 'readonly', '--reason', 'Moving to new disks', '--for', '10m');
my $ro = chromium('/ro/', '--dump-dom');
like($ro, qr{<title>Read-only mode</title>}, 'read-only DOM: its title');
like($ro, qr{<p class="reason">Moving to new disks</p>}, 'read-only DOM: the reason');
unlike($ro, qr{http-equiv="refresh"}, 'read-only DOM: no self-reload (it answers a write)');
like($ro, qr{<span id="countdown" [^>]*>\d+ min \d+ s</span>}, 'read-only DOM: the countdown ran');

# --- the page reloads itself: UpkeepRefresh 5 (a real browser, real time)
ctl_ok('--scope', 'fast', 'maintenance');
my $fast = http_get('GET', '/fast')->{body};
like($fast, qr{<meta http-equiv="refresh" content="5">}, 'UpkeepRefresh 5: the meta refresh says 5');
like($fast, qr{try again in <span id="countdown" data-left="5">5 seconds</span>},
     '... and the countdown counts down to it');
$off = -s servroot() . '/logs/access.log';
my $c = chromium_start('/fast');
ok(wait_for(60, sub {
    my $log = substr(slurp_file(servroot() . '/logs/access.log'), $off);
    scalar(() = $log =~ m{"GET /fast HTTP}g) >= 2 }),
   'the browser asked for the page again by itself');
chromium_stop($c, 0);
ctl_ok('--scope', 'fast', 'normal');

# --- screenshots: the page renders (desktop and phone)
for my $shot (['maintenance-page.png', '1280,800'], ['maintenance-page-mobile.png', '390,844']) {
    my ($name, $size) = @$shot;
    chromium('/', "--window-size=$size", "--screenshot=$Tmp/$name");
    my $png = slurp_file("$Tmp/$name");
    like(substr($png, 0, 8), qr/^\x89PNG/, "screenshot $name ($size) is a PNG");
    cmp_ok(length $png, '>', 10_000, "... with something on it");
    if ($Shots) {
        open my $fh, '>:raw', "$Shots/$name" or die "$Shots/$name: $!";
        print $fh $png;
        close $fh;
    }
}

my @fatal = fatal_log_lines(0);
is_deeply(\@fatal, [], 'error log: no crash or sanitizer report');
ok(server_alive(), 'apache2 parent still alive');
ctl_ok('normal');
ctl_ok('--scope', 'ro', 'normal');
stop_server();
done_testing();
