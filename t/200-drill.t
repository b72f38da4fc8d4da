# The upgrade drill (issue 7), end to end on the topology mod_upkeep is for:
#
#   load generator -> HAProxy (health checks on UpkeepHealthCheck)
#                  -> two httpd nodes (A = the default instance, B =
#                     instance('b')) with mod_upkeep, synced over memcached
#                  -> a Perl CGI app -> a real MariaDB (started here, in a
#                     temporary directory, and stopped by PID)
#
# Node and HAProxy settings come from conf/example-cluster.conf and
# conf/haproxy.cfg.example (faster sync and checks, so the test stays
# short).  While mixed traffic runs, the four playbooks of the README run:
# (a) read-only window for an online ALTER TABLE, (b) hold for a short
# migration, (c) rolling upgrade of both nodes (drain, wait for HAProxy,
# graceful restart with app version 2, undrain), (d) maintenance window for
# an offline change.  Every response is recorded; then:
# - no read fails outside (d), and no request at all fails in (c) or
#   between the windows;
# - every write answered 2xx is in the database exactly once, and nothing
#   else is;
# - every other write got 503 with Retry-After; none in (b);
# - in (b), a burst of twice UpkeepHoldRelease held writes on each node,
#   each 100 ms in the database, ran at most UpkeepHoldRelease at once per
#   node once released (the app records when each write started and
#   ended);
# and a per-phase table is printed (diag).  No timing assertions: every
# wait is a generous wait_for on what users or HAProxy see.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps qw(start_req pump response_of);
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time sleep);

my $Root = abs_path(dirname(__FILE__) . '/..');
my $HAPROXY = '/usr/sbin/haproxy';
my $MARIADBD = '/usr/sbin/mariadbd';
my $INSTALL_DB = '/usr/bin/mariadb-install-db';

{
    my @missing = grep { !-x $_ } $HAPROXY, $MARIADBD, $INSTALL_DB;
    push @missing, 'DBI + DBD::MariaDB (libdbi-perl, libdbd-mariadb-perl)'
        unless eval { require DBI; require DBD::MariaDB; 1 };
    if (@missing) {
        plan skip_all => "the drill needs @missing (t/run-tests installs haproxy, "
            . "mariadb-server, libdbi-perl and libdbd-mariadb-perl as root)" if $> != 0;
        fail("the drill needs @missing: install haproxy mariadb-server libdbi-perl "
             . "libdbd-mariadb-perl (t/run-tests does)");
        done_testing();
        exit;
    }
}

my $OwnerPid = $$;
my $Tmp = tempdir('upkeep-drill-XXXXXX', TMPDIR => 1);
chmod 0755, $Tmp;                 # the CGI (www-data) reaches the socket
my (%Child, @Workers);            # name => pid of mariadbd / haproxy; load workers
$SIG{INT} = $SIG{TERM} = sub { exit 130 };    # END stops what we started

END {
    if ($$ == $OwnerPid) {
        local $?;
        stop_workers();
        stop_child($_) for grep { $Child{$_} } qw(haproxy mariadbd);
        remove_tree($Tmp) if $Tmp && -d $Tmp;
    }
}

# Stops one of our children by PID: TERM, then KILL after 15 s.
sub stop_child {
    my ($name) = @_;
    my $pid = delete $Child{$name} or return;
    kill 'TERM', $pid;
    for (1 .. 300) { return if waitpid($pid, POSIX::WNOHANG()) == $pid; sleep 0.05 }
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

# Forks and execs @cmd with stdout+stderr in $log; returns the pid.
sub spawn {
    my ($log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        $SIG{INT} = $SIG{TERM} = 'DEFAULT';
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec { $cmd[0] } @cmd }
        POSIX::_exit(127);
    }
    return $pid;
}

sub slurp { my ($f) = @_; open my $fh, '<', $f or return ''; local $/; <$fh> // '' }

sub write_file {
    my ($path, $text, $mode) = @_;
    open my $fh, '>', "$path.tmp" or die "$path.tmp: $!";
    print $fh $text;
    close $fh or die "$path.tmp: $!";
    chmod $mode // 0644, "$path.tmp";
    rename "$path.tmp", $path or die "$path: $!";    # atomic, as a deploy would
}

# ------------------------------------------------------------ MariaDB
my $DbRun = "$Tmp/db-run";
my $Sock = "$DbRun/mariadbd.sock";
my $DbPass = 'drill-password';
my $Dbh;

sub start_mariadb {
    my $data = "$Tmp/db-data";
    make_path($data, $DbRun);
    my @user;
    if ($> == 0) {
        my (undef, undef, $uid, $gid) = getpwnam('mysql') or die "no mysql user\n";
        chown $uid, $gid, $data, $DbRun;
        @user = ('--user=mysql');
    }
    my $pid = spawn("$Tmp/install-db.log", $INSTALL_DB, '--no-defaults', "--datadir=$data",
                    @user, '--auth-root-authentication-method=normal', '--skip-test-db');
    waitpid $pid, 0;
    die "mariadb-install-db exited " . ($? >> 8) . ":\n" . slurp("$Tmp/install-db.log") if $?;
    $Child{mariadbd} = spawn("$Tmp/mariadbd.out", $MARIADBD, '--no-defaults',
        "--datadir=$data", "--socket=$Sock", "--pid-file=$DbRun/mariadbd.pid",
        '--skip-networking', @user, "--log-error=$DbRun/mariadbd.err", "--tmpdir=$DbRun",
        '--skip-log-bin', '--innodb-buffer-pool-size=32M', '--innodb-flush-log-at-trx-commit=2');
    my $ok = wait_for(60, sub {
        die "mariadbd exited:\n" . slurp("$DbRun/mariadbd.err")
            if waitpid($Child{mariadbd}, POSIX::WNOHANG()) == $Child{mariadbd};
        $Dbh = eval { DBI->connect("DBI:MariaDB:mariadb_socket=$Sock", 'root', '',
                                   { RaiseError => 1, PrintError => 0, AutoInactiveDestroy => 1 }) };
    });
    die "mariadbd did not come up:\n" . slurp("$DbRun/mariadbd.err") unless $ok;
    $Dbh->do($_) for
        'CREATE DATABASE drill',
        "CREATE USER 'drill'\@'localhost' IDENTIFIED BY '$DbPass'",
        "GRANT ALL ON drill.* TO 'drill'\@'localhost'",
        'USE drill',
        'CREATE TABLE items (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                             req_id BIGINT NULL, node CHAR(1) NOT NULL DEFAULT "",
                             burst TINYINT NOT NULL DEFAULT 0, arrived DOUBLE NULL,
                             started DOUBLE NULL, ended DOUBLE NULL,
                             created TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB',
        'INSERT INTO items (node) SELECT "s" FROM seq_1_to_5000',
        # webhooks: applied once per journal id (a replay is at least once)
        'CREATE TABLE hooks (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
                             hook_id BIGINT NOT NULL, journal_id VARCHAR(64) NULL,
                             node CHAR(1) NOT NULL, UNIQUE KEY (journal_id)) ENGINE=InnoDB';
}

