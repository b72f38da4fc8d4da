# Stress (issue 6): 1,000 mode flips (normal, readonly, maintenance, and
# hold when upkeepctl has it; random reasons of 0..511 bytes of printable
# ASCII and UTF-8; random --retry-after or none) while forked clients (4,
# loopback, keep-alive) send GET, HEAD and POST and record every response
# and how long it took.  Then:
#   - every flip succeeded and no response is a 5xx other than our 503;
#   - every 503 is one of our pages, with Cache-Control: no-store;
#   - no torn reads: each refusal page's reason (HTML-unescaped) is one a
#     single flip set *in that page's mode*, and its Retry-After is the one
#     that same flip set (the body's "try again in N" agrees);
#   - GET and HEAD are never refused in read-only (or hold) mode;
#   - no request takes 5 s or more: a held write is released by the next
#     flip, long before UpkeepHoldMax (10 s);
#   - the error log has no crash or sanitizer report, nor UPK0102 (no
#     writer dies here, so no reader may say one did).
# TEST_UPKEEP_STRESS_FLIPS, _CLIENTS, _PAUSE (seconds a client waits
# between requests) and _SEED change the defaults (1000, 4, 0.001, time);
# the seed is printed so a failure can be replayed.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Storable qw(nstore retrieve);
use Time::HiRes qw(sleep time);

my $Flips   = $ENV{TEST_UPKEEP_STRESS_FLIPS} || 1000;
my $Clients = $ENV{TEST_UPKEEP_STRESS_CLIENTS} || 4;
my $Pause   = $ENV{TEST_UPKEEP_STRESS_PAUSE} // 0.001;
my $Seed    = $ENV{TEST_UPKEEP_STRESS_SEED} // time;
my $ClientMaxSecs = 120;        # a client stops by itself after this
my $ClientMaxReqs = 500_000;    # ... or after this many requests
my $DefaultRetry  = 77;         # UpkeepRetryAfter below
my $SlowSecs      = 5;          # no request may take this long (UpkeepHoldMax is 10s)
# (the read-only page shows no default reason: its heading says it)
my %DefaultReason = (maintenance => 'Scheduled maintenance is in progress.',
                     readonly    => '', hold => '');
# the page each refusing mode shows (hold refuses, when it must, as read-only)
my %PageOf = (maintenance => 'maintenance', readonly => 'readonly', hold => 'readonly');
srand($Seed);
note("seed $Seed (TEST_UPKEEP_STRESS_SEED=$Seed replays the same flips)");

start_server("UpkeepRetryAfter $DefaultRetry\n");
for my $scope (glob servroot() . '/state/*.state') {
    (my $name = $scope) =~ s{.*/|\.state$}{}g;
    ctl('--scope', $name, 'normal');
}
my $log_off = error_log_offset();
my $dir = servroot() . "/logs/stress.$$";
mkdir $dir or die "mkdir $dir: $!";

# ---------------------------------------------------------------- clients
# One response from a keep-alive connection: (status, \%headers, body,
# closes) or (undef, error).
sub read_response {
    my ($s, $bufref, $method) = @_;
    my $sel = IO::Select->new($s);
    my $fill = sub {
        return 0 unless $sel->can_read(15);
        my $n = sysread $s, $$bufref, 65536, length $$bufref;
        return $n ? 1 : 0;
    };
    until ($$bufref =~ /\r\n\r\n/) {
        $fill->() or return (undef, length $$bufref ? 'truncated head' : 'eof');
    }
    my ($head, $rest) = split /\r\n\r\n/, $$bufref, 2;
    my ($status) = $head =~ m{\AHTTP/1\.[01] (\d{3})} or return (undef, "bad status line: $head");
    my %h;
    for (split /\r\n/, $head) {
        $h{lc $1} = $2 if /^([^:]+):\s*(.*?)\s*$/;
    }
    my $body = '';
    if ($method eq 'HEAD' || $status =~ /^(1|204|304)/) {
    } elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        while (1) {
            $fill->() or return (undef, 'truncated chunk size') until $rest =~ /\r\n/;
            $rest =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n// or return (undef, 'bad chunk');
            my $len = hex $1;
            if ($len == 0) {
                $fill->() or return (undef, 'truncated trailer') until $rest =~ /\A(?:[^\r\n]+\r\n)*\r\n/;
                $rest =~ s/\A(?:[^\r\n]+\r\n)*\r\n//;
                last;
            }
            until (length $rest >= $len + 2) {
                $$bufref = $rest; $fill->() or return (undef, 'truncated chunk'); $rest = $$bufref;
            }
            $body .= substr($rest, 0, $len + 2, '');
            substr($body, -2) = '';
        }
    } elsif (defined $h{'content-length'}) {
        until (length $rest >= $h{'content-length'}) {
            $$bufref = $rest; $fill->() or return (undef, 'truncated body'); $rest = $$bufref;
        }
        $body = substr($rest, 0, $h{'content-length'}, '');
    } else {
        $$bufref = $rest; 1 while $fill->(); $rest = $$bufref;
        $body = $rest; $rest = '';
        $h{connection} = 'close';
    }
    $$bufref = $rest;
    my $closes = ($h{connection} // '') =~ /close/i || $head =~ m{\AHTTP/1\.0};
    return ($status, \%h, $body, $closes);
}

