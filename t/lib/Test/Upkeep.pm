package Test::Upkeep;
# Data-driven test harness for mod_upkeep, in the style of Test::Nginx.
#
# Block sections (see t/001-sanity.t):
#   server:   must_die + startup_error_like (the server must refuse to start),
#             config (vhost), main_config / server_config (top level; may use
#             $ServerPort and $ServRoot), user_files (">>> path" + content;
#             htdocs/ unless cgi-bin/, conf/ or state/; ">>> path -> target"
#             makes a symbolic link, ">>> path (fifo)" a FIFO), clean_state,
#             keep_state
#   ctl:      ctl (one upkeepctl invocation per line; "[3] ARGS" expects
#             exit 3 of that line, others 0), ctl_exit_code (last
#             line), ctl_stdout, ctl_stdout_like, ctl_stderr_like, ctl_user,
#             ctl_env (NAME=VALUE lines), state_unchanged
#   between:  restart (graceful|hard|kill9|stop_start), wait (seconds)
#   request:  request ("METHOD /path [HTTP/x]" + body lines), more_headers,
#             timeout | raw_request (string or arrayref of chunks),
#             raw_request_delay, raw_read_timeout, raw_response_like |
#             curl (extra args), curl_path
#   checks:   error_code, response_headers ("Name: v" / "!Name"),
#             response_headers_like, response_body, response_body_like,
#             response_body_unlike, error_log, no_error_log (lines, or eval
#             to an arrayref of strings / qr//). Regex sections are chomped.
#   cluster:  $MemcachedPort in config sections and ctl lines is
#             the port of a memcached the harness starts on first mention
#             (memcached_port()); --- clean_state also flush_all's every
#             memcached the harness runs, and the per-block state reset also
#             sets every scope's cluster layer back to normal (upkeepctl
#             --cluster) when httpd has UpkeepMemcached: blocks that leave
#             no memcached reachable must say --- keep_state.
#   shared:   define (a word: this block is not run, its sections are kept
#             under that name), use (words: each section the block does
#             not give is taken from those definitions, defined earlier in
#             the file; when several give one, their texts are joined in
#             the order named; a definition may itself use others)
#   table:    rows: a header line naming sections, separated by " | ",
#             then one line per case, cells in the same order; each row
#             runs as a block of its own (own server check, state reset,
#             ctl, request and checks) holding the block's sections with
#             the row's non-empty cells on top, named "NAME [row N: CELL1]".
#             A cell is like a one-line "--- name: value" section (no final
#             newline, "\n" in it is a line break: "POST /x\na=b",
#             response_body "static x\n"); "#" lines and blank lines are
#             skipped; a cell cannot hold " | ".
# Every block also checks that its error-log lines hold no crash/sanitizer
# report and that the apache2 parent is still alive. The error-log offset is
# taken after the server is (re)started for the block but BEFORE ctl/restart.
#
# NOTE: "use Test::Base -Base" turns on Spiffy's source filter, which inserts
# "my $self = shift;" into every sub declared at column 0 as "sub foo {".
# Every sub in this file is therefore declared as "sub foo() {": the filter
# strips the empty prototype and leaves @_ alone (they are plain functions).
#
# Helpers for code-driven tests (beside run_tests):
#   instance(NAME, sub { ... })  runs the code against a second, independent
#       httpd: its own servroot (<servroot>-NAME), port, config and state;
#       start_server, restart_server, stop_server, ctl, http_get, port,
#       servroot, error_log_* all act on that instance inside the callback.
#       "default" is the instance run_tests uses.  Every instance is stopped
#       at END.
#   start_memcached([PORT]) -> PORT, stop_memcached(PORT), memcached_port()
#       (the harness's shared memcached, started on first use; it stays
#       stopped if a test stops it), mc_cmd(PORT,
#       TEXT) -> raw reply, mc_get(PORT, KEY) -> value or undef,
#       mc_set(PORT, KEY, VALUE) -> reply line.
#   start_blackhole() -> PORT of a TCP server that accepts and never
#       answers; stop_blackhole(PORT).
#   start_slow_memcached() -> PORT of a fake memcached that answers a get
#       with "VALUE KEY 0 4000" at once and then one byte of the value
#       every 100 ms (any other command: its reply, a byte every 100 ms),
#       so no single read waits long but no reply ends in time;
#       stop_slow_memcached(PORT).
#   cluster_value(%fields) -> a cluster value (state text + hmac-sha256
#       line when `secret` is given), for forging and replaying.
#   @Test::Upkeep::HttpdPreload: shared objects preloaded into httpd from
#       its next start (a fault injector: t/lib/fsync_fault.c).
#   free_port() -> an unused loopback port; wait_for(SECONDS, CODE) -> true
#       as soon as CODE returns true, false after SECONDS;
#       fatal_log_lines(OFFSET) -> error-log lines since OFFSET that hold a
#       crash or sanitizer report (what every data-driven block checks),
#       followed by the backtraces of new cores in SERVROOT/cores.
# memcached and blackhole children are stopped by PID only, never by name.
use Test::Base -Base;

use Cwd qw(abs_path getcwd);
use Digest::SHA qw(hmac_sha256_hex);
use JSON::PP ();
use File::Basename qw(dirname basename);
use File::Find ();
use File::Path qw(make_path remove_tree);
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Test::More import => ['done_testing'];
use Text::ParseWords qw(shellwords);
use Time::HiRes qw(sleep time);

our @EXPORT = qw(
    run_tests servroot port start_server stop_server restart_server
    server_pid server_alive ctl http_raw http_get
    error_log_offset error_log_since done_testing
    instance start_memcached stop_memcached memcached_port mc_cmd mc_get
    mc_set start_blackhole stop_blackhole start_slow_memcached
    stop_slow_memcached cluster_value free_port wait_for
    fatal_log_lines
);

# ---------------------------------------------------------------- settings
my $Root = abs_path(dirname(__FILE__) . '/../../..');   # repo root
# TEST_UPKEEP_SERVROOT=t/servroot-NAME lets several suites run side by side.
our $ServRoot = "$Root/" . ($ENV{TEST_UPKEEP_SERVROOT} || 't/servroot');
die "TEST_UPKEEP_SERVROOT must be t/servroot or t/servroot-NAME\n"
    unless $ServRoot =~ m{^\Q$Root\E/t/servroot(-[\w.-]+)?$};
my $Apache    = '/usr/sbin/apache2';
my $ModDir    = '/usr/lib/apache2/modules';
my $Mpm       = $ENV{TEST_UPKEEP_MPM} || 'event';
die "TEST_UPKEEP_MPM must be event or prefork\n" unless $Mpm =~ /^(event|prefork)$/;

# Paths given in the environment are relative to the cwd; defaults to the repo.
sub _abs_path() { my ($p) = @_; $p =~ m{^/} ? $p : getcwd() . "/$p" }
my $Module = $ENV{TEST_UPKEEP_MODULE}
    ? ($ENV{TEST_UPKEEP_MODULE} eq 'none' ? undef : _abs_path($ENV{TEST_UPKEEP_MODULE}))
    : (-e "$Root/.libs/mod_upkeep.so" ? "$Root/.libs/mod_upkeep.so" : "$Root/mod_upkeep.so");
