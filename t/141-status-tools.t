# The status page in the tools people point at it (issue 15): ?metrics
# passes `promtool check metrics` with no findings (with a cluster, a
# window in force and counters that moved), and the HTML view fits a
# phone (390 px) and a desktop (1280 px) in a real browser without
# sideways scrolling, with a drained node, a long reason and every time
# on one line.
#
# promtool comes from Debian's prometheus package: from PATH, else taken
# out of the downloaded package (apt-get download, never installed: the
# package would start a server).  Skipped, with the reason, where neither
# works.  UPKEEP_SCREENSHOT_DIR=DIR saves the screenshots there
# (docs/screenshot does that for the README).
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use File::Temp qw(tempdir);
use Test::Upkeep::Chromium;
use JSON::PP ();

my $Tmp = chromium_tmp();
my $Shots = $ENV{UPKEEP_SCREENSHOT_DIR};

my $mc = start_memcached();
start_server({
    main_config => "UpkeepMemcached 127.0.0.1:$mc\nUpkeepSyncInterval 200ms\n",
    config => <<'EOF',
<Location /upkeep-status>
    SetHandler upkeep-status
    Upkeep off
</Location>
UpkeepExempt /free
UpkeepHealthCheck /health
<Location /shop>
    UpkeepScope shop
</Location>
<Location /probe>
    UpkeepBanner off
</Location>
<Location /a-scope-with-a-long-name-for-the-card-title>
    UpkeepScope a-scope-with-a-long-name-for-the-card-title
</Location>
EOF
});
# procedural tests write their own files
my $Frame = <<'EOF';
<!DOCTYPE html>
<html><head><meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{margin:0}iframe{display:block;border:0;height:100vh}</style>
</head><body><iframe id="f"></iframe>
<script>
/* #WIDTH,PATH: the page at PATH in a frame WIDTH px wide (chromium's
 * windows are at least 500 px wide); what it looks like, as JSON */
var arg = location.hash.slice(1).split(','), f = document.getElementById('f');
f.style.width = (arg[0] || '1280') + 'px';
f.src = decodeURIComponent(arg[1] || '/upkeep-status?refresh=0');
f.onload = function () {
    var d = this.contentDocument, w = this.contentWindow, split = 0;
    d.querySelectorAll('time').forEach(function (t) {
        if (t.getClientRects().length > 1) split++;
    });
    var h1 = d.querySelector('h1'), banner = d.getElementById('upkeep-banner');
    var p = document.createElement('pre');
    p.id = 'result';
    p.textContent = JSON.stringify({
        scrollWidth: d.documentElement.scrollWidth, innerWidth: w.innerWidth,
        split: split, cards: d.querySelectorAll('section').length,
        alerts: d.querySelectorAll('.alert').length,
        lang: d.documentElement.lang, h1: h1 ? h1.textContent : '',
        banner: banner ? banner.getAttribute('lang') || '?' : '',
        bannerWidth: banner ? banner.getBoundingClientRect().width : 0 });
    document.body.appendChild(p);
};
</script></body></html>
EOF
mkdir servroot() . "/htdocs/$_" for qw(free probe);
for ([ 'free/index.html', "<!DOCTYPE html>\n<html><head><title>free</title></head><body><p>free</p></body></html>\n" ], [ 'probe/frame.html', $Frame ]) {
    open my $fh, '>', servroot() . "/htdocs/$_->[0]" or die "$_->[0]: $!";
    print $fh $_->[1];
    close $fh;
}

sub ok_ctl {
    my ($rc, $out, $err) = ctl(@_);
    is($rc, 0, "upkeepctl @_") or diag("$out$err");
}
ok_ctl('--local', 'readonly', '--for', '10m', '--reason',
       'Database upgrade: the orders table is being rebuilt, which takes a while on a large shop');
ok_ctl('--scope', 'shop', 'maintenance', '--until', '+1h');
ok_ctl('drain');
for (1 .. 3) {
    http_get('POST', '/', undef, 'a=1', 5);          # refused
    http_get('POST', '/free/', undef, 'a=1', 5);     # exempted
}

# ------------------------------------------------------------------ promtool
SKIP: {
    my $promtool = promtool() or skip(our $NoPromtool, 3);
    ok(wait_for(3, sub { http_get('GET', '/upkeep-status?metrics', undef, undef, 5)->{body} =~ /^upkeep_sync_last_success_timestamp_seconds \d+$/m }),
       'metrics: a cluster poll succeeded');
    my $m = http_get('GET', '/upkeep-status?metrics', undef, undef, 5)->{body};
    open my $fh, '>', "$Tmp/metrics.txt" or die;
    print $fh $m;
    close $fh;
    my $out = `$promtool check metrics < $Tmp/metrics.txt 2>&1`;
    is($? >> 8, 0, 'promtool check metrics exits 0');
    is($out, '', 'promtool check metrics has no findings') or diag($m);
}