sub html_unescape {
    my ($s) = @_;
    $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&quot;/"/g; $s =~ s/&#39;/'/g; $s =~ s/&amp;/&/g;
    return $s;
}

# The loop of one client process; results go to $dir/client.N.
sub client {
    my ($n) = @_;
    my $end = time + $ClientMaxSecs;
    my (%seen, @errors, $s, $buf, $reused, %slowest);
    my $reqs = 0;
    my $connect = sub {
        $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(), Proto => 'tcp', Timeout => 5);
        ($buf, $reused) = ('', 0);
        return $s;
    };
    local $SIG{PIPE} = 'IGNORE';
    # the flips matter more than the request rate: on a small machine the
    # clients must not starve upkeepctl
    POSIX::nice(10);
    while (!-e "$dir/stop" && time < $end && $reqs < $ClientMaxReqs) {
        my $r = rand;
        my $method = $r < 0.5 ? 'GET' : $r < 0.85 ? 'POST' : 'HEAD';
        my $req = "$method / HTTP/1.1\r\nHost: localhost\r\n"
            . ($method eq 'POST' ? "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\nc=$n&x=1" : "\r\n");
        my @res;
        my $t_req = time;
        for my $try (1, 2) {
            $s or $connect->() or do { @res = (undef, "connect: $!"); last };
            my $was_reused = $reused;
            @res = (print {$s} $req) ? read_response($s, \$buf, $method) : (undef, "send: $!");
            $reused = 1;
            last if defined $res[0];
            close $s; undef $s;
            # the server may close an idle keep-alive connection: retry once
            last unless $was_reused && $try == 1;
        }
        $reqs++;
        my $took = time - $t_req;
        $slowest{$method} = $took if $took > ($slowest{$method} // 0);
        my ($status, $h, $body, $closes) = @res;
        if (!defined $status) {
            push @errors, "$method: $res[1]" if @errors < 20;
            $seen{join "\0", 'error'}++;
            next;
        }
        my ($kind, $reason, $body_retry) = ('-', '', '');
        if ($status == 503 && $method ne 'HEAD') {
            $kind = $body =~ m{<title>Down for maintenance</title>} ? 'maintenance'
                  : $body =~ m{<title>Read-only mode</title>} ? 'readonly' : 'other';
            ($reason) = $body =~ m{<p class="reason">(.*?)</p>}s;
            # (no \0 in it: the fields below are joined with \0)
            $reason = defined $reason ? html_unescape($reason)
                    : $kind eq 'readonly' ? '' : '(no reason element)';
            # the wait the page shows: its countdown, else its text
            ($body_retry) = $body =~ /data-left="(\d+)"/;
            ($body_retry) = $body =~ /try again in (\d+) seconds/ unless defined $body_retry;
            $body_retry //= 'none';
        }
        $seen{join "\0", $method, $status, $kind, $reason, $h->{'retry-after'} // '',
                          $h->{'cache-control'} // '', $body_retry}++;
        if ($closes) { close $s; undef $s }
        sleep $Pause if $Pause;
    }
    close $s if $s;
    nstore({ seen => \%seen, errors => \@errors, requests => $reqs, slowest => \%slowest },
           "$dir/client.$n");
}

my @kids;
for my $n (1 .. $Clients) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        eval { client($n); 1 } or print STDERR "client $n: $@";
        POSIX::_exit(0);    # no END blocks, no TAP from a child
    }
    push @kids, $pid;
}