my $Ctl = $ENV{TEST_UPKEEP_CTL} ? _abs_path($ENV{TEST_UPKEEP_CTL}) : "$Root/upkeepctl";

# Errors that must never show up in the error log, whatever the block says.
my @FatalLog = ('Segmentation fault', '[core:emerg]', 'AddressSanitizer',
                'runtime error:', 'exit signal', 'LeakSanitizer');

my $Port;            # chosen once per test file
my $RunningConf;     # config identity of the server we started, if running
my $OwnerPid = $$;   # END/SIGINT only act in the process that loaded us
my $Initialized = 0; # servroot wiped and recreated for this test file
# Shared objects preloaded into httpd (after the sanitizer runtime) from
# the next start on, e.g. a fault injector (t/192-journal-fsync.t).
our @HttpdPreload;

# A test file that hangs fails by itself, its servers stopped, instead of
# stalling the suite (and CI) until an outer limit.
my $FileTimeout = $ENV{TEST_UPKEEP_FILE_TIMEOUT} || 900;
{
    # delivered at once (not deferred): a hang is often a blocking read
    my $act = POSIX::SigAction->new(sub {
        print STDERR "# $0: timed out after $FileTimeout s (TEST_UPKEEP_FILE_TIMEOUT): a hang\n";
        _stop_all();
        # and the command it waits on, which may hold prove's pipe open
        kill 'TERM', _descendants($$);
        exit 124;
    });
    $act->safe(0);
    POSIX::sigaction(POSIX::SIGALRM(), $act);
    alarm $FileTimeout;
}

# The four variables above (and $ServRoot) are the state of the current
# instance; instance() swaps them.  %Instances holds the others.
my $BaseServRoot = $ServRoot;
my $Instance = 'default';
my %Instances;       # name => [$ServRoot, $Port, $RunningConf, $Initialized]

my (%Memcached, %Blackhole, %Slow);  # port => pid of our memcached / blackhole
                                     # / slow memcached children
my $SharedMemcached;          # port of memcached_port()'s server ($MemcachedPort)

sub servroot() { $ServRoot }
sub _state_dir() { "$ServRoot/state" }
sub _pid_file() { "$ServRoot/logs/httpd.pid" }
sub _error_log() { "$ServRoot/logs/error.log" }

sub free_port() {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "cannot bind a free port: $!\n";
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub port() {
    return $Port if $Port;
    if ($Instance eq 'default' and $Port = $ENV{TEST_UPKEEP_PORT}) {
        die "TEST_UPKEEP_PORT must not be 80/443\n" if $Port == 80 || $Port == 443;
        return $Port;
    }
    return $Port = free_port();
}

# ---------------------------------------------------------------- processes
# A pid is alive if it exists and is not a zombie (the daemonized httpd is
# reaped by init, which may be slow or absent in containers).
sub _pid_alive() {
    my ($pid) = @_;
    return $pid && kill(0, $pid) && _slurp("/proc/$pid/stat") =~ /^\d+ \(.*\) [^Z] /s;
}

sub _wait_dead() {
    my ($timeout, @pids) = @_;
    my $end = time + $timeout;
    while (grep { _pid_alive($_) } @pids) { return 0 if time > $end; sleep 0.05 }
    return 1;
}

# All descendants of $pid, found via the ppid field of /proc/*/stat.
sub _descendants() {
    my ($pid) = @_;
    my %kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        # comm may contain spaces/parens: ppid is the 2nd field after the last ')'
        push @{ $kids{$2} }, $1 if _slurp($stat) =~ /^(\d+) \(.*\) \S+ (\d+) /s;
    }
    my @todo = my @out = @{ $kids{$pid} || [] };
    while (defined(my $p = shift @todo)) { push @out, @{ $kids{$p} || [] }; push @todo, @{ $kids{$p} || [] } }
    return @out;
}

# Pid from our pid file, only if that process is alive and really our
# apache2: started with our config file.  A pid file left by a killed
# server may name a pid reused since, even by the apache2 of a suite
# running beside this one (t/run-tests runs both MPMs at once).
sub server_pid() {
    my ($pid) = _slurp(_pid_file()) =~ /(\d+)/ or return undef;
    return undef unless _pid_alive($pid);
    (my $cmd = _slurp("/proc/$pid/cmdline")) =~ tr/\0/ /;
    return index($cmd, "$ServRoot/conf/httpd.conf") >= 0 ? $pid : undef;
}
sub server_alive() { defined server_pid() }

# fork+exec with stdout/stderr captured in files (never pipes: the daemonized
# httpd could inherit a pipe and we would block on EOF forever).
sub _run() {
    my (%o) = @_;   # cmd => [...], env => {...}, timeout => s
    my ($out, $err) = map { "$ServRoot/logs/.run.$$.$_" } qw(out err);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out; open STDERR, '>', $err;
        @ENV{ keys %{ $o{env} } } = values %{ $o{env} } if $o{env};
        { no warnings "exec"; exec { $o{cmd}[0] } @{ $o{cmd} } }
        print STDERR "exec $o{cmd}[0]: $!\n";
        POSIX::_exit(127);    # never run END blocks in the child
    }
    my $end = time + ($o{timeout} || 30);
    while (waitpid($pid, POSIX::WNOHANG()) == 0) {
        if (time > $end) { kill 'KILL', $pid; waitpid $pid, 0; $? = 137 << 8; last }
        sleep 0.01;
    }
    my $rc = ($? & 127) ? 128 + ($? & 127) : $? >> 8;    # shell-style status
    my @res = ($rc, map { _slurp($_) } $out, $err);
    unlink $out, $err;
    return @res;   # (exit, stdout, stderr)
}

sub _slurp() {
    open my $fh, '<:raw', $_[0] or return '';
    local $/;
    return <$fh> // '';
}

sub _can_connect() {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(),
                                  Proto => 'tcp', Timeout => 1);
    return $s ? (close($s), 1)[1] : 0;
}

# ---------------------------------------------------------------- servroot
sub _remove_servroot() {
    my $sr = $ServRoot;
    return unless -e $sr;
    # Paranoia: only ever remove exactly <repo>/t/servroot, a real directory
    # that is empty or contains our conf/httpd.conf.
    opendir my $dh, $sr or die "cannot read $sr: $!\n";
    my @entries = grep { !/^\.\.?$/ } readdir $dh;
    die "refusing to remove $sr: not our servroot\n"
        if -l $sr || !-d _ || abs_path($sr) ne $ServRoot
        || (@entries && !-f "$sr/conf/httpd.conf");
    remove_tree($sr);
}

