# A full state disk (issue 12): a graceful restart never fails on the files
# httpd rewrites at start-up (cluster.conf, bypass.conf, served.conf) when
# they are already there, and a start that cannot allocate the live file
# says so, naming the directory, instead of dying of SIGBUS.  The disk is a
# small tmpfs mounted over the server root's state directory.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use File::Path qw(make_path);
use Time::HiRes qw(sleep);

plan skip_all => 'needs root to mount a tmpfs' if $> != 0;

my $State = servroot() . '/state';
my $Mounted;

sub run_quiet { system(@_) == 0 }
sub mount_tmpfs {
    my ($size) = @_;
    run_quiet('mount', '-t', 'tmpfs', '-o', "size=$size,mode=0700", 'tmpfs', $State)
        or return 0;
    $Mounted = 1;
}
sub umount_tmpfs {
    return unless $Mounted;
    system('umount', $State);
    $Mounted = 0;
}
END { umount_tmpfs() if $Mounted }

# Fills what is left of the tmpfs; returns the bytes written.
sub fill_disk {
    my $n = 0;
    open my $fh, '>', "$State/zz-fill" or die "$State/zz-fill: $!";
    my $block = "\0" x 4096;
    while (syswrite($fh, $block)) { $n += 4096 }
    close $fh;
    return $n;
}

my $mc = memcached_port();
my $secret = servroot() . '/conf/bypass.secret';
my $cluster_secret = servroot() . '/conf/cluster.secret';
my $Conf = {
    main_config => "UpkeepMemcached 127.0.0.1:$mc\nUpkeepSyncInterval 200ms\n"
                 . "UpkeepSecretFile $cluster_secret\n",
    config => "UpkeepBypassSecret $secret\n",
};

# the server root, its conf/ and the secrets exist before the first start
start_server('');
stop_server();
for ([$secret, "bypass-secret-0123456789abcdef\n"], [$cluster_secret, "cluster-secret-0123456789abcdef\n"]) {
    open my $fh, '>', $_->[0] or die; print $fh $_->[1]; close $fh; chmod 0600, $_->[0];
}
make_path($State);
unless (mount_tmpfs('2m')) {
    plan skip_all => "cannot mount a tmpfs on $State here";
}

start_server($Conf);
ok(-s "$State/cluster.conf" && -s "$State/bypass.conf" && -s "$State/served.conf",
   'httpd wrote cluster.conf, bypass.conf and served.conf on the small disk');
my ($rc) = ctl('readonly', '--reason', 'full disk drill');
ok($rc == 0 || $rc == 3, "upkeepctl readonly on the small disk (exit $rc)");
is(http_get('POST', '/')->{status}, 503, 'readonly is in force');

# --- the disk fills up; nightly logrotate's graceful restart comes
my $filled = fill_disk();
ok($filled > 0, "the disk is full ($filled bytes of filler)");
my $off = error_log_offset();
ok(eval { restart_server('graceful'); 1 }, 'a graceful restart on a full disk: httpd comes back')
    or diag($@);
ok(server_alive(), 'the parent is alive');
my $log = error_log_since($off);
unlike($log, qr/Configuration Failed|UPK0028|UPK0050/, 'no failed configuration, no failed rewrite (the files are unchanged)');
is(http_get('POST', '/')->{status}, 503, 'the mode is still in force after the restart');
is(http_get('GET', '/')->{status}, 200, 'and reads pass');

