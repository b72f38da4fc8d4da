# A member of UpkeepControlGroup may write the state directory, but must
# not make root read another file through it: a state file that is a
# symbolic link is refused by name (httpd start, graceful restart,
# upkeepctl run as root), and the target's content never reaches the
# error log or upkeepctl's output.
use lib 't/lib';
use Test::Upkeep;
use Test::More;
use IO::Socket::INET;

my $Group = 'www-data';
my $Conf = { main_config => "UpkeepControlGroup $Group" };
my $State = servroot() . '/state';
my $Secret = servroot() . '/conf/root-only.txt';
my $Link = "$State/default.state";
my $LinkErr = qr{\Q$Link\E is a symbolic link, not a regular file \(links are not followed\)};

# a refused start or restart may leave children a moment on the port
sub port_free {
    return wait_for(10, sub {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => port(),
                                      Proto => 'tcp', Listen => 1, ReuseAddr => 1);
        $s ? (close($s), 1)[1] : 0;
    });
}

# as the group member, with the tools anyone has
sub as_member {
    my (undef, undef, $uid, $gid) = getpwnam($Group) or die "no user $Group\n";
    return system('setpriv', "--reuid=$uid", "--regid=$gid", '--clear-groups', '--', @_) == 0;
}

start_server($Conf);
open my $fh, '>', $Secret or die "$Secret: $!";
print $fh "SECRET-CONTENT 0123456789abcdef0123456789abcdef\n";
close $fh;
chmod 0600, $Secret;
ok(!as_member('sh', '-c', 'cat "$1" >/dev/null 2>&1', 'sh', $Secret),
   'the group member cannot read the root-only file');

ok(as_member('ln', '-s', $Secret, $Link), 'the group member can plant a link as default.state');

my ($rc, $out, $err) = ctl('status');
is($rc, 1, 'upkeepctl status as root: exit 1 on the linked state file');
like($err, $LinkErr, '... naming the link');
unlike("$out$err", qr/SECRET/, '... never quoting the target');

($rc, $out, $err) = ctl({ user => $Group }, 'maintenance', '--reason', 'x');
is($rc, 1, 'upkeepctl maintenance as the member: exit 1');
like($err, qr/$LinkErr; not changed/, '... not changed, naming the link');
ok(-l $Link, '... and the link is left as it was');

my $off = error_log_offset();
ok(!eval { restart_server('graceful') }, 'a graceful restart with the link does not bring up a new generation');
ok(wait_for(10, sub { !server_alive() }), 'httpd stops rather than start in a mode nobody chose');
my $log = error_log_since($off);
like($log, qr/UPK0005: cannot start with an unknown mode for scope 'default': $LinkErr/,
     'the error log names the link (UPK0005)');
unlike($log, qr/SECRET/, 'the target\'s content is not in the error log');
port_free();

$off = error_log_offset();
ok(!eval { start_server($Conf) }, 'a fresh start with the link is refused too');
$log = error_log_since($off);
like($log, qr/UPK0005: .*$LinkErr/, '... naming the link');
unlike($log, qr/SECRET/, '... never quoting the target');
port_free();

unlink $Link or die "unlink $Link: $!";
ok(start_server($Conf), 'with the link gone httpd starts');
is(http_get('GET', '/')->{status}, 200, '... and serves normally');
ctl({}, 'maintenance', '--reason', 'by root');
is(http_get('GET', '/')->{status}, 503, 'a regular state file still works');
ctl({}, 'normal');

unlike(error_log_since(0), qr/SECRET|Segmentation fault|AddressSanitizer|runtime error:|exit signal/,
       'whole error log: no secret, no crash or sanitizer report');
unlink $Secret;
stop_server();
done_testing();