sub _init_servroot() {
    return if $Initialized++;
    _kill_server(server_pid()) if -f _pid_file();   # leftover from a crashed run
    _remove_servroot();
    make_path(map { "$ServRoot/$_" } qw(conf logs htdocs cgi-bin state cores));
    chmod 01777, "$ServRoot/cores";    # CoreDumpDirectory: children run as www-data
    _write_file("$ServRoot/htdocs/index.html", "hello\n", 0644);
    # httpd workers (www-data) must traverse every parent directory.
    for (my $d = $ServRoot; $d ne '/'; $d = dirname($d)) {
        warn "# Test::Upkeep: $d is not world-searchable; www-data cannot reach htdocs\n"
            unless (stat $d)[2] & 01;
    }
    $SIG{INT} = $SIG{TERM} = sub { _stop_all(); exit 130 };
}

sub _write_file() {
    my ($path, $content, $mode) = @_;
    make_path(dirname($path));
    open my $fh, '>', $path or die "cannot write $path: $!\n";
    print $fh $content;
    close $fh;
    chmod $mode, $path if defined $mode;
}

# ---------------------------------------------------------------- config
# $ServerPort, $ServRoot and $MemcachedPort (which starts the shared
# memcached on first mention) in block text.
sub _subst() {
    my ($t) = @_;
    return $t unless defined $t;
    $t =~ s/\$ServerPort\b/port()/ge;
    $t =~ s/\$ServRoot\b/$ServRoot/g;
    $t =~ s/\$MemcachedPort\b/memcached_port()/ge;
    return $t;
}

# A "spec" is a Test::Base block, a hashref with the same section names, or a
# plain string (used as the vhost --- config).
sub _sect() {
    my ($spec, $name) = @_;
    return undef unless defined $spec;
    return ref($spec) eq 'HASH' ? $spec->{$name}
         : ref($spec)           ? scalar $spec->$name
         : $name eq 'config'    ? $spec : undef;
}

sub _httpd_conf() {
    my ($spec) = @_;
    my ($sr, $p) = ($ServRoot, port());
    my @mods = ("mpm_$Mpm", qw(unixd authz_core authz_host mime dir alias log_config
                env setenvif headers rewrite proxy proxy_http http2),
                $Mpm eq 'event' ? 'cgid' : 'cgi');
    # unixd and log_config are compiled into Debian's apache2: skip missing .so
    my $load = join '', map { "LoadModule ${_}_module $ModDir/mod_$_.so\n" }
        grep { -e "$ModDir/mod_$_.so" } @mods;
    $load .= "LoadModule upkeep_module $Module\n" if $Module;
    my $mpm = $Mpm eq 'prefork'
        ? "StartServers 2\nMinSpareServers 2\nMaxSpareServers 4\nMaxRequestWorkers 20\n"
        : "StartServers 2\nServerLimit 4\nThreadsPerChild 8\nMinSpareThreads 8\n"
        . "MaxSpareThreads 32\nMaxRequestWorkers 32\nScriptSock $sr/logs/cgid.sock\n";
    my $user = $> == 0 ? "User www-data\nGroup www-data\n" : '';
    my $upkeep = $Module ? "UpkeepStateDir $sr/state\n" : '';
    my $loglevel = $Module ? 'info upkeep:debug' : 'info';
    my ($main, $server, $vhost) = map { _sect($spec, $_) // '' } qw(main_config server_config config);
    $_ = _subst($_) for $main, $server, $vhost;
    return <<"EOF";
# Generated by Test::Upkeep -- do not edit
ServerRoot "$sr"
ServerName 127.0.0.1
Listen 127.0.0.1:$p
PidFile $sr/logs/httpd.pid
DefaultRuntimeDir $sr/logs
Mutex file:$sr/logs default
CoreDumpDirectory $sr/cores
$load
ErrorLog $sr/logs/error.log
LogLevel $loglevel
LogFormat "%h %t \\"%r\\" %>s %b pid=%P mode=%{UPKEEP_MODE}e" upkeep
CustomLog $sr/logs/access.log upkeep
TypesConfig /etc/mime.types
$user$mpm
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
Timeout 10
$upkeep
# --- main_config
$main
# --- server_config
$server
<VirtualHost 127.0.0.1:$p>
    ServerName localhost
    Protocols h2c http/1.1
    DocumentRoot "$sr/htdocs"
    <Directory "$sr/htdocs">
        Require all granted
    </Directory>
    ScriptAlias /cgi-bin/ "$sr/cgi-bin/"
    <Directory "$sr/cgi-bin">
        Options +ExecCGI
        Require all granted
    </Directory>
# --- config
$vhost
</VirtualHost>
EOF
}

# ---------------------------------------------------------------- server control
# httpd's event MPM has a race of its own in an ungraceful stop or restart:
# the child's main thread closes the sockets its workers hold
# (close_worker_sockets) while a worker that just answered is still
# destroying that connection's pool, and reads freed memory (a segfault in
# apr_os_sock_get; seen without mod_upkeep loaded, about 1 stop in 70 right
# after a Connection: close answer).  The client sees the end of the answer
# before the worker lets go of the socket, so wait that long first.
sub _let_workers_finish() { sleep 0.05 }

sub _kill_server() {
    my ($pid) = @_;
    return 1 unless $pid;
    _let_workers_finish();
    kill 'TERM', $pid;
    return 1 if _wait_dead(10, $pid);
    kill 'KILL', $pid, _descendants($pid);
    return _wait_dead(5, $pid);
}

sub stop_server() {
    return unless $$ == $OwnerPid;
    _kill_server(server_pid());
    undef $RunningConf;
}

sub _start() {
    my $log_off = error_log_offset();
    # a stale pid file would make apache2 -k start refuse ("already
    # running") when its pid now belongs to another process
    unlink _pid_file() unless server_pid();
    my ($rc, $out, $err) = _run(
        # a crashed child leaves a core that fatal_log_lines() turns into a backtrace
        cmd => ['sh', '-c', 'ulimit -c unlimited 2>/dev/null || ulimit -Sc "$(ulimit -Hc)"; exec "$@"',
                'sh', $Apache, '-d', $ServRoot, '-f', "$ServRoot/conf/httpd.conf", '-k', 'start'],
        env => {
            (@HttpdPreload || $ENV{TEST_UPKEEP_PRELOAD}
                ? (LD_PRELOAD => join ' ', grep { $_ } $ENV{TEST_UPKEEP_PRELOAD}, @HttpdPreload) : ()),
            ($ENV{TEST_UPKEEP_PRELOAD}
                ? (ASAN_OPTIONS  => 'detect_leaks=0:abort_on_error=0',
                   UBSAN_OPTIONS => 'print_stacktrace=1') : ()) });
    my $fail = sub {
        die "apache2 failed to start: $_[0]\n--- apache2 exit $rc, output:\n$out$err"
          . "--- error.log since start:\n" . substr(error_log_since($log_off), -4000) . "\n";
    };
    $fail->('non-zero exit') if $rc;
    my $end = time + 10;
    until (server_pid() && _can_connect()) {
        # post_config runs again after apache2 daemonizes: failures only hit the log
        $fail->('configuration failed') if error_log_since($log_off) =~ /Configuration Failed|:emerg\]/;
        $fail->('pid file / port not up after 10s') if time > $end;
        sleep 0.05;
    }
    return 1;
}