# --- a flip on the full disk: stored in memcached, not in this node's
# files.  upkeepctl says so and exits 3 (issue 13); the poller applies it
# from memcached to the live slot, which needs no new disk space.
{
    my ($rc, $out, $err) = ctl('normal');
    is($rc, 3, 'upkeepctl normal on a full disk: exit 3 (published, not applied here)') or diag("$out$err");
    like($err, qr/No space left on device; published to memcached, but not applied here \(the poller applies it within UpkeepSyncInterval\)$/m,
         '... it names the full disk and says the flip is published, not applied here') or diag($err);
    unlike($out, qr/^scope default: normal/m, '... and prints no success line');
    ok(wait_for(3, sub { http_get('POST', '/')->{status} == 200 }), 'the poller applies it: writes pass');
    ($rc, $out) = ctl('status');
    like($out, qr/^scope default: normal$/m, 'status: normal') or diag($out);
    ($rc, $out, $err) = ctl('readonly', '--reason', 'full disk drill');
    is($rc, 3, 'readonly again on the full disk: exit 3 too') or diag("$out$err");
    ok(wait_for(3, sub { http_get('POST', '/')->{status} == 503 }), '... and the poller applies it');
}

# --- a changed cluster: the old cluster.conf cannot be replaced, httpd
# keeps it, says so, and serves
my $Conf2 = { %$Conf, main_config => $Conf->{main_config} . "UpkeepMemcachedTimeout 300ms\n"
              . "UpkeepClusterKey fulldisk\n" };
$off = error_log_offset();
stop_server();   # a new config: the harness restarts; the disk stays full
ok(eval { start_server($Conf2); 1 }, 'a start with a changed cluster on a full disk: httpd runs')
    or diag($@);
$log = error_log_since($off);
like($log, qr/UPK0030: .*cluster\.conf.*the old file, which no longer matches UpkeepMemcached, is removed: upkeepctl refuses cluster flips until httpd can write it/,
     'UPK0030 says the old cluster.conf (another key) is removed, and what that means')
    or diag(substr $log, -2000);
unlike($log, qr/Configuration Failed/, 'no failed configuration');
is(http_get('POST', '/')->{status}, 503, 'the mode is in force');
ok(!-e "$State/cluster.conf", 'the old cluster.conf is gone');
{
    # with the old file, this flip went to the old key, which no node polls
    my ($rc, $out, $err) = ctl('normal');
    is($rc, 1, 'upkeepctl normal meanwhile: exit 1, not changed') or diag("$out$err");
    like($err, qr/httpd has UpkeepMemcached, but \Q$State\E\/cluster\.conf is missing \(httpd could not write it: see UPK0030 in its error log\); not changed/,
         '... naming the missing file and the log message') or diag($err);
    is(http_get('POST', '/')->{status}, 503, '... and the mode stays in force');
    ($rc, $out, $err) = ctl('status');
    like($err, qr/^upkeepctl: warning: httpd has UpkeepMemcached, but \S+\/cluster\.conf is missing \(see UPK0030 in its error log\): cluster flips fail until httpd can write it$/m,
         'status warns that cluster flips fail') or diag($err);
    like($out, qr/^scope default: readonly\n.*^  cluster:     readonly /ms, '... and still shows the cluster layer in force') or diag($out);
}

# --- no live file and no room for one: a clear start-up error, no SIGBUS
stop_server();
unlink "$State/zz-fill";
($rc) = ctl('--local', 'normal');
unlink "$State/upkeep.live";
fill_disk();
unlink "$State/zz-fill.small";
{
    # leave a few KB free: less than the live file needs
    open my $fh, '+<', "$State/zz-fill" or die;
    truncate $fh, (-s "$State/zz-fill") - 8192;
    close $fh;
}
$off = error_log_offset();
my $started = eval { start_server($Conf2); 1 };
ok(!$started, 'no room for the live file: httpd does not start');
$log = error_log_since($off) . ($@ // '');
like($log, qr/UPK0003: cannot allocate the \d+ bytes of upkeep\.live in \Q$State\E: No space left on device/,
     'UPK0003 names the live file, the directory and the full disk') or diag(substr $log, -2000);
unlike($log, qr/Bus error|exit signal|Segmentation/, 'no signal');
ok(!-e "$State/upkeep.live", 'no half-made live file is left');

unlink "$State/zz-fill";
# the refused httpd exits by itself; give it a moment to let go of the port
ok(wait_for(10, sub { eval { start_server($Conf2); 1 } }), 'with room again, httpd starts');
stop_server();
umount_tmpfs();
done_testing();
