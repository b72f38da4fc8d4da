package Test::UpkeepOps;
# Helpers for the helper-based tests of issue 4 (t/120-hold.t,
# t/130-inflight.t, t/140-status.t): concurrent requests on plain sockets
# with arrival times, upkeepctl run in the background (for latency
# figures), status --json polling, CGIs and a scratch directory that the
# CGIs (www-data) may write to.  Plain Perl: no Spiffy source filter here.
use strict;
use warnings;
use Exporter 'import';
use File::Path qw(remove_tree);
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time sleep);
use Test::Upkeep ();

our @EXPORT = qw(
    ctl_bin state_dir status_json scope_json wait_until
    start_req pump response_of flip_async flip_reap kill_children
    write_cgi scratch_dir slurp_lines fmt_ms summary
);

my $OwnerPid = $$;

sub ctl_bin {
    return $ENV{TEST_UPKEEP_CTL} if $ENV{TEST_UPKEEP_CTL} && $ENV{TEST_UPKEEP_CTL} =~ m{^/};
    (my $root = Test::Upkeep::servroot()) =~ s{/t/servroot[^/]*$}{};
    return "$root/upkeepctl";
}
sub state_dir { Test::Upkeep::servroot() . '/state' }

# upkeepctl status --json, decoded (dies on a bad exit or bad JSON).
sub status_json {
    my @args = @_;
    my ($rc, $out, $err) = Test::Upkeep::ctl(@args, 'status', '--json');
    die "upkeepctl status --json exited $rc: $err\n" if $rc;
    return JSON::PP::decode_json($out);
}

