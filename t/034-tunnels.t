# Tunnels are writes (issue 11, "Upgrades count as writes"), with a real
# WebSocket-style tunnel through mod_proxy (ProxyPass ... upgrade=websocket)
# to a small echo backend forked here:
# - normal mode: the upgrade gets 101, bytes go both ways, and the open
#   tunnel is 1 write in flight (counted in post_read_request); `upkeepctl
#   readonly --wait --timeout 2s` cannot confirm (non-zero exit) but leaves
#   readonly in force; the open tunnel keeps echoing after the flip (flips do
#   not cut tunnels: documented); once the client closes it, none is in
#   flight and `readonly --wait` exits 0;
# - readonly: a new upgrade gets 503 with Retry-After and never reaches the
#   backend (the backend records every connection it accepts);
# - readonly with `UpkeepAllowWrites /ws`: the upgrade gets 101 and is
#   1 write in flight while open (counted by the gate), 0 after it closes;
# - maintenance: the upgrade gets 503 (UpkeepAllowWrites or not).
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use IO::Socket::INET;
use IO::Select;
use POSIX ();
use Time::HiRes qw(time sleep);

my $Dir = scratch_dir('tunnels');
my $Seen = "$Dir/backend.log";    # one line per connection the backend accepts
my $BackPort = free_port();
my $Owner = $$;
my $BackPid;

# ------------------------------------------------------------------ the backend
# One process, select() over its connections.  Per connection: "accept N"
# when accepted, "request N METHOD PATH upgrade=VALUE" once its head is in.
# An upgrade is answered with 101 and then every byte is echoed back; any
# other request gets a 200 and the connection is closed.
sub start_backend {
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $BackPort,
                                  Proto => 'tcp', Listen => 16, ReuseAddr => 1)
        or die "backend: cannot listen on 127.0.0.1:$BackPort: $!\n";
    my $pid = fork // die "fork: $!";
    if ($pid) { close $l; return $pid }
    eval {
        local $SIG{PIPE} = 'IGNORE';
        my $log = sub {
            open my $fh, '>>', $Seen or die "$Seen: $!";
            syswrite $fh, "$_[0]\n";
            close $fh;
        };
        my $sel = IO::Select->new($l);
        my (%c, $n);
        while (1) {
            for my $fh ($sel->can_read(1)) {
                if ($fh == $l) {
                    my $s = $l->accept or next;
                    $c{$s} = { n => ++$n, buf => '', tunnel => 0 };
                    $log->("accept $n");
                    $sel->add($s);
                    next;
                }
                my $st = $c{$fh};
                my $got = sysread $fh, my $data, 65536;
                if (!$got) { $sel->remove($fh); delete $c{$fh}; close $fh; next }
                if ($st->{tunnel}) { syswrite $fh, $data; next }
                $st->{buf} .= $data;
                next unless $st->{buf} =~ s/\A(.*?\r\n)\r\n//s;
                my $head = $1;
                my ($method, $path) = $head =~ /\A(\S+) (\S+)/;
                my ($up) = $head =~ /^Upgrade:[ \t]*([^\r\n]*)/mi;
                $log->("request $st->{n} $method $path upgrade=" . ($up // '-'));
                if (defined $up && $up =~ /^websocket$/i) {
                    syswrite $fh, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        . "Connection: Upgrade\r\n\r\n";
                    $st->{tunnel} = 1;
                    syswrite $fh, delete $st->{buf} if length $st->{buf};
                } else {
                    syswrite $fh, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                        . "Content-Length: 11\r\nConnection: close\r\n\r\nno upgrade\n";
                    $sel->remove($fh); delete $c{$fh}; close $fh;
                }
            }
        }
    };
    POSIX::_exit(1);    # never run the harness's END blocks here
}
sub stop_backend {
    return unless $BackPid && $$ == $Owner;
    kill 'TERM', $BackPid;
    waitpid $BackPid, 0;
    undef $BackPid;
}
END { stop_backend() }

sub seen { scalar slurp_lines($Seen) }

# ------------------------------------------------------------------ the client
# Sends an upgrade for $path and reads the response head (and a body by its
# Content-Length).  Returns {sock, status, head, headers => {lc name => v}, body}.
sub open_tunnel {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(),
                                  Proto => 'tcp', Timeout => 5)
        or die "connect: $!\n";
    local $SIG{PIPE} = 'IGNORE';
    syswrite $s, "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n"
        . "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        . "Sec-WebSocket-Version: 13\r\n\r\n";
    my $sel = IO::Select->new($s);
    my ($buf, $end) = ('', time + 5);
    while ($buf !~ /\r\n\r\n/ && time < $end && $sel->can_read($end - time)) {
        sysread($s, $buf, 65536, length $buf) or last;
    }
    my $t = { sock => $s, status => 0, head => '', headers => {}, body => '' };
    return $t unless $buf =~ s/\A(.*?)\r\n\r\n//s;
    $t->{head} = $1;
    ($t->{status}) = $t->{head} =~ m{\AHTTP/1\.\d (\d{3})};
    $t->{headers}{lc $1} = $2 while $t->{head} =~ /^([\w-]+):[ \t]*([^\r\n]*)/mg;
    if (my $len = $t->{headers}{'content-length'}) {
        while (length $buf < $len && time < $end && $sel->can_read($end - time)) {
            sysread($s, $buf, 65536, length $buf) or last;
        }
    }
    $t->{body} = $buf;
    return $t;
}

# Sends $msg down the tunnel; returns what came back (up to length $msg, 3 s).
sub echo {
    my ($t, $msg) = @_;
    local $SIG{PIPE} = 'IGNORE';
    syswrite $t->{sock}, $msg or return "(write failed: $!)";
    my $sel = IO::Select->new($t->{sock});
    my ($buf, $end) = ('', time + 3);
    while (length $buf < length $msg && time < $end && $sel->can_read($end - time)) {
        sysread($t->{sock}, $buf, 65536, length $buf) or last;
    }
    return $buf;
}

