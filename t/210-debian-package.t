# The Debian package (issue 15): debian/ builds libapache2-mod-upkeep with
# `dpkg-buildpackage -us -uc -b` in a scratch copy of the tree, lintian
# finds no error (and no warning but the ones debian/rules lists), and the
# package installs on this machine as Debian's other apache2 modules do:
# the module enabled on the first install (apache2-maintscript-helper),
# `apache2ctl -M` lists it, the configtest passes with the shipped config and
# with UpkeepPage naming the installed page, every file in its place.
# `dpkg -r` disables the module and keeps the mode; reinstalled, the module
# is enabled again and the mode is back.  `dpkg --purge` leaves nothing:
# module, config, /etc/apache2/upkeep, the state directory, mods-enabled
# links and the helper's bookkeeping.
#
# The system apache2 is never started: invoke-rc.d is denied by
# policy-rc.d (one is written for the test when there is none, and removed
# after) and RUNLEVEL=1; the configtest is `apache2ctl -t` on the system
# config.  The END block purges the package (and removes what the test
# wrote) even when a check fails or the test dies.
#
# Runs as root only, once at a time on a machine (a lock), not when the
# package or its files are already installed here (it would purge them),
# and once per t/run-tests: in the prefork half of the two-MPM run (the
# package does not depend on the test MPM), not in the ASan run (the
# package is built with Debian's flags, not the sanitizers).
# TEST_UPKEEP_NO_DPKG=1 skips it on a machine whose packages must not change.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use Fcntl qw(:flock);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes ();

my $Root = abs_path(dirname(__FILE__) . '/..');
my $Pkg = 'libapache2-mod-upkeep';
my $Policy = '/usr/sbin/policy-rc.d';
my $StateDir = '/var/lib/apache2/upkeep';
my $EtcDir = '/etc/apache2/upkeep';
my $DocDir = "/usr/share/doc/$Pkg";
my $Started = Time::HiRes::time();

# Every file and directory of the package on the system, and what the
# maintainer scripts and the helper make: none may exist before the test
# installs the package, nor after the purge.
my @Footprint = ('/usr/lib/apache2/modules/mod_upkeep.so', '/usr/sbin/upkeepctl',
                 '/etc/apache2/mods-available/upkeep.load', '/etc/apache2/mods-available/upkeep.conf',
                 '/etc/apache2/mods-enabled/upkeep.load', '/etc/apache2/mods-enabled/upkeep.conf',
                 $EtcDir, $StateDir, $DocDir,
                 '/usr/share/man/man8/upkeepctl.8.gz', '/usr/share/bash-completion/completions/upkeepctl',
                 map({ "/var/lib/apache2/module/$_/upkeep" }
                     qw(enabled_by_admin enabled_by_maint disabled_by_admin disabled_by_maint)));

sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; <$fh> }

$ENV{PATH} = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
delete $ENV{UPKEEP_STATE_DIR};

plan skip_all => 'TEST_UPKEEP_NO_DPKG is set: this machine\'s packages must not change'
    if $ENV{TEST_UPKEEP_NO_DPKG};