# Start (or keep) a server running the config for $spec. Restarts (full
# stop+start) only when the generated config differs from the running one.
sub start_server() {
    my ($spec) = @_;
    _init_servroot();
    my $conf = _httpd_conf($spec);
    # conf/ user files are part of the identity: an Include'd file may change
    my $ident = $conf . join '', map { "\0$_->[0]\0$_->[2]\0" . ($_->[3] // '') }
        grep { $_->[0] =~ m{^conf/} } _parse_user_files(_sect($spec, 'user_files'));
    return 1 if defined $RunningConf && $RunningConf eq $ident && server_alive();
    stop_server();
    _write_file("$ServRoot/conf/httpd.conf", $conf);
    _start();
    $RunningConf = $ident;
    return 1;
}

# graceful (USR1) | hard (HUP) | kill9 | stop_start. Dies on failure.
sub restart_server() {
    my ($kind) = @_;
    my $pid = server_pid() or die "restart_server: no server running\n";
    if ($kind eq 'graceful' || $kind eq 'hard') {
        my $off = error_log_offset();
        _let_workers_finish() if $kind eq 'hard';
        kill $kind eq 'graceful' ? 'USR1' : 'HUP', $pid;
        # a new generation logs "resuming normal operations" once it is up
        my $end = time + 10;
        until (error_log_since($off) =~ /resuming normal operations/ && _can_connect()) {
            die "restart_server($kind): no new generation after 10s\n" if time > $end;
            die "restart_server($kind): parent $pid died\n" unless _pid_alive($pid);
            sleep 0.05;
        }
        sleep 0.3;    # let the new children settle
    } elsif ($kind eq 'kill9') {
        my @pids = ($pid, _descendants($pid));    # collect children first
        kill 'KILL', @pids;
        _wait_dead(10, @pids) or die "restart_server(kill9): processes survived\n";
        unlink _pid_file();
        _start();
    } elsif ($kind eq 'stop_start') {
        _kill_server($pid) or die "restart_server: cannot stop $pid\n";
        _start();
    } else {
        die "restart_server: unknown kind '$kind'\n";
    }
    return 1;
}

END {
    if ($$ == $OwnerPid) { local $?; _stop_all() }
}

# ---------------------------------------------------------------- instances
# instance('b', sub { start_server(...); ctl(...); http_get(...) }): the
# callback runs against instance b (servroot <default servroot>-b, its own
# free port); the previous instance is back when it returns or dies.
sub _switch_instance() {
    my ($name) = @_;
    $Instances{$Instance} = [$ServRoot, $Port, $RunningConf, $Initialized];
    ($ServRoot, $Port, $RunningConf, $Initialized) =
        @{ delete $Instances{$name} // ["$BaseServRoot-$name", undef, undef, 0] };
    $Instance = $name;
}

sub instance() {
    my ($name, $code) = @_;
    die "instance: bad name '$name'\n" unless $name =~ /^[A-Za-z0-9]+$/;
    return $code->() if $name eq $Instance;
    my $prev = $Instance;
    _switch_instance($name);
    my @res = eval { wantarray ? $code->() : scalar $code->() };
    my $err = $@;
    _switch_instance($prev);
    die $err if $err;
    return wantarray ? @res : $res[0];
}

# Every instance's server, then every memcached and blackhole child.
sub _stop_all() {
    return unless $$ == $OwnerPid;
    instance($_, sub { stop_server() }) for sort keys %Instances;
    stop_server();
    stop_memcached($_) for sort keys %Memcached;
    stop_blackhole($_) for sort keys %Blackhole;
    stop_slow_memcached($_) for sort keys %Slow;
}

# ---------------------------------------------------------------- helper processes
# memcached and the blackhole run as our own children, stopped by PID.

sub _stop_child() {
    my ($pid) = @_;
    return unless $pid && $$ == $OwnerPid;
    kill 'TERM', $pid;
    for (1 .. 100) { return if waitpid($pid, POSIX::WNOHANG()) == $pid; sleep 0.05 }
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

sub _port_accepts() {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return $s ? (close($s), 1)[1] : 0;
}

# start_memcached([$port]) -> port.  A given port restarts a stopped server
# on the same address (it comes back empty, as a restarted memcached does).
sub start_memcached() {
    my ($port) = @_;
    $port ||= free_port();
    die "start_memcached: port $port is already ours\n" if $Memcached{$port};
    my @cmd = ('/usr/bin/memcached', '-l', '127.0.0.1', '-p', $port, '-U', '0', '-m', '16',
               $> == 0 ? ('-u', 'nobody') : ());
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        $SIG{INT} = $SIG{TERM} = 'DEFAULT';
        open STDIN, '<', '/dev/null'; open STDOUT, '>', '/dev/null'; open STDERR, '>', '/dev/null';
        { no warnings "exec"; exec { $cmd[0] } @cmd }
        POSIX::_exit(127);
    }
    $Memcached{$port} = $pid;
    my $end = time + 10;
    until (_port_accepts($port)) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid || time > $end) {
            delete $Memcached{$port};
            _stop_child($pid);
            die "start_memcached: memcached on port $port did not come up\n";
        }
        sleep 0.05;
    }
    return $port;
}

sub stop_memcached() {
    my ($port) = @_;
    _stop_child(delete $Memcached{$port});
}

# The memcached that $MemcachedPort names, started on first use.  A test
# that stops it keeps its port (a config then points at a dead server) and
# brings it back with start_memcached(memcached_port()).
sub memcached_port() {
    $SharedMemcached ||= start_memcached();
    return $SharedMemcached;
}

# mc_cmd($port, "get k") -> the raw reply (CRLF kept); "\r\n" is added to a
# command that does not end in a newline.  Reads until a final reply line.
sub mc_cmd() {
    my ($port, $text, $timeout) = @_;
    $text .= "\r\n" unless $text =~ /\n\z/;
    local $SIG{PIPE} = 'IGNORE';
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 2)
        or die "mc_cmd: connect 127.0.0.1:$port: $!\n";
    print {$s} $text or die "mc_cmd: send: $!\n";
    my $final = $text =~ /^gets? /
        ? qr/(?:^|\r\n)(?:END|ERROR|(?:CLIENT|SERVER)_ERROR[^\r\n]*)\r\n\z/
        : qr/(?:^|\r\n)(?:[A-Z_]+(?: [^\r\n]*)?)\r\n\z/;
    my ($sel, $buf) = (IO::Select->new($s), '');
    while ($buf !~ $final && $sel->can_read($timeout // 3)) {
        sysread($s, $buf, 65536, length $buf) or last;
    }
    close $s;
    return $buf;
}

sub mc_get() {
    my ($port, $key) = @_;
    my $r = mc_cmd($port, "get $key");
    return $r =~ /^VALUE \S+ \d+ (\d+)\r\n/ ? substr($r, length($&), $1) : undef;
}

sub mc_set() {
    my ($port, $key, $value) = @_;
    my $r = mc_cmd($port, "set $key 0 0 " . length($value) . "\r\n$value\r\n");
    $r =~ s/\r\n\z//;
    return $r;
}

# A TCP server that accepts connections and never answers.
sub start_blackhole() {
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 128, ReuseAddr => 1)
        or die "start_blackhole: cannot listen: $!\n";
    my $port = $l->sockport;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        $SIG{INT} = $SIG{TERM} = 'DEFAULT';
        open STDIN, '<', '/dev/null';
        my @held;
        while (1) { my $c = $l->accept or next; push @held, $c }   # never read, never write
    }
    close $l;
    $Blackhole{$port} = $pid;
    return $port;
}