# Runs a migration statement; returns the seconds it took.
sub db_do {
    my ($sql) = @_;
    my $t0 = time;
    $Dbh->do($sql);
    note(sprintf "%.0f ms: %s", 1000 * (time - $t0), $sql);
    return time - $t0;
}

# ------------------------------------------------------------ the app
# Version 2 (the rolling upgrade) also fills the column that (a) added.
sub app_cgi {
    my ($version) = @_;
    my $cols = q{req_id, node, burst, arrived, started, ended};
    my $vals = q{?, ?, ?, ?, ?, UNIX_TIMESTAMP(SYSDATE(6))};
    my $insert = $version >= 2
        ? qq{INSERT INTO items ($cols, note) VALUES ($vals, 'v2')}
        : qq{INSERT INTO items ($cols) VALUES ($vals)};
    return <<"EOF";
#!/usr/bin/perl
# drill app, version $version: GET shows the table, POST id=N inserts row N
# (id=N&burst=1: the write takes 100 ms in the database), with when the
# request arrived (Drill-Arrived, set before any hold) and when its write
# started and ended.
use strict;
use warnings;
use DBI;
use Time::HiRes qw(time);
my \$node = \$ENV{DRILL_NODE} // '-';
sub reply {
    my (\$status, \$text) = \@_;
    print "Status: \$status\\r\\nContent-Type: text/plain\\r\\nCache-Control: no-store\\r\\n\\r\\n",
          "\$text node=\$node app=v$version\\n";
    exit 0;
}
my \$dbh = eval { DBI->connect('DBI:MariaDB:database=drill;mariadb_socket=$Sock', 'drill',
                               '$DbPass', { RaiseError => 1, PrintError => 0 }) }
    or reply('500 Internal Server Error', "connect: \$@");
if ((\$ENV{REQUEST_METHOD} // '') eq 'POST') {
    my (\$len, \$body) = (\$ENV{CONTENT_LENGTH} || 0, '');
    while (length \$body < \$len) { read(STDIN, \$body, \$len - length \$body, length \$body) or last }
    my (\$id, \$burst) = \$body =~ /^id=(\\d+)(&burst=1)?\$/ or reply('400 Bad Request', 'no id');
    my (\$arrived) = (\$ENV{HTTP_DRILL_ARRIVED} // '') =~ /^t=(\\d+)\$/;
    my \$started = time;
    eval {
        \$dbh->do('DO SLEEP(0.1)') if \$burst;
        \$dbh->do(q{$insert}, undef, \$id, \$node, \$burst ? 1 : 0,
                  defined \$arrived ? \$arrived / 1e6 : undef, \$started);
        1;
    } or reply('500 Internal Server Error', "insert: \$@");
    reply('201 Created', "inserted \$id");
}
my (\$n, \$last) = eval { \$dbh->selectrow_array('SELECT COUNT(*), MAX(id) FROM items') }
    or reply('500 Internal Server Error', "select: \$@");
reply('200 OK', "items=\$n last=\$last");
EOF
}

# A webhook receiver: POST id=N inserts hook N, once per Upkeep-Journal-Id
# (the journal replays at least once; the id makes a second time harmless).
sub hook_cgi {
    return <<"EOF";
#!/usr/bin/perl
use strict;
use warnings;
use DBI;
my \$node = \$ENV{DRILL_NODE} // '-';
sub reply { print "Status: \$_[0]\\r\\nContent-Type: text/plain\\r\\n\\r\\n\$_[1] node=\$node\\n"; exit 0 }
my (\$len, \$body) = (\$ENV{CONTENT_LENGTH} || 0, '');
while (length \$body < \$len) { read(STDIN, \$body, \$len - length \$body, length \$body) or last }
my (\$id) = \$body =~ /^id=(\\d+)\$/ or reply('400 Bad Request', 'no id');
my \$dbh = eval { DBI->connect('DBI:MariaDB:database=drill;mariadb_socket=$Sock', 'drill',
                               '$DbPass', { RaiseError => 1, PrintError => 0 }) }
    or reply('500 Internal Server Error', "connect: \$@");
eval { \$dbh->do('INSERT IGNORE INTO hooks (hook_id, journal_id, node) VALUES (?, ?, ?)',
                 undef, \$id, \$ENV{HTTP_UPKEEP_JOURNAL_ID}, \$node); 1 }
    or reply('500 Internal Server Error', "insert: \$@");
reply('200 OK', "hook \$id");
EOF
}

# ------------------------------------------------------------ the nodes
my %NODE = (A => 'default', B => 'b');
sub on { my ($node, $code) = @_; instance($NODE{$node}, $code) }

# conf/example-cluster.conf with this test's memcached, secret and a 100ms
# sync: its server-wide Upkeep* lines go to the top level, the inside of its
# <VirtualHost> (less names and paths) into the harness's vhost.
my $Example = slurp("$Root/conf/example-cluster.conf");
my ($HealthPath) = $Example =~ /^\s*UpkeepHealthCheck\s+(\S+)/m
    or die "conf/example-cluster.conf has no UpkeepHealthCheck\n";

# Whether the node's access log has had no request but health checks (and
# httpd's own "OPTIONS *", with which prefork wakes a child it stops: once
# a second after the burst of (b)) for $secs seconds.
my %LogSeen;
my $node_quiet = sub {
    my ($node, $secs) = @_;
    my $size = on($node, sub {
        scalar grep { !/ \Q$HealthPath\E |"OPTIONS \* / } split /^/m, slurp(servroot() . '/logs/access.log')
    });
    my $seen = $LogSeen{$node};
    if (!$seen || $seen->[0] != $size) {
        $LogSeen{$node} = [$size, time];
        return 0;
    }
    return time - $seen->[1] >= $secs;
};

my $Secret = "$Tmp/cluster.secret";
write_file($Secret, "drill-secret-0123456789abcdef\n", 0600);

my $HoldRelease = 3;              # UpkeepHoldRelease of the nodes

sub node_spec {
    my ($node) = @_;
    # the drill's own: the app's node; room to hold the burst of (b) (twice
    # UpkeepHoldRelease on each node) and a small UpkeepHoldRelease; when
    # each request arrived (mod_headers' %t: before a hold), for the app
    my ($main, $vhost, $in_vhost) = ("UpkeepHoldLimit 16\n",
        "SetEnv DRILL_NODE $node\nUpkeepHoldRelease $HoldRelease\n"
        . "RequestHeader set Drill-Arrived %t\n", 0);
    my %override = (UpkeepMemcached => '127.0.0.1:' . memcached_port(),
                    UpkeepSecretFile => $Secret, UpkeepSyncInterval => '100ms');
    for (split /\n/, $Example) {
        next if /^\s*(#|$)/;
        if (/^\s*<VirtualHost/i) { $in_vhost = 1; next }
        if (/^\s*<\/VirtualHost/i) { $in_vhost = 0; next }
        if ($in_vhost) {
            $vhost .= "$_\n" unless /^\s*(ServerName|ServerAlias|DocumentRoot|ErrorLog|CustomLog)\b/i;
        } elsif (/^\s*(\w+)\s+(.*?)\s*$/) {
            $main .= "$1 " . ($override{$1} // $2) . "\n";
        }
    }
    # the webhook endpoint is journaled through the windows
    $vhost .= "UpkeepJournal /cgi-bin/hook.cgi\n";
    return { main_config => $main, config => $vhost };
}

# GET on a node directly (not through HAProxy).
sub node_get {
    my ($node, $path) = @_;
    return on($node, sub { http_get('GET', $path) });
}

sub node_status {
    my ($node) = @_;
    my $r = node_get($node, '/upkeep-status?json');
    return eval { JSON::PP::decode_json($r->{body} // '') } // {};
}

# Entries of the node's journal (scope default) in $state (pending, dead).
sub journal_metric {
    my ($node, $state) = @_;
    my $m = node_get($node, '/upkeep-status?metrics')->{body} // '';
    return $m =~ /^upkeep_journal_entries\{scope="default",state="$state"\} (\d+)$/m ? $1 : undef;
}

# Writes held so far on both nodes (scope default, every mode).
sub held_total {
    my $n = 0;
    for my $node (qw(A B)) {
        my ($sc) = grep { $_->{scope} eq 'default' } @{ node_status($node)->{scopes} || [] };
        $n += $_ for values %{ $sc->{counters}{held} || {} };
    }
    return $n;
}

sub ctl_ok {
    my ($node, @args) = @_;
    my ($rc, $out, $err) = on($node, sub { ctl(@args) });
    is($rc, 0, "node $node: upkeepctl @args") or diag("stdout: $out\nstderr: $err");
    return $out;
}

# Both nodes' health checks say the mode is $mode.
sub nodes_in_mode {
    my ($mode) = @_;
    return !grep { (node_get($_, $HealthPath)->{headers}{'upkeep-mode'} // '') ne $mode } qw(A B);
}

sub deploy_app {
    my ($node, $version) = @_;
    on($node, sub {
        write_file(servroot() . '/cgi-bin/app.cgi', app_cgi($version), 0755);
        write_file(servroot() . '/cgi-bin/hook.cgi', hook_cgi(), 0755);
    });
}

# ------------------------------------------------------------ HAProxy
# conf/haproxy.cfg.example's defaults and backend, with checks every 200ms
# (and rise 1) and the two nodes as servers.  The example's fall 2 stays:
# one slow check on a loaded machine must not take a node out while the
# other one is drained.
my $HaPort = free_port();
my $HaSock = "$Tmp/haproxy.sock";

sub haproxy_cfg {
    my $ex = slurp("$Root/conf/haproxy.cfg.example");
    my (%sect, $cur);
    for (split /\n/, $ex) {
        next if /^\s*(#|$)/;
        if (/^(\S.*?)\s*$/) { $cur = $1; next }
        push @{ $sect{$cur} }, $_ if defined $cur;
    }
    my @defaults = grep { !/^\s*(log|option\s+httplog)\b/ } @{ $sect{defaults} || [] };
    my @backend;
    for (@{ $sect{'backend web'} || die "conf/haproxy.cfg.example has no 'backend web'\n" }) {
        next if /^\s*server\s/;
        if (/^\s*default-server\b/) {
            s/\binter\s+\S+/inter 200ms/; s/\brise\s+\d+/rise 1/;
        }
        push @backend, $_;
    }
    my $ports = { A => on('A', sub { port() }), B => on('B', sub { port() }) };
    return join "\n",
        'global', "    stats socket $HaSock mode 600 level admin",
        'defaults', @defaults,
        'frontend drill', "    bind 127.0.0.1:$HaPort", '    default_backend web',
        'backend web', @backend,
        (map { "    server $_ 127.0.0.1:$ports->{$_}" } qw(A B)), '';
}

# The status HAProxy reports for server $srv of backend web (UP, DOWN...).
sub haproxy_status {
    my ($srv) = @_;
    my $s = IO::Socket::UNIX->new(Peer => $HaSock) or return '';
    print {$s} "show stat\n";
    local $/;
    my $csv = <$s> // '';
    close $s;
    my ($head, @rows) = split /\n/, $csv;
    return '' unless $head && $head =~ s/^# //;
    my @cols = split /,/, $head;
    my ($si) = grep { $cols[$_] eq 'status' } 0 .. $#cols;
    for (@rows) {
        my @f = split /,/;
        return $f[$si] if $f[0] eq 'web' && $f[1] eq $srv;
    }
    return '';
}

sub start_haproxy {
    write_file("$Tmp/haproxy.cfg", haproxy_cfg());
    $Child{haproxy} = spawn("$Tmp/haproxy.log", $HAPROXY, '-db', '-f', "$Tmp/haproxy.cfg");
    wait_for(30, sub {
        die "haproxy exited:\n" . slurp("$Tmp/haproxy.log")
            if waitpid($Child{haproxy}, POSIX::WNOHANG()) == $Child{haproxy};
        haproxy_status('A') eq 'UP' && haproxy_status('B') eq 'UP';
    }) or die "haproxy: the nodes are not UP after 30s:\n" . slurp("$Tmp/haproxy.log");
}

# ------------------------------------------------------------ load generator
# Five forked clients through HAProxy, one request per connection: two read
# (the app's page, a static page), three mix reads and writes (POST id=N,
# N unique).  Each request is tagged with the phase at the time it is sent
# (the file $Tmp/phase) and appended, one line, to $Tmp/load.W.
my @FIELDS = qw(phase method path id status retry_after ms node app ack reason error);

sub set_phase { write_file("$Tmp/phase", "$_[0]\n") }

sub http_via_haproxy {
    my ($method, $path, $body) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $HaPort,
                                  Proto => 'tcp', Timeout => 10)
        or return { error => "connect: $!" };
    my $req = "$method $path HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n"
        . (defined $body ? "Content-Type: application/x-www-form-urlencoded\r\n"
                           . 'Content-Length: ' . length($body) . "\r\n" : '')
        . "\r\n" . ($body // '');
    syswrite $s, $req or return { error => "send: $!" };
    my ($sel, $buf, $end) = (IO::Select->new($s), '', time + 60);
    while (time < $end) {
        next unless $sel->can_read(1);
        my $n = sysread $s, $buf, 65536, length $buf;
        last unless $n;
    }
    close $s;
    my ($head, $resp_body) = split /\r\n\r\n/, $buf, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d{3})}
        or return { error => length $buf ? 'bad response' : 'no response' };
    my ($ra) = $head =~ /^Retry-After:\s*(\S+)/mi;
    my %r = (status => $status, retry_after => $ra);
    @r{qw(node app)} = ($1, $2) if ($resp_body // '') =~ /node=(\w) app=v(\d+)/;
    $r{node} //= $1 if ($resp_body // '') =~ /^hook \d+ node=(\w)/m;
    $r{ack} = $1 if ($resp_body // q{}) =~ /^inserted (\d+) node=/m;
    $r{reason} = $1 if ($resp_body // q{}) =~ m{<p class="reason">([^<\t\n]*)</p>};
    return \%r;
}

sub worker {
    my ($w, $kind) = @_;
    $SIG{INT} = $SIG{TERM} = 'DEFAULT';
    srand($$ ^ int(time * 1000));
    open my $log, '>>', "$Tmp/load.$w" or POSIX::_exit(1);
    my $seq = 0;
    until (-e "$Tmp/stop") {
        my ($phase) = slurp("$Tmp/phase") =~ /^(\S+)/;
        my ($method, $path, $body, $id) = ('GET', '/cgi-bin/app.cgi');
        my $dice = rand;
        if ($kind eq 'reader') {
            $path = '/index.html' if $dice < 0.25;
        } elsif ($kind eq 'hook') {
            # paused while the journals drain (see (a))
            if (-e "$Tmp/hooks-paused") { sleep 0.05; next }
            $id = $w * 1_000_000 + ++$seq;
            ($method, $path, $body) = ('POST', '/cgi-bin/hook.cgi', "id=$id");
        } elsif ($dice < 0.5) {
            $id = $w * 1_000_000 + ++$seq;
            ($method, $body) = ('POST', "id=$id");
        }
        # a write on its way (held ones included) has $Tmp/inflight.W
        write_file("$Tmp/inflight.$w", ($id // '') . "\n") if $method eq 'POST';
        my $t0 = time;
        my $r = http_via_haproxy($method, $path, $body);
        unlink "$Tmp/inflight.$w";
        my %rec = (%$r, phase => $phase // '?', method => $method, path => $path, id => $id,
                   ms => sprintf('%.1f', 1000 * (time - $t0)));
        $rec{error} =~ s/\s+/ /g if defined $rec{error};
        syswrite $log, join("\t", map { $rec{$_} // '-' } @FIELDS) . "\n";
        sleep 0.01 + rand 0.03;
    }
    POSIX::_exit(0);
}

sub start_workers {
    unlink "$Tmp/stop";
    for my $w (1 .. 6) {
        my $pid = fork // die "fork: $!";
        worker($w, $w <= 2 ? 'reader' : $w <= 5 ? 'mixed' : 'hook') unless $pid;
        push @Workers, $pid;
    }
}

sub stop_workers {
    return unless @Workers;
    open my $fh, '>', "$Tmp/stop";
    close $fh;
    my $end = time + 90;
    while (@Workers && time < $end) {
        @Workers = grep { waitpid($_, POSIX::WNOHANG()) == 0 } @Workers;
        sleep 0.05 if @Workers;
    }
    for (@Workers) { kill 'KILL', $_; waitpid $_, 0 }
    @Workers = ();
}

sub records {
    my @recs;
    for my $f (glob("$Tmp/load.*"), glob("$Tmp/burst.*")) {
        for (split /\n/, slurp($f)) {
            my %r;
            @r{@FIELDS} = map { $_ eq '-' ? undef : $_ } split /\t/;
            push @recs, \%r;
        }
    }
    return \@recs;
}

sub ok2xx { ($_[0]{status} // 0) =~ /^2/ }
sub count_recs { my ($cond) = @_; scalar grep { $cond->($_) } @{ records() } }

# Lets traffic run until $n more writes were acknowledged in the phase
# (there is traffic again, whatever the machine's load).
sub settle {
    my ($phase, $n) = @_;
    my $have = count_recs(sub { $_[0]{phase} eq $phase && $_[0]{path} eq '/cgi-bin/app.cgi' && $_[0]{method} eq 'POST' && ok2xx($_[0]) });
    ok(wait_for(60, sub { count_recs(sub { $_[0]{phase} eq $phase && $_[0]{path} eq '/cgi-bin/app.cgi' && $_[0]{method} eq 'POST'
                                           && ok2xx($_[0]) }) >= $have + $n }),
       "$n more writes acknowledged ($phase)");
}

# ------------------------------------------------------------ setup
like(slurp("$Root/conf/haproxy.cfg.example"), qr/^\s*option httpchk GET \Q$HealthPath\E\s*$/m,
     "conf/haproxy.cfg.example checks the UpkeepHealthCheck of conf/example-cluster.conf ($HealthPath)");

memcached_port();
start_mariadb();
for my $node (qw(A B)) {
    on($node, sub { start_server(node_spec($node)) });
    deploy_app($node, 1);
}
ctl_ok('A', 'normal');
start_haproxy();
{
    my $r = http_via_haproxy('GET', '/cgi-bin/app.cgi');
    is($r->{status}, 200, 'the app answers through HAProxy') or diag(explain($r));
    is($r->{app}, 1, '... version 1');
}

# Writes the nodes held (their counters), per phase.
my (%Held, $Phase, $HeldMark);
sub phase {
    my ($name) = @_;
    my $h = held_total();
    $Held{$Phase} += $h - $HeldMark if defined $Phase;
    ($Phase, $HeldMark) = ($name, $h);
    set_phase($name);
    # A request tagged with the old phase may still be on its way to a
    # node: a flip must not overtake it.  Each client's requests are
    # sequential, so once every client finished one tagged $name, none is.
    return unless @Workers;
    ok(wait_for(60, sub { !grep { slurp($_) !~ /^\Q$name\E\t/m } glob "$Tmp/load.*" }),
       "every client sent a request in phase $name");
}

phase('normal');
start_workers();
settle('normal', 5);

# ------------------------------------------------------------ (a) read-only window
phase('a-readonly');
ctl_ok('A', 'readonly', '--wait', '--timeout', '30s', '--reason', 'Database upgrade');
ok(wait_for(60, sub { count_recs(sub { $_[0]{phase} eq 'a-readonly' && $_[0]{method} eq 'POST'
                                       && ($_[0]{status} // 0) == 503 }) }),
   '(a) writes are refused while the cluster is read-only');
db_do(q{ALTER TABLE items ADD COLUMN note VARCHAR(64) NOT NULL DEFAULT 'v1'});
ctl_ok('A', 'normal');
ok(wait_for(30, sub { nodes_in_mode('normal') }), '(a) both nodes are back to normal');
# the webhooks journaled in (a) are replayed before (b) holds writes (a
# held replay would count among the held writes the burst waits for).
# The webhook client pauses meanwhile: while a journal holds entries, new
# webhooks are journaled behind them (202 at once), faster than one replay
# at a time through a Perl CGI applies them, and it would never drain
# (README, "Journal": UpkeepJournalConcurrency).
write_file("$Tmp/hooks-paused", "1\n");
ok(wait_for(60, sub { !grep { (journal_metric($_, 'pending') // -1) != 0 } qw(A B) }),
   '(a) both nodes have replayed their journal');
unlink "$Tmp/hooks-paused";
phase('normal');
settle('normal', 5);

# ------------------------------------------------------------ (b) hold window
phase('b-hold');
ctl_ok('A', 'hold', '--wait', '--timeout', '30s', '--reason', 'Adding an index');
ok(wait_for(60, sub { grep { (node_status($_)->{held} // 0) > 0 } qw(A B) }),
   '(b) a write is held');
# A burst of twice UpkeepHoldRelease writes straight to each node (the
# load balancer would split them unevenly), each 100 ms in the database,
# so that an unpaced release would run them all at once.
ok(wait_for(30, sub { nodes_in_mode('hold') }), '(b) both nodes hold writes');
my $Burst = 2 * $HoldRelease;
my @burst;
for my $node (qw(A B)) {
    for my $i (1 .. $Burst) {
        my $id = 9_000_000 + 1000 * ord($node) + $i;
        push @burst, on($node, sub {
            start_req(method => 'POST', path => '/cgi-bin/app.cgi', body => "id=$id&burst=1",
                      headers => [['Content-Type', 'application/x-www-form-urlencoded']],
                      id => $id, node => $node);
        });
    }
}
# Every write of the burst is held once the nodes hold as many writes as
# the burst and the clients' writes still on their way (counted after the
# nodes: a client's write held then is still on its way).
ok(wait_for(60, sub {
    my $held = 0;
    $held += node_status($_)->{held} // 0 for qw(A B);
    $held >= 2 * $Burst + scalar(() = glob "$Tmp/inflight.*");
}), "(b) the $Burst writes of the burst are held on each node");
my $migration = db_do('ALTER TABLE items ADD INDEX req_id (req_id)')
              + db_do(q{UPDATE items SET note = CONCAT('seed ', id) WHERE req_id IS NULL});
my $Released = time;              # a write that arrived before was held
ctl_ok('A', 'normal');
ok(wait_for(30, sub { nodes_in_mode('normal') }), '(b) both nodes are back to normal');
is(pump(\@burst, 60), 0, '(b) every write of the burst was answered');
{
    open my $fh, '>', "$Tmp/burst.b" or die "$Tmp/burst.b: $!";
    for my $q (@burst) {
        my $r = response_of($q);
        my %rec = (phase => 'b-hold', method => 'POST', path => '/cgi-bin/app.cgi', id => $q->{id},
                   status => $r->{status}, retry_after => $r->{headers}{'retry-after'},
                   ms => sprintf('%.1f', 1000 * (($q->{done} // time) - $q->{t_sent})),
                   error => $r->{error});
        @rec{qw(node app)} = ($1, $2) if ($r->{body} // '') =~ /node=(\w) app=v(\d+)/;
        $rec{ack} = $1 if ($r->{body} // '') =~ /^inserted (\d+) node=/m;
        print $fh join("\t", map { $rec{$_} // '-' } @FIELDS), "\n";
    }
    close $fh;
}
phase('normal');
settle('normal', 5);

# ------------------------------------------------------------ (c) rolling upgrade
phase('c-rolling');
for my $node (qw(A B)) {
    ctl_ok($node, 'drain');
    ok(wait_for(30, sub { haproxy_status($node) =~ /^(DOWN|MAINT|NOLB)/ }),
       "(c) HAProxy takes drained node $node out") or diag('status: ' . haproxy_status($node));
    # what HAProxy sent before it took the node out must end first: a CGI
    # caught by the graceful restart gets mod_cgid's 503 (its daemon
    # restarts), as on any httpd.  Wait until the node's access log has
    # been still for a second.
    ok(wait_for(15, sub { $node_quiet->($node, 1) }), "(c) node $node has finished the requests it had");
    deploy_app($node, 2);
    on($node, sub { restart_server('graceful') });
    ctl_ok($node, 'undrain');
    ok(wait_for(30, sub { haproxy_status($node) eq 'UP' }), "(c) HAProxy puts node $node back")
        or diag('status: ' . haproxy_status($node));
    ok(wait_for(60, sub { count_recs(sub { ($_[0]{node} // '') eq $node && ($_[0]{app} // 0) == 2 }) >= 3 }),
       "(c) node $node serves app version 2 through HAProxy");
}
phase('normal');
settle('normal', 5);

# ------------------------------------------------------------ (d) maintenance window
phase('d-maintenance');
ctl_ok('A', 'maintenance', '--wait', '--timeout', '30s', '--for', '10m',
       '--reason', 'Widening the primary key');
ok(wait_for(60, sub { count_recs(sub { $_[0]{phase} eq 'd-maintenance' && $_[0]{method} eq 'GET'
                                       && ($_[0]{status} // 0) == 503 }) }),
   '(d) reads get the maintenance page');
db_do('ALTER TABLE items MODIFY id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, ALGORITHM=COPY, LOCK=EXCLUSIVE');
ctl_ok('A', 'normal');
ok(wait_for(30, sub { nodes_in_mode('normal') }), '(d) both nodes are back to normal');
phase('normal');
settle('normal', 5);
phase('end');
stop_workers();

# ------------------------------------------------------------ assertions
my $recs = records();
my @phases = ('normal', 'a-readonly', 'b-hold', 'c-rolling', 'd-maintenance');
my $Journaled = 0;
my %in = map { my $p = $_; $p => [grep { $_->{phase} eq $p } @$recs] } @phases;
my $fmt = sub { join '; ', map { "$_->{method} $_->{path} " . ($_->{id} // '') . " -> "
                                 . ($_->{status} // $_->{error} // '?') . " ($_->{ms} ms)" } @_[0 .. ($#_ < 9 ? $#_ : 9)] };

is(scalar(grep { $_->{phase} eq '?' } @$recs), 0, 'every request was tagged with a phase');

my @bad_reads = grep { $_->{method} eq 'GET' && ($_->{status} // 0) != 200
                       && $_->{phase} ne 'd-maintenance' } @$recs;
is(scalar @bad_reads, 0, 'no read failed outside the maintenance window')
    or diag($fmt->(@bad_reads));

for my $p ('normal', 'c-rolling') {
    my @bad = grep { !ok2xx($_) } @{ $in{$p} };
    is(scalar @bad, 0, "no request at all failed in phase $p (" . @{ $in{$p} } . ' requests)')
        or diag($fmt->(@bad));
}

my @refused_bad = grep { !ok2xx($_) && (($_->{status} // 0) != 503 || ($_->{retry_after} // '') !~ /^[1-9]\d*$/) }
    grep { $_->{method} eq 'POST' || $_->{phase} eq 'd-maintenance' } @$recs;
is(scalar @refused_bad, 0, 'every refused request got 503 with a Retry-After')
    or diag($fmt->(@refused_bad));

my %said = ('a-readonly' => 'Database upgrade', 'd-maintenance' => 'Widening the primary key');
for my $p (sort keys %said) {
    my @r = grep { ($_->{status} // 0) == 503 } @{ $in{$p} };
    my @bad = grep { ($_->{reason} // '') ne $said{$p} } @r;
    is(scalar @bad, 0, "$p: every refusal (" . @r . ") shows the reason '$said{$p}'")
        or diag($fmt->(@bad) . "; reasons: " . join ', ', map { $_->{reason} // 'none' } @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
}

my @refused_b = grep { $_->{method} eq 'POST' && !ok2xx($_) } @{ $in{'b-hold'} };
is(scalar @refused_b, 0, 'no write was refused in the hold window') or diag($fmt->(@refused_b));

my @acked = grep { $_->{method} eq 'POST' && $_->{path} eq '/cgi-bin/app.cgi' && ok2xx($_) } @$recs;
my @wrong_ack = grep { ($_->{ack} // -1) != $_->{id} } @acked;
is(scalar @wrong_ack, 0, 'every acknowledged write names the row it inserted') or diag($fmt->(@wrong_ack));
{
    my %db = map { $_->[0] => $_->[1] }
        @{ $Dbh->selectall_arrayref('SELECT req_id, COUNT(*) FROM items WHERE req_id IS NOT NULL GROUP BY req_id') };
    my @missing = grep { ($db{$_->{id}} // 0) != 1 } @acked;
    is(scalar @missing, 0, 'every acknowledged write (' . @acked . ') is in the database exactly once')
        or diag(join ', ', map { "$_->{id} x" . ($db{$_->{id}} // 0) } @missing[0 .. ($#missing < 9 ? $#missing : 9)]);
    my %acked = map { $_->{id} => 1 } @acked;
    my @extra = grep { !$acked{$_} } sort keys %db;
    is(scalar @extra, 0, 'the database holds no write that was not acknowledged') or diag("@extra[0 .. ($#extra < 9 ? $#extra : 9)]");
    my ($v2) = $Dbh->selectrow_array(q{SELECT COUNT(*) FROM items WHERE note = 'v2'});
    ok($v2 > 0, "app version 2 wrote rows with the new column ($v2)");
}
# (e) the webhooks, sent all along: journaled in the windows (202), applied
# directly in normal mode unless older ones still wait (then journaled
# behind them); 0 lost, each applied once, in each node's arrival order.
{
    my @hooks = grep { $_->{path} eq '/cgi-bin/hook.cgi' } @$recs;
    my @ok = grep { ok2xx($_) } @hooks;
    my @bad = grep { !ok2xx($_) } @hooks;
    is(scalar @bad, 0, '(e) every webhook (' . @hooks . ') was accepted: 200 applied or 202 journaled')
        or diag($fmt->(@bad));
    my $journaled = grep { ($_->{status} // 0) == 202 } @ok;
    ok($journaled > 0, "(e) webhooks sent during the windows were journaled ($journaled)");
    my %want = map { $_->{id} => 1 } @ok;
    ok(wait_for(60, sub {
        my ($n) = $Dbh->selectrow_array('SELECT COUNT(DISTINCT hook_id) FROM hooks');
        $n >= keys %want;
    }), '(e) the journals are replayed once the windows end');
    my %db = map { $_->[0] => $_->[1] }
        @{ $Dbh->selectall_arrayref('SELECT hook_id, COUNT(*) FROM hooks GROUP BY hook_id') };
    my @lost = grep { ($db{$_} // 0) != 1 } sort keys %want;
    is(scalar @lost, 0, '(e) every accepted webhook (' . keys(%want) . ') is in the database exactly once')
        or diag(join ', ', map { "$_ x" . ($db{$_} // 0) } @lost[0 .. ($#lost < 9 ? $#lost : 9)]);
    my @extra = grep { !$want{$_} } sort keys %db;
    is(scalar @extra, 0, '(e) and no other') or diag("@extra[0 .. ($#extra < 9 ? $#extra : 9)]");
    my %last;
    my @disorder;
    for my $row (@{ $Dbh->selectall_arrayref('SELECT node, hook_id FROM hooks ORDER BY id') }) {
        push @disorder, "$row->[0]: $row->[1] after $last{$row->[0]}"
            if defined $last{$row->[0]} && $row->[1] < $last{$row->[0]};
        $last{$row->[0]} = $row->[1];
    }
    my %rec = map { $_->{id} => $_ } @hooks;
    is(scalar @disorder, 0, '(e) on each node, webhooks were applied in the order they arrived')
        or diag(join "\n", map { my ($n, $x, $y) = /^(\w): (\d+) after (\d+)/;
                                 join ' | ', map { my $r = $rec{$_} // {}; "$_: phase $r->{phase} status $r->{status} node " . ($r->{node} // '?') . " ms $r->{ms}" } $x, $y }
                             @disorder[0 .. ($#disorder < 9 ? $#disorder : 9)]);
    $Journaled = $journaled;
}

# Paced release: the writes of the burst that arrived while their node held
# writes (before the release) ran at most UpkeepHoldRelease at once in the
# database, per node.
my %overlap;
for my $node (qw(A B)) {
    my $rows = $Dbh->selectall_arrayref('SELECT req_id, arrived, started, ended FROM items
                                         WHERE burst = 1 AND node = ?', { Slice => {} }, $node);
    my @held = grep { defined $_->{arrived} && $_->{arrived} < $Released } @$rows;
    ok(@held > $HoldRelease, "(b) node $node: " . @held . " writes of the burst were held and released");
    my @ev = sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] }
             map { ([$_->{started}, 1], [$_->{ended}, -1]) } @held;
    my ($now, $max) = (0, 0);
    for (@ev) { $now += $_->[1]; $max = $now if $now > $max }
    $overlap{$node} = $max;
    ok($max <= $HoldRelease, "(b) node $node: at most $max released writes at once in the database "
       . "(UpkeepHoldRelease $HoldRelease)")
        or diag(join '; ', map { sprintf '%s %.3f-%.3f', $_->{req_id}, $_->{started} - $Released,
                                          $_->{ended} - $Released } sort { $a->{started} <=> $b->{started} } @held);
}

for my $node (qw(A B)) {
    is(node_get($node, '/cgi-bin/app.cgi')->{body} =~ /app=v(\d+)/ ? $1 : 0, 2, "node $node runs app version 2");
    my @crash = on($node, sub { fatal_log_lines(0) });
    is(scalar @crash, 0, "node $node: no crash or sanitizer report in the error log") or diag(join "\n", @crash);
}

# ------------------------------------------------------------ the table
{
    my $line = sprintf "%-14s %8s %9s %9s %9s %14s %12s %7s %10s",
        qw(phase requests reads-ok reads-503 writes-ok writes-refused writes-held failed max-ms);
    my @out = ("drill under the " . ($ENV{TEST_UPKEEP_MPM} || 'event') . " MPM"
               . " (migration in (b): " . sprintf('%.0f', 1000 * $migration) . " ms; most released"
               . " writes at once in the database: A $overlap{A}, B $overlap{B}, UpkeepHoldRelease $HoldRelease)", $line);
    for my $p (@phases) {
        my @r = @{ $in{$p} };
        my $reads = sub { grep { $_->{method} eq 'GET' && ($_->{status} // 0) == $_[0] } @r };
        my $writes_ok = grep { $_->{method} eq 'POST' && $_->{path} eq '/cgi-bin/app.cgi' && ok2xx($_) } @r;
        my $refused = grep { $_->{method} eq 'POST' && ($_->{status} // 0) == 503 } @r;
        my $failed = grep { !ok2xx($_) && ($_->{status} // 0) != 503 } @r;
        my $max = 0;
        $max = $_->{ms} > $max ? $_->{ms} : $max for @r;
        push @out, sprintf "%-14s %8d %9d %9d %9d %14d %12d %7d %10.0f",
            $p, scalar @r, scalar($reads->(200)), scalar($reads->(503)), $writes_ok, $refused,
            $Held{$p} // 0, $failed, $max;
    }
    diag(join "\n", @out);
}

unless (Test::More->builder->is_passing) {
    diag("--- $_ (tail):\n" . substr(slurp($_), -3000)) for "$Tmp/haproxy.log", "$DbRun/mariadbd.err";
    # each node's refusals and errors, and its 503s (the next file's test
    # reuses the server roots)
    my $last20 = sub { my @l = @_; @l > 20 ? join('', @l[-20 .. -1]) : join('', @l) };
    for my $node (qw(A B)) {
        on($node, sub {
            my $sr = servroot();
            diag("--- node $node: error.log (errors, warnings):\n" . $last20->(
                grep { /:(?:error|warn|crit|emerg)\]|AH01257|cgid/ } split /^/m, slurp("$sr/logs/error.log")));
            diag("--- node $node: access.log, 503s:\n" . $last20->(
                grep { / 503 / } split /^/m, slurp("$sr/logs/access.log")));
        });
    }
}
done_testing();