# ---------------------------------------------------------------- flips
my @ascii = map { chr } 32 .. 126;
my @utf8 = ("\xc3\xa9", "\xc3\xbc", "\xc3\x9f", "\xe2\x80\x94", "\xe2\x82\xac", "\xe6\x97\xa5",
            "\xe6\x9c\xac", "\xf0\x9f\x9a\xa7", "\xe2\x9c\x93", "\xd1\x84", "\xce\xa9", "\xc2\xa0");
sub random_reason {
    my $len = int rand 512;          # bytes, 0..511
    my $r = '';
    while (length $r < $len) {
        my $c = rand() < 0.15 ? $utf8[rand @utf8] : $ascii[rand @ascii];
        $c = $ascii[rand @ascii] if length($r) + length($c) > $len;
        $r .= $c;
    }
    return $r;
}

my (undef, $help) = ctl('--help');
my @modes = (qw(normal readonly maintenance), $help =~ /^\s+hold\b/m ? 'hold' : ());
note("modes flipped: @modes");

my %allowed;    # page (maintenance|readonly) => reason as shown => { Retry-After => 1 }
my %mode_count;
my @flip_fail;
my $t0 = time;
for my $i (1 .. $Flips) {
    # the last flip releases whatever is held
    my $mode = $i == $Flips ? 'normal' : $modes[rand @modes];
    my @args = ($mode);
    if ($mode ne 'normal') {
        my $reason = random_reason();
        my $retry = rand() < 0.5 ? 1 + int rand 86400 : undef;
        push @args, '--reason', $reason;
        push @args, '--retry-after', $retry if defined $retry;
        my $shown = length $reason ? $reason : $DefaultReason{$mode};
        $allowed{ $PageOf{$mode} }{$shown}{$retry // $DefaultRetry} = 1;
    }
    $mode_count{$mode}++;
    # (an ASan build's leak check at every exit would double the time)
    my ($rc, $out, $err) = ctl({ env => { ASAN_OPTIONS => 'detect_leaks=0' } }, @args);
    push @flip_fail, "flip $i (@args[0 .. 0]): exit $rc: $out$err" if $rc && @flip_fail < 10;
}
my $flip_secs = time - $t0;
open my $stop, '>', "$dir/stop" or die "$dir/stop: $!";
close $stop;

for my $pid (@kids) {
    my $end = time + 30;
    while (waitpid($pid, POSIX::WNOHANG()) == 0) {
        if (time > $end) { kill 'KILL', $pid; waitpid $pid, 0; last }
        sleep 0.05;
    }
}
note(sprintf "%d flips in %.1fs (%s)", $Flips, $flip_secs,
     join ', ', map { "$_ $mode_count{$_}" } sort keys %mode_count);
ok(!@flip_fail, "all $Flips flips succeeded") or diag(join "\n", @flip_fail);

# ---------------------------------------------------------------- checks
my (%seen, @errors, $requests, $clients_done, %slowest);
for my $n (1 .. $Clients) {
    my $f = "$dir/client.$n";
    next unless -f $f;
    my $res = retrieve($f);
    $clients_done++;
    $requests += $res->{requests};
    push @errors, @{ $res->{errors} };
    $seen{$_} += $res->{seen}{$_} for keys %{ $res->{seen} };
    for my $m (keys %{ $res->{slowest} }) {
        $slowest{$m} = $res->{slowest}{$m} if $res->{slowest}{$m} > ($slowest{$m} // 0);
    }
}
is($clients_done, $Clients, "all $Clients clients reported");
note("$requests requests, " . scalar(keys %seen) . " distinct responses; slowest: "
     . join(', ', map { sprintf '%s %.3fs', $_, $slowest{$_} } sort keys %slowest));

my (%by_status, %pages, @bad5xx, @not_ours, @no_store, @torn, @retry_mismatch, @ro_safe, $errors);
for my $key (keys %seen) {
    my ($method, $status, $kind, $reason, $retry, $cc, $body_retry) = split /\0/, $key, -1;
    my $count = $seen{$key};
    if ($method eq 'error') { $errors += $count; next }
    $by_status{$status} += $count;
    next if $status == 200;
    if ($status != 503) { push @bad5xx, "$method -> $status ($count times)"; next }
    push @no_store, "$method: Cache-Control '$cc'" unless $cc =~ /no-store/;
    if ($method eq 'HEAD') {
        # no body: its Retry-After must be one some refusal could carry
        push @retry_mismatch, "HEAD: Retry-After '$retry' was never set"
            unless grep { $_->{$retry} } map { values %$_ } values %allowed;
        next;
    }
    if ($kind ne 'maintenance' && $kind ne 'readonly') {
        push @not_ours, "$method: a 503 that is not our page ($count times)";
        next;
    }
    $pages{$kind} += $count;
    push @ro_safe, "$method refused with the read-only page" if $kind eq 'readonly' && $method ne 'POST';
    my $retries = $allowed{$kind}{$reason};
    if (!$retries) {
        my $other = (grep { $_ ne $kind && $allowed{$_}{$reason} } keys %allowed)[0];
        push @torn, sprintf "%s %s page shows a reason never set for that page%s: '%.80s'",
            $method, $kind, $other ? " (it was set for the $other page)" : '', $reason;
        next;
    }
    push @torn, "$method $kind page: reason '" . substr($reason, 0, 60) . "' came with Retry-After $retry, "
        . "which its flip did not set (set: " . join(',', sort keys %$retries) . ")" unless $retries->{$retry};
    # a page with an end counts down to it (Retry-After); one without
    # reloads itself after Retry-After, at most 60 s and at least 5 s
    my $reload = $retry =~ /^\d+$/ ? ($retry > 60 ? 60 : $retry < 5 ? 5 : $retry) : $retry;
    push @retry_mismatch, "$method $kind page says 'try again in $body_retry' but Retry-After is $retry"
        if $body_retry ne $retry && $body_retry ne $reload;
}
note('statuses: ' . join(', ', map { "$_ x$by_status{$_}" } sort keys %by_status)
     . '; pages: ' . join(', ', map { "$_ x$pages{$_}" } sort keys %pages));

cmp_ok($requests, '>=', 1000, 'the clients sent at least 1000 requests');
ok($pages{maintenance} && $pages{readonly}, 'both maintenance and read-only pages were served during the flips');
ok(!@bad5xx, 'every response is 200 or 503 (no 500, no other error)') or diag(join "\n", @bad5xx[0 .. ($#bad5xx < 9 ? $#bad5xx : 9)]);
ok(!@not_ours, 'every 503 is a maintenance or read-only page') or diag(join "\n", @not_ours);
ok(!@no_store, 'every 503 has Cache-Control: no-store') or diag(join "\n", @no_store[0 .. ($#no_store < 9 ? $#no_store : 9)]);
ok(!@torn, 'no torn reads: every page shows a reason and Retry-After set together, in its mode')
    or diag(join "\n", @torn[0 .. ($#torn < 19 ? $#torn : 19)]);
ok(!@retry_mismatch, "every page's 'try again in N' matches its Retry-After")
    or diag(join "\n", @retry_mismatch[0 .. ($#retry_mismatch < 9 ? $#retry_mismatch : 9)]);
ok(!@ro_safe, 'GET and HEAD are never refused in read-only or hold mode') or diag(join "\n", @ro_safe);
my @slow = grep { $slowest{$_} >= $SlowSecs } sort keys %slowest;
ok(!@slow, "no request took ${SlowSecs}s or more (held writes are released by the next flip)")
    or diag(join "\n", map { sprintf '%s: %.3fs', $_, $slowest{$_} } @slow);
ok(!$errors, 'no transport errors (connect, reset, truncated response)')
    or diag(($errors // 0) . " errors, e.g.:\n" . join "\n", @errors);

# a crashing child is logged by the parent when it reaps it
sleep 1.1;
my $log = error_log_since($log_off);
my @fatal = grep { index($log, $_) >= 0 }
    ('Segmentation fault', 'AddressSanitizer', 'exit signal', 'runtime error:', 'LeakSanitizer');
ok(!@fatal, 'error log: no crash or sanitizer report') or diag("found: @fatal\n" . substr($log, -3000));
{
    my @dead = $log =~ /^(.*UPK0102.*)$/mg;
    ok(!@dead, 'no UPK0102: no writer died, so no reader may say one did')
        or diag(scalar(@dead) . " UPK0102 lines, e.g.\n$dead[0]");
}
ok(server_alive(), 'apache2 parent still alive');

unlink glob "$dir/*";
rmdir $dir;
stop_server();
done_testing();
