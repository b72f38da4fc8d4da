package BenchLib;
# Shared by bench/run, bench/instructions, bench/flip and bench/profile:
# where things are, the httpd configs of the variants, starting/stopping
# private apache2 instances on free loopback ports, a tiny HTTP/1.1
# client, and the facts about the machine that go into BENCHMARKS.md.
#
# Everything generated lives under bench/work/ (git-ignored). Servers are
# stopped by the PID in their own pid file, never by name.
#
# Environment (all optional):
#   BENCH_MODULE  mod_upkeep.so to load (default: <repo>/.libs/mod_upkeep.so)
#   BENCH_CTL     upkeepctl to use     (default: <repo>/upkeepctl)
#   BENCH_WORK    work directory       (default: <repo>/bench/work)
use strict;
use warnings;
use Cwd qw(abs_path);
use Digest::SHA ();
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(make_path remove_tree);
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);

use Exporter 'import';
our @EXPORT = qw(
    $Top $Work $Apache $ModDir
    need_packages module_paths free_port write_file slurp
    make_instance start_instance stop_instance stop_all instance_cpu_ns
    http_once ka_connect ka_get environment_facts cpu_pressure sh_quote fmt_cmd
);

our $Top    = abs_path(dirname(__FILE__) . '/..');
our $Work   = $ENV{BENCH_WORK} || "$Top/bench/work";
our $Apache = '/usr/sbin/apache2';
our $ModDir = '/usr/lib/apache2/modules';

my %Started;      # dir => 1 for instances this process started
my $Owner = $$;

sub write_file {
    my ($path, $content, $mode) = @_;
    make_path(dirname($path));
    open my $fh, '>', $path or die "cannot write $path: $!\n";
    print $fh $content;
    close $fh or die "cannot write $path: $!\n";
    chmod $mode, $path if defined $mode;
}

sub slurp {
    open my $fh, '<:raw', $_[0] or return '';
    local $/;
    return <$fh> // '';
}

sub sh_quote { my ($s) = @_; $s =~ /^[\w.\/=:@,+%-]+$/ ? $s : "'" . ($s =~ s/'/'\\''/gr) . "'" }
sub fmt_cmd  { join ' ', map { sh_quote($_) } @_ }

