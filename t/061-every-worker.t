# A flip is visible to every httpd child at once: the request sent right
# after upkeepctl returns gets the new mode, whichever child serves it.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use IO::Socket::INET;
use IO::Select;

my $Mpm = $ENV{TEST_UPKEEP_MPM} || 'event';

start_server('');
for my $scope (glob servroot() . '/state/*.state') {
    (my $name = $scope) =~ s{.*/|\.state$}{}g;
    ctl('--scope', $name, 'normal');
}

sub flip {
    my @args = @_;
    my ($rc, $out, $err) = ctl(@args);
    is($rc, 0, "upkeepctl @args exits 0") or diag("stdout: $out\nstderr: $err");
}

# 1. fresh connections land on random children.
my (%bad, %seen);
for my $round (1 .. 30) {
    my ($rc) = ctl('maintenance', '--reason', "round $round");
    my $r = http_get('GET', '/');
    push @{ $bad{maintenance} }, "round $round: rc $rc, " . ($r->{status} // $r->{error})
        unless $rc == 0 && ($r->{status} // 0) == 503 && $r->{body} =~ /round $round</;
    ($rc) = ctl('normal');
    $r = http_get('GET', '/');
    push @{ $bad{normal} }, "round $round: rc $rc, " . ($r->{status} // $r->{error})
        unless $rc == 0 && ($r->{status} // 0) == 200;
}
ok(!$bad{maintenance}, 'a GET right after every flip to maintenance gets 503 with the new reason (30 rounds)')
    or diag(join "\n", @{ $bad{maintenance} });
ok(!$bad{normal}, 'a GET right after every flip back to normal gets 200 (30 rounds)')
    or diag(join "\n", @{ $bad{normal} });

# 2. keep-alive connections pinned to children before the flip: after the
#    flip, the next request on each of them is refused, so every child that
#    holds one saw the flip without a restart.
sub ka_open {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(),
                                  Proto => 'tcp', Timeout => 5) or die "connect: $!\n";
    return $s;
}

# One request on a keep-alive connection; returns (status, body, headers).
sub ka_request {
    my ($s, $method, $body) = @_;
    $body //= '';
    print {$s} "$method / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " . length($body)
        . "\r\n\r\n$body" or return (undef, "send: $!");
    my ($buf, $sel) = ('', IO::Select->new($s));
    my ($head, $len);
    while ($sel->can_read(5)) {
        my $n = sysread $s, $buf, 65536, length $buf;
        last unless $n;
        if (!defined $head && $buf =~ /\r\n\r\n/) {
            ($head, $buf) = split /\r\n\r\n/, $buf, 2;
            ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        }
        last if defined $head && defined $len && length $buf >= $len;
    }
    return (undef, "no response") unless defined $head;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    return ($status, $buf, $head);
}

my $access = servroot() . '/logs/access.log';
for my $round (1 .. 5) {
    my @conns = map { ka_open() } 1 .. 8;
    my @pre = map { (ka_request($_, 'GET'))[0] // 'none' } @conns;
    is_deeply(\@pre, [(200) x 8], "round $round: 8 keep-alive connections served in normal mode");
    my $off = -s $access;
    flip('maintenance', '--reason', "ka $round");
    my @post = map { my ($st, $b) = ka_request($_, 'GET'); ($st // 'none') . (($b // '') =~ /ka $round</ ? '' : ' (old reason)') } @conns;
    is_deeply(\@post, [(503) x 8], "round $round: the next request on each of them gets 503 at once");
    close $_ for @conns;

    # prefork serves one connection per child: 8 held connections are 8 children
    select undef, undef, undef, 0.3;    # the log line follows the response
    open my $fh, '<', $access or die "$access: $!";
    seek $fh, $off, 0;
    my %pids = map { /pid=(\d+) mode=maintenance/ ? ($1 => 1) : () } <$fh>;
    close $fh;
    if ($Mpm eq 'prefork') {
        cmp_ok(scalar keys %pids, '>=', 8, "round $round: the refusals came from 8 different prefork children");
    } else {
        note("round $round: refusals served by " . scalar(keys %pids) . " process(es)");
    }

    @conns = map { ka_open() } 1 .. 8;
    @pre = map { (ka_request($_, 'POST', 'a=1'))[0] // 'none' } @conns;
    is_deeply(\@pre, [(503) x 8], "round $round: new keep-alive connections get 503 in maintenance");
    close $_ for @conns;
    @conns = map { ka_open() } 1 .. 8;
    flip('readonly');
    @post = map { (ka_request($_, 'POST', 'a=1'))[0] // 'none' } @conns;
    is_deeply(\@post, [(503) x 8], "round $round: connections opened before the flip to readonly refuse POST");
    close $_ for @conns;
    @conns = map { ka_open() } 1 .. 8;
    @pre = map { (ka_request($_, 'GET'))[0] // 'none' } @conns;
    is_deeply(\@pre, [(200) x 8], "round $round: GET passes in readonly on 8 keep-alive connections");
    flip('normal');
    @post = map { (ka_request($_, 'POST', 'a=1'))[0] // 'none' } @conns;
    is_deeply(\@post, [(200) x 8], "round $round: after the flip to normal, POST on each of them passes at once");
    close $_ for @conns;
}

my $log = error_log_since(0);
unlike($log, qr/Segmentation fault|AddressSanitizer|runtime error:|exit signal/,
       'error log has no crash or sanitizer report');
ok(server_alive(), 'apache2 parent still alive');
stop_server();
done_testing();
