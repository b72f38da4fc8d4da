package Test::Upkeep::Chromium;
# Debian's chromium, headless, on pages of the test server (t/170, t/141).
#
#   use Test::Upkeep::Chromium;   # skips (non-root) or bails out (root)
#                                 # when /usr/bin/chromium is missing
#   chromium($path, @flags)       -> stdout (--dump-dom, --screenshot=...),
#                                    time-boxed, the page's script run
#                                    first (virtual time: no real wait)
#   chromium_start($path, @flags) -> handle; chromium_stop($h, $secs)
#   chromium_tmp()                -> a scratch directory, removed at exit
#   chromium_origin()             -> http://127.0.0.1:PORT
# Every name but 127.0.0.1 resolves to nothing, so a page that tried to
# fetch from outside leaks nothing (a --log-net-log records the attempt).
# Each run is a process group of its own, stopped by PID.
use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use POSIX ();
use Test::More;
use Test::Upkeep ();

our @EXPORT = qw(chromium chromium_start chromium_stop chromium_tmp chromium_origin slurp_file);

my $Chromium = '/usr/bin/chromium';
if (!-x $Chromium) {
    # as root, t/run-tests installs it: missing then is a broken setup
    plan skip_all => "$Chromium is not installed (Debian package chromium; "
        . "t/run-tests installs it when run as root)" if $> != 0;
    BAIL_OUT("$Chromium is not installed: apt-get install chromium "
             . "fonts-dejavu-core (t/run-tests does)");
}

my $Tmp = tempdir('upkeep-chromium-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $Run = 0;

sub chromium_tmp { $Tmp }
sub chromium_origin { "http://127.0.0.1:" . Test::Upkeep::port() }

sub slurp_file {
    local $/;
    open my $fh, '<:raw', $_[0] or die "$_[0]: $!";
    return <$fh>;
}

sub chromium_start {
    my ($path, @extra) = @_;
    $Run++;
    my @cmd = ($Chromium, '--headless=new', '--disable-gpu',
        ($> == 0 ? '--no-sandbox' : ()),
        "--user-data-dir=$Tmp/profile-$Run", '--no-first-run',
        '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--disable-default-apps', '--hide-scrollbars',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        @extra, chromium_origin() . $path);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        setpgrp(0, 0);
        $ENV{HOME} = $Tmp;
        $ENV{TZ} = 'UTC';
        open STDOUT, '>', "$Tmp/out-$Run" or POSIX::_exit(127);
        open STDERR, '>', "$Tmp/err-$Run" or POSIX::_exit(127);
        exec @cmd or POSIX::_exit(127);
    }
    return { pid => $pid, run => $Run, cmd => "@cmd" };
}

# Waits up to $secs for chromium to exit by itself; else stops its
# process group.  Returns its exit status (undef: it had to be stopped).
sub chromium_stop {
    my ($c, $secs) = @_;
    my $status;
    Test::Upkeep::wait_for($secs, sub {
        return 0 unless waitpid($c->{pid}, POSIX::WNOHANG()) == $c->{pid};
        $status = $?;
        return 1;
    });
    return $status if defined $status;
    kill 'TERM', -$c->{pid};
    if (!Test::Upkeep::wait_for(10, sub { waitpid($c->{pid}, POSIX::WNOHANG()) == $c->{pid} })) {
        kill 'KILL', -$c->{pid};
        waitpid $c->{pid}, 0;
    }
    return undef;
}

sub chromium {
    my $c = chromium_start($_[0], '--virtual-time-budget=2000', @_[1 .. $#_]);
    my $status = chromium_stop($c, 90);
    die "chromium did not finish within 90s: $c->{cmd}\n" unless defined $status;
    die "chromium exited with status $status: $c->{cmd}\n"
        . slurp_file("$Tmp/err-$c->{run}") if $status;
    return slurp_file("$Tmp/out-$c->{run}");
}

1;