sub scope_json {
    my ($j, $name) = @_;
    my ($s) = grep { $_->{scope} eq ($name // 'default') } @{ $j->{scopes} || [] };
    return $s;
}

# Polls $cb every 20 ms (meanwhile pumping $reqs if given) until it is true
# or $timeout s pass.  Returns the seconds it took, or undef.
sub wait_until {
    my ($cb, $timeout, $reqs) = @_;
    my $t0 = time;
    while (1) {
        return time - $t0 if $cb->();
        return undef if time - $t0 > $timeout;
        $reqs ? pump($reqs, 0.02) : sleep 0.02;
    }
}

# One request on its own connection (Connection: close), not waited for.
# Options: method, path, body, headers => [[n, v]...], expect => 1 (send
# Expect: 100-continue and the body only once 100 Continue comes), partial
# => N (announce the body but send only its first N bytes).
sub start_req {
    my (%o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => Test::Upkeep::port(),
                                  Proto => 'tcp', Timeout => 5)
        or die "connect: $!\n";
    my $body = $o{body} // '';
    my $req = "$o{method} $o{path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        . join('', map { "$_->[0]: $_->[1]\r\n" } @{ $o{headers} || [] })
        . ($o{method} =~ /^(GET|HEAD|OPTIONS)$/ && !length $body ? '' : "Content-Length: " . length($body) . "\r\n")
        . ($o{expect} ? "Expect: 100-continue\r\n" : '') . "\r\n";
    if ($o{expect})               { $o{pending_body} = $body }
    elsif (defined $o{partial})   { $req .= substr $body, 0, $o{partial} }
    else                          { $req .= $body }
    local $SIG{PIPE} = 'IGNORE';
    syswrite $s, $req;
    return { %o, sock => $s, t_sent => time, buf => '' };
}

# Reads whatever arrived on the open requests for up to $timeout s, or
# until $until->() is true.  A request is done at EOF: {done} is the time,
# {t_first} the time its first byte came (the 100 Continue of an expect
# request counts: that is when the server took it up).
sub pump {
    my ($reqs, $timeout, $until) = @_;
    my $end = time + $timeout;
    local $SIG{PIPE} = 'IGNORE';
    while (my @open = grep { !$_->{done} } @$reqs) {
        my $left = $end - time;
        last if $left <= 0;
        my $sel = IO::Select->new(map { $_->{sock} } @open);
        for my $fh ($sel->can_read($left < 0.02 ? $left : 0.02)) {
            my ($r) = grep { $_->{sock} == $fh } @open;
            my $n = sysread $fh, $r->{buf}, 65536, length $r->{buf};
            $r->{t_first} //= time if $n;
            if ($n && defined $r->{pending_body} && $r->{buf} =~ m{\AHTTP/1\.1 100 [^\r\n]*\r\n\r\n}) {
                syswrite $fh, delete $r->{pending_body};
            }
            if (!$n) {
                $r->{done} = time;
                close $fh;
            }
        }
        last if $until && $until->();
    }
    return scalar grep { !$_->{done} } @$reqs;
}

# Parsed response of a finished request: {status, headers, body, ...}.
sub response_of {
    my ($r) = @_;
    return { error => 'no response yet' } unless $r->{done};
    return { error => 'empty response (connection closed)' } unless length $r->{buf};
    return Test::Upkeep::_parse_response($r->{buf}, $r->{method}, 1);
}

# Runs upkeepctl in the background: returns {pid, t0}.  flip_reap() waits
# for it and adds {rc, t_exit}; pump loops can call it with $nohang.
sub flip_async {
    my @args = @_;
    my $t0 = time;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        { no warnings "exec"; exec { ctl_bin() } ctl_bin(), "--state-dir", state_dir(), @args; }
        POSIX::_exit(127);
    }
    return { pid => $pid, t0 => $t0, args => [@args] };
}

sub flip_reap {
    my ($f, $nohang) = @_;
    return 1 if defined $f->{rc};
    my $got = waitpid $f->{pid}, $nohang ? POSIX::WNOHANG() : 0;
    return 0 unless $got == $f->{pid};
    $f->{t_exit} = time;
    $f->{rc} = $? >> 8;
    return 1;
}

# kill -9 every child process of the apache2 parent (as a crash would);
# the parent survives and forks new ones.  Returns the pids killed once
# they are gone and the server answers again.
sub kill_children {
    my $parent = Test::Upkeep::server_pid() or die "kill_children: no server\n";
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // '';
        push @kids, $1 if $line =~ /^(\d+) \(.*\) \S+ (\d+) /s && $2 == $parent;
    }
    kill 'KILL', @kids;
    my $alive = sub {
        my ($pid) = @_;
        open my $f, '<', "/proc/$pid/stat" or return 0;
        return (<$f> // '') !~ /^\d+ \(.*\) [ZX] /s;
    };
    wait_until(sub { !grep { $alive->($_) } @kids }, 5);
    # new children answer (whatever the mode makes of a GET)
    wait_until(sub {
        my $r = Test::Upkeep::http_get('GET', '/', undef, undef, 2);
        ($r->{status} // 0) >= 200;
    }, 10);
    return @kids;
}

sub write_cgi {
    my ($name, $code) = @_;
    my $path = Test::Upkeep::servroot() . "/cgi-bin/$name";
    open my $fh, '>', $path or die "$path: $!\n";
    print $fh "#!/usr/bin/perl\nuse strict;\nuse warnings;\n$code";
    close $fh;
    chmod 0755, $path;
    return $path;
}

# A fresh directory under /tmp that www-data can write to, removed at exit.
my @Scratch;
sub scratch_dir {
    my ($tag) = @_;
    my $dir = "/tmp/upkeep-ops-$tag-$$";
    remove_tree($dir);
    mkdir $dir or die "mkdir $dir: $!\n";
    chmod 01777, $dir;
    push @Scratch, $dir;
    return $dir;
}
END { remove_tree(@Scratch) if $$ == $OwnerPid && @Scratch }

sub slurp_lines {
    my ($path) = @_;
    open my $fh, '<', $path or return ();
    chomp(my @l = <$fh>);
    return @l;
}

sub fmt_ms { sprintf '%.1f ms', 1000 * $_[0] }

# "min/median/max" of a list of seconds, in ms.
sub summary {
    my @s = sort { $a <=> $b } @_;
    return 'none' unless @s;
    return sprintf 'n=%d min %.1f ms, median %.1f ms, max %.1f ms',
        scalar @s, 1000 * $s[0], 1000 * $s[$#s / 2], 1000 * $s[-1];
}

1;