plan skip_all => 'needs root: installs and purges the package with dpkg' unless $> == 0;
plan skip_all => 'runs once per t/run-tests, in the prefork half of the two-MPM run '
    . '(the package does not depend on the MPM)'
    if ($ENV{TEST_UPKEEP_SERVROOT} // '') =~ /-event\z/;
plan skip_all => 'ASan run: the package is built with Debian\'s flags, not the sanitizers '
    . '(the plain run checks it)'
    if $ENV{TEST_UPKEEP_PRELOAD};
plan skip_all => 'not a Debian system (no dpkg)' unless -x '/usr/bin/dpkg' && -w '/var/lib/dpkg';
{
    my %tool = ('/usr/bin/dpkg-buildpackage' => 'build-essential', '/usr/bin/dh' => 'debhelper',
                '/usr/bin/dh_apache2' => 'apache2-dev',
                '/usr/bin/lintian' => 'lintian', '/usr/sbin/a2enmod' => 'apache2',
                '/usr/share/apache2/apache2-maintscript-helper' => 'apache2');
    my @missing = sort { $a cmp $b } keys %{{ map { $tool{$_} => 1 } grep { !-e } keys %tool }};
    plan skip_all => "needs the Debian packages @missing (t/run-tests installs them as root)" if @missing;
}

{
    my $out = `cd '$Root' && dpkg-checkbuilddeps 2>&1`;
    plan skip_all => "build dependencies missing (t/run-tests installs them as root): $out" if $?;
}

# One run at a time on this machine (other worktrees may run the suite).
open my $Lock, '>>', '/run/lock/upkeep-debian-package-test.lock' or die "lock: $!";
flock $Lock, LOCK_EX or die "flock: $!";

sub pkg_status { my $s = `dpkg-query -W -f='\${Status}' $Pkg 2>/dev/null`; return $? ? '' : $s }

my ($OurPolicy, $Installed);
my $Mark = '/var/tmp/upkeep-debian-package-test.installed';
my $PolicyMark = 'written by mod_upkeep\'s t/210-debian-package.t';
if (-e $Policy && slurp($Policy) =~ /\Q$PolicyMark\E/) {
    $OurPolicy = 1;    # left by a killed run
}
elsif (-e $Policy) {
    system($Policy, 'apache2', 'restart');
    my $rc = $? >> 8;
    plan skip_all => "$Policy allows apache2 to restart (exit $rc, not 101): installing would restart the system apache2"
        unless $rc == 101;
}
else {
    open my $fh, '>', $Policy or die "$Policy: $!";
    print $fh "#!/bin/sh\n# $PolicyMark while it runs: no service starts\nexit 101\n";
    close $fh;
    chmod 0755, $Policy;
    $OurPolicy = 1;
}

# Whatever happens, the package goes and the machine is as it was.
# A signal, or prove gone (SIGPIPE on the next line of TAP), dies: END runs.
$SIG{$_} = sub { $SIG{PIPE} = 'IGNORE'; die "killed by SIG$_[0]\n" } for qw(INT TERM HUP PIPE);
END {
    local $?;
    local $SIG{PIPE} = 'IGNORE';
    if ($Installed && pkg_status() =~ /\S/ && pkg_status() !~ /not-installed/) {
        my ($rc, $out) = dpkg('--purge', $Pkg);
        ($rc, $out) = dpkg('--purge', '--force-remove-reinstreq', $Pkg) if $rc;
        diag("cleanup: dpkg --purge $Pkg failed:\n$out") if $rc;
    }
    unlink $Mark if $Installed && !(pkg_status() =~ /\S/ && pkg_status() !~ /not-installed/);
    unlink $Policy if $OurPolicy;
}

# A run killed before its END block (SIGKILL, a reboot) leaves this mark:
# what it installed goes first.
if (-e $Mark) {
    diag("a previous run of this test did not clean up: dpkg --purge $Pkg");
    system("RUNLEVEL=1 dpkg --purge $Pkg >/dev/null 2>&1");
    unlink $Mark;
}
if (pkg_status() =~ /\S/ and pkg_status() !~ /not-installed/) {
    plan skip_all => "$Pkg is installed on this machine (" . pkg_status() . "): the test would purge it";
}
if (my @there = grep { -e || -l } @Footprint) {
    plan skip_all => "@there already exist(s) (make install?): the test installs and purges the package there";
}

my $Tmp = tempdir('upkeep-deb-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# run(@cmd) -> (exit, stdout and stderr); RUNLEVEL=1 for invoke-rc.d.
sub run {
    my (@cmd) = @_;
    my $pid = open(my $out, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT;
        $ENV{RUNLEVEL} = 1;
        $ENV{DEBIAN_FRONTEND} = 'noninteractive';
        { no warnings 'exec'; exec @cmd }
        print "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    my $text = do { local $/; <$out> } // '';
    close $out;
    return ($? >> 8, $text);
}

# dpkg, waiting for the dpkg lock (t/run-tests or apt may hold it).
sub dpkg {
    my (@args) = @_;
    my ($rc, $out);
    for (1 .. 90) {
        ($rc, $out) = run('dpkg', @args);
        last unless $rc && $out =~ /lock/i && $out =~ /locked|another process/i;
        sleep 2;
    }
    return ($rc, $out);
}

sub elapsed { sprintf '%.1fs', Time::HiRes::time() - $_[0] }

sub mode_of { my @s = lstat $_[0] or return ''; sprintf '%04o %d:%d', $s[2] & 07777, $s[4], $s[5] }

# The system apache2 (if it runs at all) keeps its PID: never (re)started.
my $SysPidFile = '/var/run/apache2/apache2.pid';
my $SysPid = -e $SysPidFile ? slurp($SysPidFile) : undef;

# ------------------------------------------------------------ build in a scratch copy
my $Src = "$Tmp/src";
mkdir $Src or die "$Src: $!";
{
    # The working tree as it is (tracked and new files, without what
    # .gitignore names: builds, t/servroot*), or all of it without git.
    my $t0 = Time::HiRes::time();
    my $list = "$Tmp/files";
    if (-e "$Root/.git" && system("git -C '$Root' ls-files -z -c -o --exclude-standard >'$list' 2>/dev/null") == 0) {
        my @f = grep { -e "$Root/$_" || -l "$Root/$_" } split /\0/, slurp($list);
        open my $fh, '>', $list or die "$list: $!";
        print $fh join("\0", @f), "\0";
        close $fh;
        system("tar -C '$Root' --null -T '$list' -cf - | tar -C '$Src' -xf -") == 0 or die 'copy of the tree failed';
    }
    else {
        system("tar -C '$Root' --exclude='./t/servroot*' --exclude=./.git --exclude=./.libs -cf - . | tar -C '$Src' -xf -") == 0
            or die 'copy of the tree failed';
    }
    ok(-e "$Src/debian/control", 'a scratch copy of the tree (' . elapsed($t0) . ')');
}

my $t_build = Time::HiRes::time();
my ($build_rc, $build_out) = run('sh', '-c', "cd '$Src' && dpkg-buildpackage -us -uc -b");
is($build_rc, 0, 'dpkg-buildpackage -us -uc -b (' . elapsed($t_build) . ')')
    or diag(join "\n", grep { defined } (split /\n/, $build_out)[-40 .. -1]);
unlike($build_out, qr/warning[:!]/i, '... without warnings')
    or diag(join "\n", grep { /warning:/i } split /\n/, $build_out);
unlike($build_out, qr/dlname not found/, '... none from apxs');
my ($Deb) = glob("$Tmp/${Pkg}_*.deb");
my ($Changes) = glob("$Tmp/${Pkg}_*.changes");
unless (ok($Deb && -s $Deb, "it made $Pkg\_*.deb")) {
    done_testing();
    exit 1;
}

# ------------------------------------------------------------ lintian
{
    my $t0 = Time::HiRes::time();
    my ($rc, $out) = run('lintian', '--pedantic', $Changes);
    my @errors = grep { /^E: / } split /\n/, $out;
    is(scalar @errors, 0, 'lintian: no error (' . elapsed($t0) . ')') or diag(join "\n", @errors);
    # The warnings kept are listed, with why, at the top of debian/rules.
    my %kept = map { $_ => 1 } qw(non-standard-dir-perm);
    my @new = grep { /^W: \S+: (\S+)/ && !$kept{$1} } split /\n/, $out;
    is(scalar @new, 0, 'lintian: no warning but the ones debian/rules lists') or diag(join "\n", @new);
    note($out);
}

# ------------------------------------------------------------ install
{
    $Installed = 1;
    open my $fh, '>', $Mark or die "$Mark: $!";
    close $fh;
    my ($rc, $out) = dpkg('-i', $Deb);
    is($rc, 0, "dpkg -i $Pkg") or diag($out);
    like(pkg_status(), qr/install ok installed/, '... installed');
    like($out, qr/apache2_invoke: Enable module upkeep/, '... apache2-maintscript-helper enabled the module (first install)')
        or diag($out);
    is(readlink('/etc/apache2/mods-enabled/upkeep.load'), '../mods-available/upkeep.load', '... mods-enabled/upkeep.load');
    ok(-e '/var/lib/apache2/module/enabled_by_maint/upkeep', '... recorded as enabled by the package');
    my $pid = -e $SysPidFile ? slurp($SysPidFile) : undef;
    is($pid, $SysPid, '... and the system apache2 was not (re)started');
}

my %want = ('/usr/lib/apache2/modules/mod_upkeep.so' => '0644 0:0', '/usr/sbin/upkeepctl' => '0755 0:0',
            '/etc/apache2/mods-available/upkeep.load' => '0644 0:0', '/etc/apache2/mods-available/upkeep.conf' => '0644 0:0',
            $EtcDir => '0750 0:0', "$EtcDir/maintenance.html" => '0644 0:0', $StateDir => '0700 0:0',
            "$DocDir/copyright" => '0644 0:0', "$DocDir/examples/example-single-server.conf" => '0644 0:0',
            "$DocDir/examples/example-cluster.conf" => '0644 0:0', "$DocDir/examples/haproxy.cfg.example" => '0644 0:0');
is(mode_of($_), $want{$_}, "$_ ($want{$_})") for sort keys %want;
ok(-e "$DocDir/README.gz" || -e "$DocDir/README", "$DocDir/README");
is(slurp('/etc/apache2/mods-available/upkeep.load'), slurp("$Root/conf/upkeep.load"), 'upkeep.load is conf/upkeep.load');
is(slurp('/etc/apache2/mods-available/upkeep.conf'), slurp("$Root/conf/upkeep.conf"), 'upkeep.conf is conf/upkeep.conf');
is(slurp("$EtcDir/maintenance.html"), slurp("$Root/conf/maintenance.html"), "$EtcDir/maintenance.html is conf/maintenance.html");
{
    my $conffiles = `dpkg-query -W -f='\${Conffiles}' $Pkg`;
    like($conffiles, qr{^ \Q$_\E [0-9a-f]{32}$}m, "$_ is a conffile")
        for '/etc/apache2/mods-available/upkeep.load', '/etc/apache2/mods-available/upkeep.conf', "$EtcDir/maintenance.html";
}

SKIP: {
    my @list = split /\n/, `dpkg -L $Pkg`;
    ok(grep({ m{/man8/upkeepctl\.8\.gz$} } @list), 'the package ships upkeepctl(8)');
    skip 'man is not installed (Debian package man-db)', 2 unless -x '/usr/bin/man';
    my ($rc, $out) = run('man', '-w', 'upkeepctl');
    is($rc, 0, 'man -w upkeepctl') or diag($out);
    like($out, qr{/usr/share/man/man8/upkeepctl\.8\.gz}, '... finds the installed page');
}
SKIP: {
    ok(-s '/usr/share/bash-completion/completions/upkeepctl', 'the bash completion is installed');
}

# ------------------------------------------------------------ the system apache2 with the module
{
    my ($rc, $out) = run('a2enmod', 'upkeep');
    is($rc, 0, 'a2enmod upkeep') or diag($out);
    ($rc, $out) = run('apache2ctl', '-M');
    is($rc, 0, 'apache2ctl -M') or diag($out);
    like($out, qr/^\s*upkeep_module \(shared\)$/m, '... lists upkeep_module');
    ($rc, $out) = run('apache2ctl', 'configtest');
    is($rc, 0, 'apache2ctl configtest passes with the shipped upkeep.conf') or diag($out);
    like($out, qr/Syntax OK/, '... Syntax OK');
    ($rc, $out) = run('apache2ctl', '-t', '-c', "UpkeepPage $EtcDir/maintenance.html");
    is($rc, 0, "... and with UpkeepPage $EtcDir/maintenance.html (the page the configs name)") or diag($out);
}

# The installed upkeepctl uses the state directory the postinst made.
{
    my ($rc, $out) = run('/usr/sbin/upkeepctl', 'maintenance', '--reason', 'package test');
    # the system apache2 is never started here: done, not in force (3)
    is($rc, 3, 'upkeepctl maintenance (the installed one, its default state directory): done, exit 3 as no httpd runs') or diag($out);
    like($out, qr/no httpd runs on \/var\/lib\/apache2\/upkeep: it applies this when it starts/, '... saying so') or diag($out);
    ok(-e "$StateDir/default.state", "... kept in $StateDir");
}

# ------------------------------------------------------------ remove, reinstall
{
    my ($rc, $out) = dpkg('-r', $Pkg);
    is($rc, 0, "dpkg -r $Pkg") or diag($out);
    like($out, qr/these modes stay in \/var\/lib\/apache2\/upkeep and are in force again when the module is back:\n  scope default: maintenance/, '... saying which mode stays, and that it comes back') or diag($out);
    ok(!-e '/usr/lib/apache2/modules/mod_upkeep.so', '... the module is gone');
    ok(!-l '/etc/apache2/mods-enabled/upkeep.load', '... and disabled (no mods-enabled/upkeep.load)');
    ok(-e '/var/lib/apache2/module/disabled_by_maint/upkeep', '... recorded as disabled by the package');
    ($rc, $out) = run('apache2ctl', 'configtest');
    is($rc, 0, '... apache2ctl configtest passes without it') or diag($out);
    ok(-e "$StateDir/default.state", "... the mode stays in $StateDir");
    ok(-e "$EtcDir/maintenance.html", "... the conffiles stay");

    ($rc, $out) = dpkg('-i', $Deb);
    is($rc, 0, "dpkg -i $Pkg again") or diag($out);
    ok(-l '/etc/apache2/mods-enabled/upkeep.load', '... enabled again');
    ($rc, $out) = run('/usr/sbin/upkeepctl', 'status');
    like($out, qr/^scope default: maintenance/m, '... and the mode before the remove is back in force') or diag($out);
}

# ------------------------------------------------------------ purge
{
    my ($rc, $out) = dpkg('--purge', $Pkg);
    is($rc, 0, "dpkg --purge $Pkg") or diag($out);
    like(pkg_status(), qr/^(?:|.*not-installed)$/, '... the package is gone from dpkg');
    my @left = grep { -e || -l } @Footprint, glob("/var/lib/dpkg/info/$Pkg.*");
    is("@left", '', '... and nothing of it is left on the system');
    ($rc, $out) = run('apache2ctl', 'configtest');
    is($rc, 0, '... apache2ctl configtest passes') or diag($out);
    my $pid = -e $SysPidFile ? slurp($SysPidFile) : undef;
    is($pid, $SysPid, 'the system apache2 was never (re)started');
}

note('t/210-debian-package.t took ' . elapsed($Started));
done_testing();