# ------------------------------------------------------------------ browser
# What the frame saw of PATH at WIDTH px (and a screenshot, NAME.png).
sub look {
    my ($w, $path, $name, @flags) = @_;
    my $hash = "$w," . ($path =~ s/([^\w\/.-])/sprintf '%%%02X', ord $1/ger);
    my $dom = chromium("/probe/frame.html#$hash", "--window-size=" . ($w < 500 ? 500 : $w) . ",1000", '--dump-dom', @flags);
    my ($json) = $dom =~ m{<pre id="result">(.*?)</pre>}s;
    my $v = eval { JSON::PP->new->utf8->decode(($json // '') =~ s/&quot;/"/gr =~ s/&lt;/</gr =~ s/&gt;/>/gr =~ s/&amp;/&/gr) };
    if (!$v) {
        fail("$name: the probe ran");
        diag($dom);
        return {};
    }
    is($v->{innerWidth}, $w, "$name: the page is $w px wide");
    cmp_ok($v->{scrollWidth}, '<=', $v->{innerWidth}, "$name: no sideways scrolling (scrollWidth $v->{scrollWidth} <= innerWidth $v->{innerWidth})");
    # the status page's times are tokens; the pages' are prose
    is($v->{split}, 0, "$name: no time is split across lines") if $name =~ /^status-page/;
    chromium("/probe/frame.html#$hash", "--window-size=$w,900", "--screenshot=$Tmp/$name.png", @flags);
    ok(-s "$Tmp/$name.png" > 1000, "$name: a screenshot");
    if ($Shots) {
        open my $fh, '>:raw', "$Shots/$name.png" or die "$Shots/$name.png: $!";
        print $fh slurp_file("$Tmp/$name.png");
        close $fh;
    }
    return $v;
}

for my $w (390, 1280) {
    my $v = look($w, '/upkeep-status?refresh=0', "status-page-$w");
    is(($v->{cards} // '') . ' ' . ($v->{alerts} // ''), '3 3', "$w px: three scope cards; the drain and both non-normal scopes stand out");
    is($v->{banner}, '', "$w px: no banner on the status page");
}
# the maintenance page (scope shop) in two languages, as a browser asks
for my $l (['en', 'en-US,en', "We\x{2019}ll be back soon|We'll be back soon"], ['de', 'de-DE,de', 'Wir sind gleich wieder da']) {
    my ($lang, $accept, $h1) = @$l;
    for my $w (390, 1280) {
        my $v = look($w, '/shop/', "maintenance-page-$lang-$w", "--accept-lang=$accept");
        is($v->{lang}, $lang, "maintenance page, $lang, $w px: <html lang=\"$lang\">");
        like($v->{h1} // '', qr/^(?:$h1)$/, "maintenance page, $lang, $w px: the heading is in that language");
    }
}
# the banner of a page in read-only mode (scope default), in German
{
    my $v = look(390, '/free/', 'banner-de-390', '--accept-lang=de-DE,de');
    is($v->{banner}, 'de', 'banner, 390 px: there, in German');
    cmp_ok($v->{bannerWidth}, '>=', 390, "banner, 390 px: edge to edge, whatever the body's margin ($v->{bannerWidth} px)");
}

ok_ctl('undrain');
stop_server();
done_testing();

# promtool from PATH, or from Debian's prometheus package (only promtool
# is kept, in t/.promtool/, between runs; .gitignore'd).
sub promtool {
    for (split /:/, $ENV{PATH}) {
        return "$_/promtool" if -x "$_/promtool";
    }
    my $kept = 't/.promtool/promtool';
    return $kept if -x $kept;
    my $dl = tempdir('upkeep-promtool-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $log = `cd $dl && apt-get download prometheus 2>&1`;
    my ($deb) = glob("$dl/prometheus_*.deb");
    if (!$deb || system('dpkg', '-x', $deb, "$dl/x") != 0 || !-x "$dl/x/usr/bin/promtool"
        || !mkdir('t/.promtool') && !-d 't/.promtool'
        || system('cp', "$dl/x/usr/bin/promtool", $kept) != 0) {
        our $NoPromtool = "no promtool: not on PATH and apt-get download prometheus failed ($log)";
        return undef;
    }
    return $kept;
}
