# The cluster poller, the transition reporter and the journal's replay run
# in one child at a time, elected with a lock file per watchdog
# (logs/upkeep-NAME.PID.lock), not as mod_watchdog singletons: a singleton
# that changes hands sleeps 10 s in the child that takes it over, so when
# the MPM reaped the idle child that polled (after any burst of load), or
# it was killed, a cluster flip reached this node 10 s late.  Here another
# child takes over within an interval: a flip written to memcached right
# after the poller's child is killed (-9) is in force within a few
# seconds, and is logged once.  A graceful restart hands over as quickly.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use Time::HiRes qw(time sleep);

my $mc = start_memcached();
start_server({
    main_config => "UpkeepMemcached 127.0.0.1:$mc\nUpkeepSyncInterval 200ms\n",
});
my $version = 10;
sub publish {
    my ($mode) = @_;
    $version++;
    mc_set($mc, 'upkeep:default', cluster_value(mode => $mode, version => $version));
}
sub serves { my ($status) = @_; wait_for(15, sub { (http_get('GET', '/', undef, undef, 2)->{status} // 0) == $status }) }

# the pid holding the poller's lock, from /proc/locks
sub poller_pid {
    my ($lock) = glob(servroot() . '/logs/upkeep-_upkeep_sync_.*.lock');
    return undef unless $lock;
    my $ino = (stat $lock)[1];
    open my $fh, '<', '/proc/locks' or return undef;
    while (<$fh>) {
        return $1 if /^\d+: FLOCK\s+ADVISORY\s+WRITE\s+(\d+)\s+\S+:\S+:(\d+)\s/ && $2 == $ino;
    }
    return undef;
}

publish('maintenance');
ok(serves(503), 'a cluster value in memcached is in force (the poller runs)');
ok(wait_for(5, sub { poller_pid() }), 'one child holds the poller\'s lock');
my $leader = poller_pid() // 0;
isnt($leader, server_pid(), '... a child, not the parent');

my $off = error_log_offset();
kill 'KILL', $leader if $leader > 1;
publish('normal');
my $t0 = time;
ok(serves(200), 'the poller\'s child killed (-9), a flip written to memcached just after');
my $took = time - $t0;
cmp_ok($took, '<', 5, sprintf('... is in force within seconds (%.1f s; a mod_watchdog singleton took over after 10 s)', $took));
ok(wait_for(5, sub { my $p = poller_pid(); $p && $p != $leader }), '... another child holds the lock');
ok(wait_for(3, sub { error_log_since($off) =~ /UPK0019: scope 'default' is now in normal mode \(its cluster layer is now normal: version $version,/ }),
   '... and the reporter logs the flip');
sleep 1;
my @logged = error_log_since($off) =~ /(UPK001[09]: scope 'default' is now in \w+ mode)/g;
is(scalar(@logged), 1, '... once, though the reporter changed hands too') or diag(join "\n", @logged);

restart_server('graceful');
publish('maintenance');
$t0 = time;
ok(serves(503), 'after a graceful restart, a flip written to memcached');
$took = time - $t0;
cmp_ok($took, '<', 5, sprintf('... is in force within seconds (%.1f s)', $took));
done_testing();
