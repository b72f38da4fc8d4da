# Refusals of writes over HTTP/2 (h2c), checked with nghttp.
#
# Why not curl: httpd answers a POST it refuses before reading its body,
# then ends the stream with RST_STREAM(NO_ERROR), as RFC 9113 8.1 allows
# ("a server can send a complete response prior to the client sending an
# entire request").  curl 7.88 (Debian 12) then reports "Stream error in
# the HTTP/2 framing layer" instead of the complete response it received,
# when the reset arrives before it sent the body (a packet capture shows
# the server's HEADERS, DATA with END_STREAM and RST_STREAM NO_ERROR in
# one segment).  Plain httpd does the same for any early error (a POST to
# a `Require all denied` location), so it is neither the module's nor
# httpd's bug; nghttp handles it as the RFC says.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use File::Temp qw(tempfile);

my $nghttp = -x '/usr/bin/nghttp' ? '/usr/bin/nghttp' : undef;
plan skip_all => 'nghttp (Debian nghttp2-client) is not installed' unless $nghttp;

my ($fh, $body) = tempfile(UNLINK => 1);
print $fh "x=1";
close $fh;

# The response of one POST over h2c: { status, headers (lowercased), body }.
sub h2_post {
    my ($path, @headers) = @_;
    my $url = 'http://127.0.0.1:' . port() . $path;
    my $out = `$nghttp -v -d $body @{[ map { "-H '$_'" } @headers ]} '$url' 2>&1`;
    my %h;
    $h{$1} = $2 while $out =~ /recv \(stream_id=\d+\) ([a-z:-]+): (.*)/g;
    (my $page = $out) =~ s/^\[[^\n]*\n//mg;    # nghttp's frame log lines
    return { status => $h{':status'} // 'none', headers => \%h, body => $page, raw => $out };
}

for my $case (['', 503], ['UpkeepReadOnlyStatus 409', 409]) {
    my ($conf, $status) = @$case;
    start_server($conf);
    ctl('readonly', '--reason', 'h2 test');
    my %got;
    for (1 .. 30) {
        my $r = h2_post('/');
        $got{$r->{status}}++;
        diag($r->{raw}) if $r->{status} ne $status && $got{$r->{status}} == 1;
    }
    is_deeply(\%got, { $status => 30 }, "readonly over h2c: 30 POSTs all get $status" . ($conf ? " ($conf)" : ''));
    my $r = h2_post('/', 'accept: application/json');
    is($r->{headers}{'retry-after'}, 60, 'retry-after is sent');
    is($r->{headers}{'content-type'}, 'application/problem+json', 'the JSON refusal over h2c');
    like($r->{body}, qr/"detail":"h2 test"/, 'with the reason');
    ctl('normal');
    is(h2_post('/')->{status}, 200, 'normal again: the POST is served');
}

done_testing();