sub stop_blackhole() {
    my ($port) = @_;
    _stop_child(delete $Blackhole{$port});
}

# A fake memcached whose replies trickle: a byte every 100 ms to every
# connection (each read is quick, the reply takes minutes).  One process,
# a select loop; stopped by PID.
sub start_slow_memcached() {
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 128, ReuseAddr => 1)
        or die "start_slow_memcached: cannot listen: $!\n";
    my $port = $l->sockport;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        $SIG{INT} = $SIG{TERM} = 'DEFAULT';
        $SIG{PIPE} = 'IGNORE';
        open STDIN, '<', '/dev/null';
        my $sel = IO::Select->new($l);
        my (%conn, %in, %out);      # fileno => socket, what came in, what is to trickle out
        my $next = time;
        while (1) {
            for my $s ($sel->can_read(0.02)) {
                if ($s == $l) {
                    my $c = $l->accept or next;
                    $sel->add($c);
                    $conn{fileno $c} = $c;
                    $in{fileno $c} = '';
                    next;
                }
                my ($fd, $buf) = (fileno $s, '');
                if (!sysread($s, $buf, 65536)) {
                    $sel->remove($s);
                    delete $conn{$fd}; delete $in{$fd}; delete $out{$fd};
                    close $s;
                    next;
                }
                $in{$fd} .= $buf;
                next if defined $out{$fd} || $in{$fd} !~ /\r?\n/;
                if ($in{$fd} =~ /^gets? (\S+)/) {
                    syswrite($s, "VALUE $1 0 4000\r\n");
                    $out{$fd} = ('x' x 4000) . "\r\nEND\r\n";
                } else {
                    $out{$fd} = "STORED\r\n";
                }
            }
            next if time < $next;
            $next = time + 0.1;
            for my $fd (keys %out) {
                next unless length $out{$fd};
                syswrite($conn{$fd}, substr($out{$fd}, 0, 1, ''));
            }
        }
    }
    close $l;
    $Slow{$port} = $pid;
    return $port;
}

sub stop_slow_memcached() {
    my ($port) = @_;
    _stop_child(delete $Slow{$port});
}