sub inflight { my $s = scope_json(status_json(), $_[0]); $s ? $s->{inflight_writes} : -1 }
sub mode { my $s = scope_json(status_json(), $_[0]); $s ? $s->{mode} : '?' }
sub wait_inflight {
    my ($n, $what, $timeout) = @_;
    my $t = wait_until(sub { inflight() == $n }, $timeout // 5);
    ok(defined $t, "$what: $n write(s) in flight" . (defined $t ? sprintf(' (after %s)', fmt_ms($t)) : ''))
        or diag('inflight_writes: ' . inflight());
}
sub flip {
    my ($rc, $out, $err) = ctl(@_);
    is($rc, 0, "upkeepctl @_ exits 0") or diag("stdout: $out\nstderr: $err");
}
# An upgrade the module must refuse: 503, and the backend never hears of it.
sub refused {
    my ($what, $retry_after) = @_;
    my $before = seen();
    my $t = open_tunnel('/ws/echo');
    is($t->{status}, 503, "$what: the upgrade gets 503") or diag($t->{head});
    if ($retry_after) {
        like($t->{headers}{'retry-after'} // '', qr/^\d+$/, "$what: with Retry-After");
    }
    unlike($t->{head}, qr/^Upgrade:/mi, "$what: no Upgrade in the answer");
    close $t->{sock};
    sleep 0.3;
    is(seen(), $before, "$what: the backend accepted no connection")
        or diag(join "\n", slurp_lines($Seen));
    is(inflight(), 0, "$what: nothing in flight");
}

my $Proxy = "ProxyPass /ws/ http://127.0.0.1:$BackPort/ws/ upgrade=websocket\n";

$BackPid = start_backend();
start_server($Proxy);
my $log_off = error_log_offset();
flip('normal');

# ------------------------------------------------------------------ normal mode: an open tunnel is a write in flight
{
    my $t = open_tunnel('/ws/echo');
    is($t->{status}, 101, 'normal: the upgrade gets 101 Switching Protocols') or diag($t->{head});
    like($t->{headers}{upgrade} // '', qr/^websocket$/i, 'normal: Upgrade: websocket');
    is(echo($t, "ping 1\n"), "ping 1\n", 'normal: an echo round-trip through the tunnel');
    like((slurp_lines($Seen))[-1] // '', qr{^request \d+ GET /ws/echo upgrade=websocket$},
         'the backend got the upgrade');
    wait_inflight(1, 'normal: the open tunnel');

    my $t0 = time;
    my ($rc, $out, $err) = ctl('readonly', '--wait', '--timeout', '2s');
    my $dt = time - $t0;
    ok($rc == 1 || $rc == 3, "readonly --wait --timeout 2s with the tunnel open does not report success (exit $rc)");
    like($err, qr/timed out|could not confirm/i, 'it says it timed out / could not confirm') or diag($err);
    like($err, qr/1 write/, 'it names the 1 write still in flight') or diag($err);
    cmp_ok($dt, '>=', 1.9, 'it waited the 2 s (' . fmt_ms($dt) . ')');
    is(mode(), 'readonly', 'the scope is readonly afterwards: the flip stays in force');

    is(echo($t, "ping 2\n"), "ping 2\n", 'readonly: the tunnel opened before the flip still echoes (flips do not cut tunnels)');
    is(inflight(), 1, 'readonly: it is still 1 write in flight');

    close $t->{sock};
    wait_inflight(0, 'after the client closed the tunnel');
    $t0 = time;
    ($rc, $out, $err) = ctl('readonly', '--wait', '--timeout', '5s');
    is($rc, 0, 'readonly --wait --timeout 5s exits 0 once the tunnel is closed') or diag($err);
    like($out, qr/no write in flight/, 'it says no write is in flight');
    cmp_ok(time - $t0, '<', 1, 'at once');
}

# ------------------------------------------------------------------ readonly: refused, the backend never sees it
flip('readonly');
refused('readonly', 1);

# ------------------------------------------------------------------ maintenance: refused
flip('maintenance');
refused('maintenance', 1);
flip('normal');

# ------------------------------------------------------------------ readonly with UpkeepAllowWrites /ws
start_server("${Proxy}UpkeepAllowWrites /ws\n");
flip('readonly');
{
    my $before = seen();
    my $t = open_tunnel('/ws/echo');
    is($t->{status}, 101, 'readonly + UpkeepAllowWrites /ws: the upgrade gets 101') or diag($t->{head});
    is(echo($t, "ping 3\n"), "ping 3\n", 'readonly + UpkeepAllowWrites /ws: an echo round-trip');
    is(seen(), $before + 2, 'the backend accepted it');
    wait_inflight(1, 'readonly + UpkeepAllowWrites /ws: the open tunnel');
    close $t->{sock};
    wait_inflight(0, 'readonly + UpkeepAllowWrites /ws: after the client closed it');
    my ($rc, undef, $err) = ctl('readonly', '--wait', '--timeout', '5s');
    is($rc, 0, 'readonly --wait exits 0 afterwards') or diag($err);
}
# UpkeepAllowWrites does not hold in maintenance
flip('maintenance');
refused('maintenance + UpkeepAllowWrites /ws', 1);
flip('normal');

stop_backend();
my $log = error_log_since($log_off);
unlike($log, qr/Segmentation fault|AddressSanitizer|runtime error:|exit signal|\[core:emerg\]/,
       'error log has no crash or sanitizer report');
ok(server_alive(), 'apache2 parent still alive');
stop_server();
done_testing();
