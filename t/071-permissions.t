# Who may flip: root always; with UpkeepControlGroup G, members of G (the
# state directory is root:G 02770); without it nobody else (root:root 0700).
use lib 't/lib';
use Test::Upkeep;
use Test::More;

my $Group = 'www-data';
my $Gid = getgrnam($Group) // die "no group $Group\n";
my $State = servroot() . '/state';
my $Other = "<Location /other>\n    UpkeepScope other\n</Location>\n";
my $NoGroup = $Other;
my $WithGroup = { main_config => "UpkeepControlGroup $Group", config => $Other };

sub perms { my @st = stat $_[0] or return 'missing'; sprintf '%04o %d:%d', $st[2] & 07777, $st[4], $st[5] }

sub get_status {
    my $r = http_get('GET', '/');
    return $r->{status} // "error: $r->{error}";
}

sub ctl_ok {
    my ($o, @args) = @_;
    my ($rc, $out, $err) = ctl($o, @args);
    is($rc, 0, "upkeepctl @args as " . ($o->{user} // 'root') . " exits 0") or diag("stdout: $out\nstderr: $err");
    return $out;
}

sub ctl_denied {
    my ($user, @args) = @_;
    my $write = $args[0] ne 'status';
    my ($rc, $out, $err) = ctl({ user => $user }, @args);
    is($rc, 1, "upkeepctl @args as $user exits 1");
    like($err, qr{\Aupkeepctl: permission denied: cannot ${\($write ? 'write' : 'read')} the state directory \Q$State\E \(run as root or as a member of its group, see UpkeepControlGroup\)\n\z},
         "upkeepctl @args as $user: permission denied, naming the directory");
    is($out, '', "upkeepctl @args as $user prints nothing on stdout");
}

# --- without UpkeepControlGroup: root only
start_server($NoGroup);
is(perms($State), '0700 0:0', 'without UpkeepControlGroup the state directory is root:root 0700');
for my $user ('www-data', 'nobody') {
    ctl_denied($user, 'maintenance', '--reason', "by $user");
    ctl_denied($user, 'status');
    is(get_status(), 200, "the site stays normal after $user was refused");
}
ctl_ok({}, 'maintenance', '--reason', 'by root');
is(get_status(), 503, 'root can flip');
is(perms("$State/default.state"), '0660 0:0', 'the state file root wrote is root:root 0660');
ctl_ok({}, 'normal');
is(get_status(), 200, 'root can flip back');

# --- with UpkeepControlGroup www-data: members of www-data too
start_server($WithGroup);
is(perms($State), sprintf('2770 0:%d', $Gid), "with UpkeepControlGroup $Group the state directory is root:$Group 02770");
is(perms("$State/upkeep.live"), sprintf('0660 0:%d', $Gid), "upkeep.live is root:$Group 0660");
is(perms("$State/upkeep.lock"), sprintf('0660 0:%d', $Gid), "upkeep.lock is root:$Group 0660");

# The scope was set by root before the group was configured; a member of
# the group must be able to read and flip it all the same.
my ($rc, $out, $err) = ctl({ user => 'www-data' }, 'status');
is($rc, 0, 'a member of the control group can read the status of a scope root set before UpkeepControlGroup')
    or diag("stdout: $out\nstderr: $err");
($rc, $out, $err) = ctl({ user => 'www-data' }, 'readonly', '--reason', 'member after migration');
is($rc, 0, 'a member of the control group can flip a scope root set before UpkeepControlGroup')
    or diag("stdout: $out\nstderr: $err");
# start from a state file the group can use, so the rest is independent
ctl_ok({}, 'normal');
is(perms("$State/default.state"), sprintf('0660 0:%d', $Gid),
   "a state file root writes into the directory is root:$Group 0660 (setgid directory)");
$out = ctl_ok({ user => 'www-data' }, 'status');
like($out, qr/^scope default: normal$/m, 'a member of the group can read the status');

($rc, $out, $err) = ctl({ user => 'www-data' }, 'maintenance', '--reason', 'by a group member');
is($rc, 0, 'a member of the group can flip to maintenance') or diag("stdout: $out\nstderr: $err");
like($out, qr/\Ascope default: maintenance on this node since \S+(?:, until \S+ \([^)]*\))?; clients get Retry-After \d+[^(\n]*\(version \d+\)\n\z/, 'a member of the group sees the usual success line');
my $r = http_get('GET', '/');
is($r->{status}, 503, "a flip by a member of $Group takes effect at once");
like($r->{body} // '', qr{<p class="reason">by a group member</p>}, '... with its reason');
($rc, $out) = ctl({}, 'status');
like($out, qr/^  changed-by:  www-data@\S+$/m, 'status names the group member who flipped');
ctl({ user => 'www-data', env => { SUDO_USER => 'mallory' } }, 'maintenance', '--reason', 'sudo claim');
($rc, $out) = ctl({}, 'status');
like($out, qr/^  reason:      sudo claim\n(?s:.*)^  changed-by:  www-data@\S+$/m,
     'SUDO_USER is not trusted from a non-root user');
is(perms("$State/default.state") =~ s/ \d+:/ :/r, sprintf('0660 :%d', $Gid),
   "the state file stays readable and writable by the group (group $Group, 0660)")
    or diag(`ls -la $State`);

# the mode survives a graceful restart whoever set it
restart_server('graceful');
$r = http_get('GET', '/');
is($r->{status}, 503, "the mode a member set survives a graceful restart");
($rc) = ctl({ user => 'www-data' }, 'normal');
is($rc, 0, 'a member can flip back to normal');
ctl_ok({}, 'normal');
is(get_status(), 200, 'back to normal');

ctl_denied('nobody', 'maintenance');
ctl_denied('nobody', 'status');
is(get_status(), 200, 'the site stays normal after nobody was refused');

# root still can, and its files stay usable by the group
ctl_ok({}, '--scope', 'other', 'maintenance');
is(perms("$State/other.state"), sprintf('0660 0:%d', $Gid), "a state file root creates is root:$Group 0660");
ctl_ok({ user => 'www-data' }, '--scope', 'other', 'normal');
ctl_ok({}, '--scope', 'other', 'normal');

# --- dropping UpkeepControlGroup locks the group out again
start_server($NoGroup);
is(perms($State), '0700 0:0', 'without UpkeepControlGroup again the state directory is back to root:root 0700');
ctl_denied('www-data', 'maintenance');
is(get_status(), 200, 'the site stays normal after www-data was refused');

my $log = error_log_since(0);
unlike($log, qr/Segmentation fault|AddressSanitizer|runtime error:|exit signal|UPK000[78]/,
       'error log has no crash, sanitizer or ownership report');
ok(server_alive(), 'apache2 parent still alive');
stop_server();
done_testing();