# cluster_value(scope => 'default', mode => 'maintenance', version => 7,
#   since, until, retry_after, changed_by, reason, prefix => 'upkeep',
#   secret => '...') -> the value upkeepctl --cluster would store (signed
#   when a secret is given).
sub cluster_value() {
    my (%o) = @_;
    my $text = "# mod_upkeep state; written by upkeepctl, do not edit\n"
        . "format 1\n"
        . "scope " . ($o{scope} // 'default') . "\n"
        . "mode " . ($o{mode} // 'normal') . "\n"
        . "version " . ($o{version} // 1) . "\n"
        . "since " . ($o{since} // int time) . "\n"
        . "until " . ($o{until} // 0) . "\n"
        . "retry-after " . ($o{retry_after} // 0) . "\n"
        . "changed-by " . ($o{changed_by} // 'test@harness') . "\n"
        . "reason " . ($o{reason} // '') . "\n";
    return $text unless defined $o{secret};
    return $text . "hmac-sha256 " . hmac_sha256_hex("upkeep-cluster-value\n"
        . ($o{prefix} // 'upkeep') . "\n" . $text, $o{secret}) . "\n";
}

# wait_for($seconds, sub { ... }) -> 1 as soon as the code returns true.
sub wait_for() {
    my ($timeout, $code) = @_;
    my $end = time + $timeout;
    while (1) {
        return 1 if $code->();
        return 0 if time > $end;
        sleep 0.05;
    }
}

# ---------------------------------------------------------------- error log
sub error_log_offset() { -s _error_log() || 0 }
# Error-log lines since $off that hold a crash or sanitizer report.
sub fatal_log_lines() {
    my ($off) = @_;
    my @bad = grep { my $l = $_; grep { index($l, $_) >= 0 } @FatalLog } split /\n/, error_log_since($off);
    return @bad ? (@bad, _core_backtraces()) : ();
}

# Backtraces of the cores crashed children left (each reported once), so a
# crash in CI shows where it happened: the crashing thread, and any other
# thread inside mod_upkeep, libmemcached or mod_watchdog.  Empty without
# gdb or cores.
sub _core_backtraces() {
    my @out;
    for my $core (grep { !/\.reported$/ } glob "$ServRoot/cores/core*") {
        my (undef, $bt) = _run(cmd => ['gdb', '-batch', '-nx', '-ex', 'bt 30',
                                       '-ex', 'thread apply all bt 30', $Apache, $core]);
        my ($crash, @threads) = split /^(?=Thread \d+ )/m, $bt // '';
        push @out, "--- backtrace of $core:",
            grep { /^(#\d|Thread |Program terminated)/ } map { split /\n/ }
            $crash, grep { /upkeep|memcached|watchdog/ } @threads;
        rename $core, "$core.reported";    # kept for a closer look, reported once
    }
    return @out;
}
sub error_log_since() {
    my ($off) = @_;
    my $log = _slurp(_error_log());
    return ($off || 0) > length $log ? '' : substr $log, $off || 0;
}

# ---------------------------------------------------------------- upkeepctl
# ctl([{user => 'nobody', env => {K => V}},] @args) -> ($exit, $stdout, $stderr)
sub ctl() {
    my $o = ref $_[0] eq 'HASH' ? shift : {};
    my @cmd = ($Ctl, '--state-dir', _state_dir(), @_);
    if (my $u = $o->{user}) {
        my (undef, undef, $uid, $gid) = getpwnam($u) or die "ctl: unknown user $u\n";
        unshift @cmd, 'setpriv', "--reuid=$uid", "--regid=$gid", '--clear-groups', '--';
    }
    _init_servroot();
    return _run(cmd => \@cmd, env => $o->{env}, timeout => 30);
}

# The cluster poller rewrites the health fields of upkeep.live (last_ok,
# last_try, failing: bytes 16..39, after the 4 header words) on every poll;
# they are not state, so the snapshot blanks them.
sub _state_snapshot() {
    my %files;
    File::Find::find({ no_chdir => 1, wanted => sub {
        return unless -f $_;
        my $name = substr $_, length(_state_dir()) + 1;
        $files{$name} = _slurp($_);
        substr($files{$name}, 16, 24) = "\0" x 24
            if $name eq 'upkeep.live' && length $files{$name} >= 40;
    } }, _state_dir()) if -d _state_dir();
    return \%files;
}

# ---------------------------------------------------------------- HTTP client
# Send $bytes (a string, or an arrayref of chunks sent $delay s apart) and
# read until the server closes or $timeout seconds pass without data.
sub http_raw() {
    my ($bytes, $timeout, $delay) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(),
                                  Proto => 'tcp', Timeout => 5)
        or die "connect 127.0.0.1:" . port() . ": $!\n";
    my @chunks = ref $bytes ? @$bytes : ($bytes);
    while (@chunks) {
        my $c = shift @chunks;
        print {$s} $c or die "send: $!\n";
        sleep($delay // 0.1) if @chunks;
    }
    my ($sel, $buf) = (IO::Select->new($s), '');
    while ($sel->can_read($timeout // 3)) {
        my $n = sysread $s, $buf, 65536, length $buf;
        last unless $n;    # EOF or reset
    }
    close $s;
    return $buf;
}

# Parse "status line, headers, body" (skips 1xx interim responses). With
# $decode, de-chunk / honour Content-Length; curl output is already decoded.
sub _parse_response() {
    my ($raw, $method, $decode) = @_;
    my ($head, $body) = ('', $raw // '');
    do {
        ($head, $body) = split /\r?\n\r?\n/, $body, 2;
        $head //= '';
        $body //= '';
    } while ($head =~ m{^HTTP/[\d.]+ 1(?!01)\d\d} && length $body);
    my @lines = split /\r?\n/, $head;
    my $sl = shift(@lines) // '';
    my ($status) = $sl =~ m{^HTTP/[\d.]+ (\d{3})} or return { error => "bad status line: '$sl'" };
    my (%h, @list);
    for (@lines) {
        my ($n, $v) = /^([^:]+):\s*(.*?)\s*$/ or next;
        push @list, [$n, $v];
        $h{lc $n} = exists $h{lc $n} ? "$h{lc $n}, $v" : $v;
    }
    if (!$decode) {
    } elsif (($method // '') eq 'HEAD' || $status =~ /^(1|204|304)/) {
        $body = '';
    } elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $len = hex $1;
            last if $len == 0;
            $out .= substr($body, 0, $len, '');
            $body =~ s/^\r\n//;
        }
        $body = $out;
    } elsif (defined $h{'content-length'}) {
        $body = substr($body, 0, $h{'content-length'});
    }
    return { status => $status, status_line => $sl, headers => \%h,
             header_list => \@list, body => $body };
}

# http_get($method, $path, \%headers or \@pairs, $body, $timeout) -> hashref
# {status, status_line, headers (lowercased names), header_list, body, raw}
# or {error => ...}. Host: localhost and Connection: close are added unless given.
sub http_get() {
    my ($method, $path, $hdrs, $body, $timeout) = @_;
    my @h = ref $hdrs eq 'HASH' ? map { [$_, $hdrs->{$_}] } sort keys %$hdrs : @{ $hdrs || [] };
    my %have = map { lc $_->[0] => 1 } @h;
    unshift @h, ['Host', 'localhost'] unless $have{host};
    push @h, ['Connection', 'close'] unless $have{connection};
    push @h, ['Content-Length', length $body]
        if defined $body && !$have{'content-length'} && !$have{'transfer-encoding'};
    my $proto = $path =~ s/\s+(HTTP\/\S+)$// ? $1 : 'HTTP/1.1';
    my $req = "$method $path $proto\r\n" . join('', map { "$_->[0]: $_->[1]\r\n" } @h) . "\r\n" . ($body // '');
    my $raw = eval { http_raw($req, $timeout // 10) };
    return { error => $@ } unless defined $raw;
    return { error => 'empty response (connection closed)', raw => '' } if $raw eq '';
    my $r = _parse_response($raw, $method, 1);
    $r->{raw} = $raw;
    return $r;
}

sub _curl() {
    my ($args, $path, $timeout) = @_;
    my ($rc, $out, $err) = _run(cmd => ['curl', '-sS', '-i', '--max-time', $timeout // 10,
        shellwords($args // ''), 'http://127.0.0.1:' . port() . ($path // '/')], timeout => 60);
    return { error => "curl exit $rc: $err", raw => $out } if $rc;
    my $r = _parse_response($out, undef, 0);
    $r->{raw} = $out;
    return $r;
}

# ---------------------------------------------------------------- data-driven runner
# ">>> path" headed files. Paths are relative to htdocs, except cgi-bin/,
# conf/ and state/ (the UpkeepStateDir).  ">>> path -> target" is a
# symbolic link (target as written), ">>> path (fifo)" a named pipe.
# Returns ([relative path, absolute path, content, kind], ...); kind is
# undef for a file, "link:TARGET" or "fifo".
sub _parse_user_files() {
    my ($text) = @_;
    my @files;
    for my $part (split /^>>> */m, $text // '') {
        next unless $part =~ /\S/;
        my ($name, $content) = split /\n/, $part, 2;
        $name =~ s/\s+$//;
        my $kind = $name =~ s/\s+->\s+(\S.*)$// ? "link:$1"
                 : $name =~ s/\s+\(fifo\)$//   ? 'fifo' : undef;
        die "user_files: bad path '$name'\n" if $name =~ m{^/|(^|/)\.\.(/|$)};
        my $abs = $name =~ m{^(cgi-bin|conf|state)/} ? "$ServRoot/$name" : "$ServRoot/htdocs/$name";
        push @files, [$name, $abs, $content // '', $kind];
    }
    return @files;
}

sub _write_user_files() {
    for (_parse_user_files(_sect($_[0], 'user_files'))) {
        my ($name, $abs, $content, $kind) = @$_;
        # a link or FIFO left by an earlier block: never write through it
        unlink $abs if -l $abs || -p $abs || ($kind && -e _);
        if (!$kind) {
            _write_file($abs, $content, $name =~ m{^cgi-bin/} ? 0755 : 0644);
            next;
        }
        make_path(dirname($abs));
        if ($kind eq 'fifo') {
            POSIX::mkfifo($abs, 0644) or die "user_files: mkfifo $abs: $!\n";
        } else {
            symlink(substr($kind, 5), $abs) or die "user_files: symlink $abs: $!\n";
        }
    }
}

sub _lines() { grep { /\S/ && !/^\s*#/ } split /\n/, $_[0] // '' }
sub _pattern_list() {
    my ($v) = @_;
    return ref $v eq 'ARRAY' ? @$v : ref $v ? ($v) : _lines($v);
}
sub _log_has() { my ($log, $p) = @_; ref $p ? $log =~ $p : index($log, $p) >= 0 }
sub _chomped() { my ($s) = @_; $s =~ s/\n\z// if defined $s; $s }

sub _fmt_cmd() { join ' ', map { /^[\w.\/=:@,+-]+$/ ? $_ : "'$_'" } @_ }

# ---------------------------------------------------------------- shared sections and tables
# Test::Base blocks -> the specs run_tests runs (hashrefs of the filtered
# section values, plus name): a "--- define: NAME" block is kept aside, not
# run; "--- use: NAME ..." fills in the sections a block lacks from those
# definitions (joined in order when several give one); "--- rows" makes one
# spec per row of its table.  See the header comment.
sub _block_hash() {
    my ($block) = @_;
    my %h = (name => $block->name);
    $h{$_} = scalar $block->$_ for @{ $block->{_section_order}[0] || [] };
    return \%h;
}

# "a | b |  | c" -> ('a', 'b', '', 'c'): cells are split at a "|" with white
# space (or the start of the line) before it and white space (or the end of
# the line) after it, and trimmed.
sub _cells() {
    my ($line) = @_;
    $line =~ s/^\s+|\s+$//g;
    return map { s/^\s+|\s+$//gr } split /(?:^|\s)\|(?=\s|$)/, $line, -1;
}

sub _expand_blocks() {
    my (%def, @specs);
    for my $b (map { _block_hash($_) } @_) {
        my $N = $b->{name};
        my %shared;
        for my $u (split ' ', delete($b->{use}) // '') {
            my $d = $def{$u} or die "$N: --- use: $u has no --- define: $u before it\n";
            for my $k (grep { $_ ne 'name' } keys %$d) {
                my ($old, $add) = ($shared{$k}, $d->{$k});
                die "$N: --- use: cannot join two values of '$k' that are not text\n"
                    if defined $old && (ref $old || ref $add);
                $shared{$k} = !defined $old ? $add
                            : $old . ($old =~ /\n\z/ || $old eq '' ? '' : "\n") . $add;
            }
        }
        exists $b->{$_} or $b->{$_} = $shared{$_} for keys %shared;
        if (defined(my $d = delete $b->{define})) {
            die "$N: --- define: takes one word\n" unless $d =~ /^[\w.-]+$/;
            delete $b->{name};
            $def{$d} = $b;
            next;
        }
        my $rows = delete $b->{rows};
        if (!defined $rows) { push @specs, $b; next }
        my ($head, @rows) = _lines($rows);
        my @cols = _cells($head // '');
        die "$N: --- rows: no header line\n" unless @cols && !grep { !/^\w+$/ } @cols;
        my $i = 0;
        for my $row (@rows) {
            my @cells = _cells($row);
            die "$N: --- rows: row '$row' has more cells than the header\n" if @cells > @cols;
            my %r = %$b;
            for my $c (grep { length($cells[$_] // '') } 0 .. $#cells) {
                ($r{$cols[$c]} = $cells[$c]) =~ s/\\n/\n/g;
            }
            (my $what = $cells[0] // '') =~ s/\\n.*//s;
            $r{name} = "$N [row " . ++$i . ": $what]";
            push @specs, \%r;
        }
    }
    return @specs;
}

sub run_tests() {
    # Test::Base runs run_compare() at END unless plan() was called; declare
    # no_plan through its wrapped plan(), then finish with done_testing.
    plan('no_plan') unless Test::Builder->new->has_plan;
    my $last_off = 0;
    for my $block (_expand_blocks(Test::Base::blocks())) {
        $last_off = _run_block($block) // $last_off;
    }
    # A crashing child is only logged when the parent reaps it (<= 1s later).
    if (server_alive()) {
        sleep 1.1;
        my $log = error_log_since($last_off);
        my @bad = grep { index($log, $_) >= 0 } @FatalLog;
        ok(!@bad, 'after last block - error log clean (no crash/sanitizer reports)')
            or diag("found: @bad\n" . substr($log, -3000));
    }
    stop_server();
    done_testing();
}

sub _run_block() {
    my ($block) = @_;
    my $S = sub { _sect($block, $_[0]) };    # sections, always in scalar context
    my $T = _sect($block, 'name');
    my $n = sub { "$T - $_[0]" };

    # 0. a block whose server must refuse to start
    return _run_must_die($block, $n) if defined $S->('must_die');

    # 1. files, server, state
    my $off = eval {
        _init_servroot();    # first block: wipe servroot before writing files
        _write_user_files($block);
        start_server($block);
        if (defined $S->('clean_state')) {
            stop_server();
            remove_tree(_state_dir()) if -d _state_dir();
            mc_cmd($_, 'flush_all') for sort keys %Memcached;   # those running
            start_server($block);
        }
        unless (defined $S->('keep_state')) {
            # this node's layer of every scope; a scope httpd no longer
            # names (exit 2) is forgotten; 3 is "another layer holds more"
            for my $f (glob(_state_dir() . '/*.state')) {
                my $scope = basename($f, '.state');
                my @a = ('--local', '--scope', $scope, 'normal');
                my ($rc, $o, $e) = ctl(@a);
                ($rc, $o, $e) = ctl(@a = ('forget', '--scope', $scope)) if $rc == 2;
                die "state reset `upkeepctl @a` exited $rc\n$o$e" if $rc && $rc != 3;
            }
            _reset_cluster_layers();
        }
        error_log_offset();
    };
    if (!defined $off) { fail($n->('setup (user files, server start, state reset)')); diag($@); return undef }

    # 2. upkeepctl lines
    my @ctl = _lines($S->('ctl'));
    my $before = defined $S->('state_unchanged') ? _state_snapshot() : undef;
    my %opt = (user => $S->('ctl_user'),
               env  => { map { /^\s*([^=\s]+)=(.*)$/ ? ($1, $2) : () } _lines($S->('ctl_env')) });
    for my $i (0 .. $#ctl) {
        # "[3] CMD": a line of the block that must exit 3 (done, but another
        # layer holds more), the others 0, the last one ctl_exit_code
        my $line_want = $ctl[$i] =~ s/^\[(\d)\]\s+// ? $1 : undef;
        my @args = shellwords(_subst($ctl[$i]));
        my ($rc, $out, $err) = ctl({%opt}, @args);
        my @san = grep { index($err, $_) >= 0 } 'AddressSanitizer', 'runtime error:', 'LeakSanitizer';
        ok(!@san, $n->("upkeepctl " . _fmt_cmd(@args) . " has no sanitizer report")) or diag($err);
        my $want = $i == $#ctl && defined $S->('ctl_exit_code') ? $S->('ctl_exit_code')
                 : $line_want // 0;
        is($rc, $want, $n->("upkeepctl " . _fmt_cmd(@args) . " exits $want"))
            or (diag("stdout:\n$out\nstderr:\n$err"), return $off);
        next if $i < $#ctl;
        is($out, $S->('ctl_stdout'), $n->('ctl stdout')) if defined $S->('ctl_stdout');
        like($out, qr/${\ _chomped($S->('ctl_stdout_like'))}/m, $n->('ctl stdout like'))
            if defined $S->('ctl_stdout_like');
        like($err, qr/${\ _chomped($S->('ctl_stderr_like'))}/m, $n->('ctl stderr like'))
            if defined $S->('ctl_stderr_like');
    }
    is_deeply(_state_snapshot(), $before, $n->('state dir unchanged')) if $before;

    # 3. restart / wait
    if (my $kind = $S->('restart')) {
        eval { restart_server($kind) } or (fail($n->("restart $kind")), diag($@), return $off);
    }
    sleep $S->('wait') if $S->('wait');

    # 4. request
    my $timeout = $S->('timeout');
    my $res;
    if (defined(my $raw_req = $S->('raw_request'))) {
        my $raw = eval { http_raw($raw_req, $S->('raw_read_timeout') // 3, $S->('raw_request_delay')) };
        $res = defined $raw ? _parse_response($raw, undef, 1) : { error => $@ };
        $res->{raw} = $raw;
    } elsif (defined $S->('curl')) {
        $res = _curl($S->('curl'), $S->('curl_path'), $timeout);
    } elsif (defined(my $r = $S->('request'))) {
        my ($line, $body) = split /\n/, $r, 2;
        my ($method, $path) = $line =~ /^\s*(\S+)\s+(.+?)\s*$/
            or (fail($n->("bad --- request line '$line'")), return $off);
        my @hdr = map { /^\s*([^:]+?)\s*:\s*(.*?)\s*$/ ? [$1, $2] : () } _lines($S->('more_headers'));
        $res = http_get($method, $path, \@hdr, (defined $body && length $body) ? _chomped($body) : undef, $timeout);
    }
    if (defined(my $re = $S->('raw_response_like'))) {
        like($res->{raw} // '', qr/${\ _chomped($re)}/s, $n->('raw response like'));
    }
    if ($res && defined $res->{error} && !defined $S->('raw_response_like')) {
        fail($n->('got an HTTP response'));
        diag($res->{error} . (length($res->{raw} // '') ? "\nraw: $res->{raw}" : ''));
    } elsif ($res && !defined $res->{error}) {
        _check_response($block, $res, $n);
    }

    # 5. error log
    _check_error_log($block, $off, $n);
    ok(server_alive(), $n->('apache2 parent still alive'));
    return $off;
}

# With UpkeepMemcached (httpd wrote state/cluster.conf), every scope whose
# cluster layer is not normal is set back with upkeepctl --cluster normal.
sub _reset_cluster_layers() {
    return unless -f _state_dir() . '/cluster.conf';
    my ($rc, $out, $err) = ctl('status', '--json');
    die "state reset `upkeepctl status --json` exited $rc\n$out$err" if $rc && $rc != 3;
    my $st = eval { JSON::PP::decode_json($out) } or die "state reset: bad status JSON: $@$out\n";
    for my $sc (@{ $st->{scopes} }) {
        next if ($sc->{cluster}{set_mode} // 'normal') eq 'normal';
        my @a = ('--cluster', '--scope', $sc->{scope}, 'normal');
        ($rc, $out, $err) = ctl(@a);
        die "state reset `upkeepctl @a` exited $rc\n$out$err" if $rc && $rc != 3;
    }
}

# --- must_die: the server (a fresh start, even if the config is unchanged)
# must fail to start; --- startup_error_like matches apache2's output and
# error log.  Files the block wrote under state/ are removed afterwards so
# the next block's state reset is not disturbed.
sub _run_must_die() {
    my ($block, $n) = @_;
    _init_servroot();
    stop_server();
    _write_user_files($block);
    _write_file("$ServRoot/conf/httpd.conf", _httpd_conf($block));
    my $started = eval { _start() };
    my $why = $@ // '';
    ok(!$started, $n->('apache2 refuses to start')) or stop_server();
    undef $RunningConf;
    # A server that failed in its second post_config pass has daemonized:
    # let it let go of the port before the next block starts one.
    wait_for(5, sub {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => port(),
                                      Proto => 'tcp', Listen => 1, ReuseAddr => 1);
        $s ? (close($s), 1)[1] : 0;
    });
    if (defined(my $re = _sect($block, 'startup_error_like'))) {
        like($why, qr/${\ _chomped($re)}/m, $n->('startup error like'));
    }
    my @bad = grep { index($why, $_) >= 0 } grep { $_ ne '[core:emerg]' } @FatalLog;
    ok(!@bad, $n->('no crash/sanitizer report at start-up')) or diag($why);
    unlink map { $_->[1] } grep { $_->[0] =~ m{^state/} }
        _parse_user_files(_sect($block, 'user_files'));
    return undef;
}

sub _check_response() {
    my ($block, $res, $n) = @_;
    my $S = sub { _sect($block, $_[0]) };
    my $h = $res->{headers};
    is($res->{status}, $S->('error_code'), $n->('status code')) if defined $S->('error_code');
    for (_lines($S->('response_headers'))) {
        if (/^\s*!\s*(\S+)/) {
            ok(!defined $h->{lc $1}, $n->("header $1 absent")) or diag("$1: $h->{lc $1}");
        } elsif (/^\s*([^:]+?)\s*:\s*(.*?)\s*$/) {
            is($h->{lc $1}, $2, $n->("header $1"));
        }
    }
    for (_lines($S->('response_headers_like'))) {
        my ($name, $re) = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/ or next;
        like($h->{lc $name} // '', qr/$re/, $n->("header $name like"));
    }
    is($res->{body}, $S->('response_body'), $n->('response body')) if defined $S->('response_body');
    my ($like, $unlike) = map { my $v = $S->($_); ref $v || !defined $v ? $v : qr/${\ _chomped($v)}/s }
        qw(response_body_like response_body_unlike);
    like($res->{body}, $like, $n->('response body like')) if defined $like;
    unlike($res->{body}, $unlike, $n->('response body unlike')) if defined $unlike;
}

sub _check_error_log() {
    my ($block, $off, $n) = @_;
    my @want = _pattern_list(_sect($block, 'error_log'));
    my @deny = _pattern_list(_sect($block, 'no_error_log'));
    # wanted lines may lag (logging phase, other processes): poll up to ~1s
    my $log = error_log_since($off);
    for (my $end = time + 1; grep({ !_log_has($log, $_) } @want) && time < $end; ) {
        sleep 0.1;
        $log = error_log_since($off);
    }
    if (!@want) { sleep 0.1; $log = error_log_since($off) }
    for my $p (@want) {
        ok(_log_has($log, $p), $n->("error log has: $p")) or diag("error log of this block:\n" . substr($log, -3000));
    }
    for my $p (@deny) {
        my ($hit) = grep { _log_has($_, $p) } split /\n/, $log;
        ok(!defined $hit, $n->("error log lacks: $p")) or diag("offending line: $hit");
    }
    my @bad = grep { index($log, $_) >= 0 } @FatalLog;
    ok(!@bad, $n->('error log clean (no crash/sanitizer reports)'))
        or diag("found: @bad\n" . substr($log, -3000));
}

1;