# Debian packages the benchmarks need; installed as root (like t/run-tests),
# else the apt-get line is printed and we stop.
sub need_packages {
    my @missing = grep {
        (`dpkg-query -W -f='\${Status}' $_ 2>/dev/null` // '') !~ /ok installed/
    } @_;
    return unless @missing;
    if ($> != 0) {
        die "bench: missing packages; run as root:\n"
          . "  apt-get install -y --no-install-recommends @missing\n";
    }
    print STDERR "bench: installing @missing\n";
    system('sh', '-c', 'apt-get update -qq && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive '
         . "apt-get install -y -qq --no-install-recommends @missing >/dev/null") == 0
        or die "bench: apt-get install @missing failed\n";
}

# The module and upkeepctl, copied into $Work/bin so that a rebuild in the
# tree (the test suite runs `make clean`) cannot swap them mid-run. Builds
# with `make -C <repo> -f apxs.mk` only when they are missing.
sub module_paths {
    my $mod = $ENV{BENCH_MODULE} || "$Top/.libs/mod_upkeep.so";
    my $ctl = $ENV{BENCH_CTL}    || "$Top/upkeepctl";
    if ((!-e $mod && !$ENV{BENCH_MODULE}) || (!-e $ctl && !$ENV{BENCH_CTL})) {
        print STDERR "bench: module or upkeepctl missing; running make -C $Top -f apxs.mk\n";
        system('make', '-s', '-C', $Top, '-f', 'apxs.mk') == 0 or die "bench: build failed\n";
    }
    -e $mod or die "bench: no module at $mod\n";
    -x $ctl or die "bench: no upkeepctl at $ctl\n";
    # An ASan build cannot be loaded into an uninstrumented apache2, and
    # would measure the sanitizer anyway.
    if (slurp($mod) =~ /__asan_init|__ubsan_handle/) {
        die "bench: $mod is a sanitizer build (t/run-tests --asan leaves one);\n"
          . "  rebuild first: make -f apxs.mk clean && make -f apxs.mk\n";
    }
    make_path("$Work/bin");
    my ($m, $c) = ("$Work/bin/mod_upkeep.so", "$Work/bin/upkeepctl");
    copy($mod, "$m.tmp") && rename("$m.tmp", $m) or die "copy $mod: $!\n";
    copy($ctl, "$c.tmp") && rename("$c.tmp", $c) or die "copy $ctl: $!\n";
    chmod 0755, $m, $c;
    return {
        module => $m, ctl => $c, module_src => abs_path($mod), ctl_src => abs_path($ctl),
        module_sha => substr(Digest::SHA->new(256)->addfile($m)->hexdigest, 0, 12),
    };
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "cannot bind a free loopback port: $!\n";
    my $p = $s->sockport;
    close $s;
    return $p;
}

# The 1 KB static file every variant serves.
sub one_kb_file {
    my $head = "<!DOCTYPE html>\n<html><head><title>bench</title></head><body>\n<p>";
    my $tail = "</p>\n</body></html>\n";
    return $head . ('x' x (1024 - length($head) - length($tail))) . $tail;
}

# Ten exempt prefixes and three CIDR blocks, none matching the benchmark's
# URL or 127.0.0.1: the lists are there to cost what they cost.
our @Exempt = qw(/static /assets /images /css /js /fonts /favicon.ico
                 /robots.txt /.well-known /server-status);
our @AllowFrom = qw(10.0.0.0/8 192.168.0.0/16 2001:db8::/32);

# make_instance(name, %opt) -> {dir, conf, port, ...}; writes the config.
#  upkeep => 1            load mod_upkeep (state dir <dir>/state)
#  upkeep_lists => 1      + UpkeepExempt x10 and UpkeepAllowFrom x3
#  vhost => 1             a <VirtualHost> for the site, with those lists in it
#  rewrite => 1           mod_rewrite maintenance-file recipe
#  mpm => event|prefork   (default event)
#  single => 1            settings for apache2 -X (one process)
#  htdocs => dir          document root (default <dir>/htdocs, gets 1k.html)
#  extra => text          appended to the config
#  mods => [names]        more modules to load from $ModDir
sub make_instance {
    my ($name, %o) = @_;
    my $dir = "$Work/$name";
    my $mods = $o{mods} || [];
    stop_instance({ dir => $dir });           # leftover of an interrupted run
    remove_tree($dir);
    make_path(map { "$dir/$_" } qw(conf logs state htdocs));
    my $htdocs = $o{htdocs} || "$dir/htdocs";
    unless (-e "$htdocs/1k.html") {
        write_file("$htdocs/1k.html", one_kb_file(), 0644);
        # A fixed mtime: ETag and Last-Modified, and so the instructions
        # spent formatting them, are the same in every run.
        utime 1700000000, 1700000000, "$htdocs/1k.html";
    }
    my $port = $o{port} || free_port();
    my $mpm = $o{mpm} || 'event';
    my @load = ("mpm_$mpm", qw(authz_core mime dir), @$mods);
    push @load, 'rewrite' if $o{rewrite};
    my $load = join '', map { "LoadModule ${_}_module $ModDir/mod_$_.so\n" } @load;
    $load .= "LoadModule upkeep_module $o{module}\n" if $o{upkeep};
    # apache2 -X runs as whoever starts it (bench/instructions starts it
    # as www-data when root, so callgrind can write its output).
    my $user = $> == 0 && !$o{single} ? "User www-data\nGroup www-data\n" : '';
    my $mpmconf;
    if ($o{single}) {
        $mpmconf = $mpm eq 'event'
            ? "ThreadsPerChild 4\nThreadLimit 4\nMaxRequestWorkers 4\n"
            : "MaxRequestWorkers 1\n";
    } else {
        # Fixed process and thread counts: nothing is spawned or reaped
        # while wrk runs. Each process has a thread for each of wrk's 64
        # connections, however the kernel spreads them: with fewer, event
        # closes keep-alive connections when its workers are all busy.
        $mpmconf = $mpm eq 'event'
            ? "ServerLimit 2\nStartServers 2\nThreadLimit 64\nThreadsPerChild 64\n"
            . "MaxRequestWorkers 128\nMinSpareThreads 64\nMaxSpareThreads 128\n"
            : "StartServers 8\nMinSpareServers 8\nMaxSpareServers 16\nMaxRequestWorkers 64\n";
    }
    my $upkeep = '';
    if ($o{upkeep}) {
        $upkeep = "UpkeepStateDir $dir/state\n";
        if ($o{upkeep_lists}) {
            my $lists = "UpkeepExempt @Exempt\nUpkeepAllowFrom @AllowFrom\n";
            # vhost: where a real site's directives sit, as its own server
            $upkeep .= $o{vhost} ? "<VirtualHost 127.0.0.1:$port>\n    ServerName 127.0.0.1\n"
                                   . "    DocumentRoot \"$htdocs\"\n    $lists</VirtualHost>\n"
                                 : $lists;
        }
    }
    elsif ($o{vhost}) {
        $upkeep = "<VirtualHost 127.0.0.1:$port>\n    ServerName 127.0.0.1\n"
                . "    DocumentRoot \"$htdocs\"\n</VirtualHost>\n";
    }
    my $rewrite = '';
    if ($o{rewrite}) {
        # The classic recipe: a file switches the site to a 503 page.
        $rewrite = <<'EOF';
RewriteEngine On
RewriteCond %{DOCUMENT_ROOT}/maintenance.html -f
RewriteCond %{REQUEST_URI} !=/maintenance.html
RewriteRule ^ - [R=503,L]
ErrorDocument 503 /maintenance.html
EOF
    }
    my $conf = <<"EOF";
# Generated by bench/ (BenchLib.pm) -- do not edit; rewritten on every run.
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile $dir/logs/httpd.pid
DefaultRuntimeDir $dir/logs
Mutex file:$dir/logs default
ErrorLog $dir/logs/error.log
LogLevel warn
$load
TypesConfig /etc/mime.types
$user$mpmconf
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
Timeout 30
<Directory />
    AllowOverride None
    Require all denied
</Directory>
DocumentRoot "$htdocs"
<Directory "$htdocs">
    Require all granted
</Directory>
$upkeep$rewrite@{[ $o{extra} // '' ]}
EOF
    write_file("$dir/conf/httpd.conf", $conf);
    return { name => $name, dir => $dir, conf => "$dir/conf/httpd.conf",
             port => $port, htdocs => $htdocs, %o };
}

sub _pid_alive {
    my ($pid) = @_;
    return $pid && kill(0, $pid) && slurp("/proc/$pid/stat") =~ /^\d+ \(.*\) [^Z] /s;
}

sub _can_connect {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return $s ? (close($s), 1)[1] : 0;
}

sub instance_pid {
    my ($inst) = @_;
    my ($pid) = slurp("$inst->{dir}/logs/httpd.pid") =~ /(\d+)/ or return undef;
    return _pid_alive($pid) && slurp("/proc/$pid/cmdline") =~ /apache2/ ? $pid : undef;
}

# apache2 -k start (daemonizes); waits until it answers.
sub start_instance {
    my ($inst) = @_;
    my $log = "$inst->{dir}/logs/start.out";
    my $rc = system("$Apache -d " . sh_quote($inst->{dir}) . ' -f ' . sh_quote($inst->{conf})
                    . ' -k start </dev/null >' . sh_quote($log) . ' 2>&1');
    $Started{ $inst->{dir} } = 1;
    my $end = time + 15;
    until (instance_pid($inst) && _can_connect($inst->{port})) {
        if ($rc != 0 || time > $end
            || slurp("$inst->{dir}/logs/error.log") =~ /Configuration Failed|:emerg\]/) {
            die "bench: apache2 ($inst->{name}) did not start:\n" . slurp($log)
              . substr(slurp("$inst->{dir}/logs/error.log"), -3000) . "\n";
        }
        sleep 0.05;
    }
    return $inst;
}

# CPU time (ns) used so far by an instance's processes, every thread
# (sum of /proc/PID/task/TID/schedstat run times): less sensitive to other
# load on the machine than requests/s.
sub instance_cpu_ns {
    my ($inst) = @_;
    my $parent = instance_pid($inst) or return undef;
    my @pids = ($parent);
    for my $stat (glob '/proc/[0-9]*/stat') {
        push @pids, $1 if slurp($stat) =~ /^(\d+) \(.*\) \S+ (\d+) /s && $2 == $parent;
    }
    my $ns = 0;
    for my $pid (@pids) {
        for my $t (glob "/proc/$pid/task/*/schedstat") {
            $ns += (split ' ', slurp($t))[0] // 0;
        }
    }
    return $ns;
}

sub stop_instance {
    my ($inst) = @_;
    my $pid = instance_pid($inst) or return;
    kill 'TERM', $pid;
    my $end = time + 15;
    while (_pid_alive($pid) && time < $end) { sleep 0.05 }
    kill 'KILL', $pid if _pid_alive($pid);
    delete $Started{ $inst->{dir} };
}

sub stop_all {
    return unless $$ == $Owner;
    stop_instance({ dir => $_ }) for keys %Started;
}
END { local $?; stop_all() }
$SIG{INT} = $SIG{TERM} = sub { stop_all(); exit 130 };

# One request on its own connection: {status, headers (lc), body}.
sub http_once {
    my ($port, $path, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5)
        or die "connect 127.0.0.1:$port: $!\n";
    my $method = $o{method} || 'GET';
    print {$s} "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    my ($sel, $buf) = (IO::Select->new($s), '');
    while ($sel->can_read(5)) { sysread($s, $buf, 65536, length $buf) or last }
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.\d (\d{3})} or return { status => 0, raw => $buf };
    my %h = map { /^([^:]+):\s*(.*?)\s*$/ ? (lc $1, $2) : () } split /\r\n/, $head;
    return { status => $status, headers => \%h, body => $body // '' };
}

# Keep-alive client: ka_connect(port) then ka_get(sock, path) ->
# (status, body) or () when the server closed the connection.
sub ka_connect {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5)
        or die "connect 127.0.0.1:$port: $!\n";
    $s->setsockopt(Socket::IPPROTO_TCP(), Socket::TCP_NODELAY(), 1);
    return $s;
}

sub ka_get {
    my ($s, $path, $timeout) = @_;
    $timeout //= 10;
    my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    defined syswrite($s, $req) or return ();
    my $buf = '';
    my $sel = IO::Select->new($s);
    my ($status, $need);
    while (1) {
        if (!defined $need && (my $i = index($buf, "\r\n\r\n")) >= 0) {
            my $head = substr($buf, 0, $i);
            ($status) = $head =~ m{^HTTP/1\.\d (\d{3})} or die "bad response: $head\n";
            my ($len) = $head =~ /\r\nContent-Length:\s*(\d+)/i;
            defined $len or die "no Content-Length in: $head\n";
            $need = $i + 4 + $len;
        }
        if (defined $need && length($buf) >= $need) {
            my $i = index($buf, "\r\n\r\n");
            return ($status, substr($buf, $i + 4, $need - $i - 4));
        }
        $sel->can_read($timeout) or die "timeout waiting for a response\n";
        my $n = sysread($s, $buf, 65536, length $buf);
        return () unless $n;
    }
}

sub _first_line { my ($cmd) = @_; my $o = `$cmd 2>&1` // ''; ($o =~ /^(.*)$/m)[0] // '' }

# /proc/pressure/cpu "some" averages: the share of time something was
# waiting for a CPU (other jobs on a shared machine show up here).
sub cpu_pressure {
    my ($a10, $a60) = slurp('/proc/pressure/cpu') =~ /^some avg10=([\d.]+) avg60=([\d.]+)/m or return 'n/a';
    return "some avg10=$a10% avg60=$a60%";
}

sub environment_facts {
    my ($mp) = @_;
    my ($cpu) = slurp('/proc/cpuinfo') =~ /^model name\s*:\s*(.*)$/m;
    my ($mem) = slurp('/proc/meminfo') =~ /^MemTotal:\s*(\d+)/m;
    my ($ver) = `$Apache -v 2>&1` =~ /Server version:\s*(.*)/;
    my $rev = `git -C $Top rev-parse --short HEAD 2>/dev/null` // '';
    chomp $rev;
    my $dirty = `git -C $Top status --porcelain --untracked-files=no 2>/dev/null` ? ' (work tree has local changes)' : '';
    my @f = (
        ['CPU', $cpu // '?'],
        ['nproc', _first_line('nproc')],
        ['memory', sprintf('%.1f GiB', ($mem // 0) / 1048576)],
        ['kernel', _first_line('uname -sr')],
        ['OS', (slurp('/etc/os-release') =~ /^PRETTY_NAME="?([^"\n]*)/m)[0] // '?'],
        ['httpd', ($ver // '?') . ", $Apache"],
        ['wrk', _first_line('wrk -v') =~ s/\s*Copyright.*//r],
        ['valgrind', _first_line('valgrind --version')],
        ['repo', "$Top at $rev$dirty"],
        ['load average at start', join(' ', (split ' ', slurp('/proc/loadavg'))[0 .. 2])],
        ['CPU pressure at start', cpu_pressure()],
    );
    if ($mp) {
        push @f, ['module', "$mp->{module_src} (sha256 $mp->{module_sha}...)"];
    }
    return @f;
}

1;
