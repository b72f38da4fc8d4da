# A writer that is alive but stalled inside the seqlock publish (preempted,
# page-faulting on the MAP_SHARED live file, stopped) must not make readers
# serve a torn record: README, Design: "a reader never sees a torn record
# (the mode of one write with the reason of another)"; only a writer that
# died half-way may leave one (UPK0102).
#
# gdb stops upkeepctl at its first store into the record of the live slot
# (watchpoints on the mode, the version and the start of the reason, so it
# does not depend on how the compiler copies the record), sends a POST,
# keeps upkeepctl stopped for 100 ms, lets it finish, then reads the
# response.  It must be the old state's refusal (read-only page, old reason,
# Retry-After 111) or the new one's (maintenance page, new reason, 222),
# never a mix.  Needs gdb with Python (skipped without it) and root.
#
# Readers wait for a slow writer by the clock (UPKEEP_SEQLOCK_READER_WAIT),
# not by a spin count, so a stalled writer is waited for.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);

plan skip_all => 'needs gdb with Python'
    unless (`gdb -batch -ex 'python print(6*7)' 2>/dev/null` // '') =~ /^42$/m;
plan skip_all => 'needs root (ptrace)' unless $> == 0;

# the upkeepctl the harness runs (Test::Upkeep: TEST_UPKEEP_CTL or the repo's)
my $ctl_bin = $ENV{TEST_UPKEEP_CTL} ? abs_path($ENV{TEST_UPKEEP_CTL})
                                    : dirname(dirname(servroot())) . '/upkeepctl';
start_server('');
for my $scope (glob servroot() . '/state/*.state') {
    (my $name = $scope) =~ s{.*/|\.state$}{}g;
    ctl('--scope', $name, 'normal');
}
my ($rc, $out, $err) = ctl('readonly', '--reason', 'OLD readonly reason', '--retry-after', '111');
is($rc, 0, 'readonly with the old reason') or diag("$out$err");
my $r = http_get('GET', '/');
is($r->{status}, 200, 'GET passes in readonly');

my $state = servroot() . '/state';
my $resp_file = servroot() . '/logs/stalled-response';
my $script = servroot() . '/logs/stall.py';
unlink $resp_file;
open my $fh, '>', $script or die "$script: $!";
print $fh <<"EOF";
import gdb, socket, time
gdb.execute('set pagination off')
gdb.execute('set confirm off')
gdb.execute('break upkeep_live_slot')
gdb.execute('run')
# the live file is mapped now: find scope default's record in it
base = None
for line in gdb.execute('info proc mappings', to_string=True).splitlines():
    if line.strip().endswith('/upkeep.live'):
        base = int(line.split()[0], 16)
        break
data = open('$state/upkeep.live', 'rb').read()
name = data.find(b'default\\x00')
reason = data.find(b'OLD readonly reason')
# a slot: seq, in_use, name[64], then the record: mode, retry_after, since,
# until, version, ...; watch what differs between the old and new record
rec = base + name + 64
gdb.execute('delete')
for addr in (rec, rec + 24, base + reason):
    gdb.execute('watch -l *(long *)%d' % addr)
gdb.execute('continue')
print('STOPPED at the first store into the record')
s = socket.create_connection(('127.0.0.1', ${\ port()}))
s.sendall(b'POST / HTTP/1.1\\r\\nHost: localhost\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\na=1')
time.sleep(0.1)
gdb.execute('delete')
gdb.execute('continue')
s.settimeout(10)
buf = b''
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
open('$resp_file', 'wb').write(buf)
EOF
close $fh;

my $off = error_log_offset();
# an ASan build's LeakSanitizer cannot run under ptrace
local $ENV{ASAN_OPTIONS} = join ':', grep { $_ } $ENV{ASAN_OPTIONS}, 'detect_leaks=0';
my $gdb = `gdb -q -batch -x $script --args $ctl_bin --state-dir $state maintenance --reason 'NEW maintenance reason' --retry-after 222 2>&1`;
like($gdb, qr/STOPPED at the first store into the record/, 'gdb stopped upkeepctl inside the publish') or diag($gdb);
like($gdb, qr/exited normally/, 'upkeepctl then finished normally') or diag($gdb);
open my $rf, '<', $resp_file or die "no response recorded: $!\n$gdb";
my $raw = do { local $/; <$rf> };
close $rf;
my ($status) = $raw =~ m{^HTTP/1\.1 (\d+)};
my $page = $raw =~ /<title>Read-only mode</ ? 'read-only' : $raw =~ /<title>Down for maintenance</ ? 'maintenance' : 'other';
my ($reason) = $raw =~ m{<p class="reason">(.*?)</p>}s;
my ($retry) = $raw =~ /^Retry-After: (\d+)/mi;
my $got = sprintf "%s, %s page, reason '%s', Retry-After %s", $status // '-', $page, $reason // '-', $retry // '-';
note("POST served while upkeepctl was stalled: $got");

{
    ok($got eq "503, read-only page, reason 'OLD readonly reason', Retry-After 111"
       || $got eq "503, maintenance page, reason 'NEW maintenance reason', Retry-After 222",
       'the request served during the stall saw the old state or the new one, not a mix')
        or diag("got $got");
    unlike(error_log_since($off), qr/UPK0102/, 'a stalled writer is not reported as one that died (UPK0102)');
}

$r = http_get('GET', '/');
is($r->{status}, 503, 'afterwards: maintenance');
like($r->{body}, qr{<p class="reason">NEW maintenance reason</p>}, 'afterwards: the new reason');
unlike(error_log_since($off), qr/Segmentation fault|AddressSanitizer|runtime error:|exit signal/,
       'error log has no crash or sanitizer report');
unlink $script, $resp_file;
stop_server();
done_testing();
