# The mode for apps behind mod_proxy: a proxied backend (here a tiny HTTP
# server that echoes the request headers it got) receives Upkeep-Mode and
# Upkeep-Until from the module, never the client's own.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;
use IO::Socket::INET;

# The backend: answers every request with the request's header block.
my $BackendPort = free_port();
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $BackendPort,
                                   Listen => 16, ReuseAddr => 1, Proto => 'tcp')
    or die "backend listen: $!\n";
my $BackendPid = fork // die "fork: $!\n";
if (!$BackendPid) {
    while (my $c = $listen->accept) {
        my $head = '';
        while (defined(my $l = <$c>)) {
            last if $l =~ /^\r?\n$/;
            $head .= $l;
        }
        $head =~ s/\r//g;
        print {$c} "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
            . length($head) . "\r\nConnection: close\r\n\r\n$head";
        close $c;
    }
    exit 0;
}
close $listen;
END { local $?; if ($BackendPid) { kill 'TERM', $BackendPid; waitpid $BackendPid, 0 } }

# The same backend reached every way httpd proxies (ProxyPass, a RewriteRule
# [P], SetHandler proxy:), and CGIs run every way (ScriptAlias, and the old
# AddType application/x-httpd-cgi), which print the Upkeep-* variables.
start_server(<<"EOF");
ProxyPass /app/ http://127.0.0.1:$BackendPort/
RewriteEngine on
RewriteRule ^/rw/(.*)\$ http://127.0.0.1:$BackendPort/\$1 [P]
<Location /sh/>
    SetHandler "proxy:http://127.0.0.1:$BackendPort"
</Location>
<Directory "\$ServRoot/htdocs/old">
    Options +ExecCGI
    AddType application/x-httpd-cgi .xcgi
</Directory>
EOF
my $Cgi = <<'CGI';
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\n";
print "$_=$ENV{$_}\n" for sort grep { /UPKEEP/i } keys %ENV;
print "end\n";
CGI
write_cgi('hdr.cgi', $Cgi);
mkdir servroot() . '/htdocs/old';
{
    my $f = servroot() . '/htdocs/old/hdr.xcgi';
    open my $fh, '>', $f or die "$f: $!";
    print $fh "#!/usr/bin/perl\n$Cgi";
    close $fh;
    chmod 0755, $f;
}

sub backend_headers {
    my ($hdrs, $path) = @_;
    my $r = http_get('GET', $path // '/app/page', $hdrs);
    is($r->{status}, 200, 'the proxied read passes') or diag($r->{error} // $r->{raw});
    my %h;
    for (split /\n/, $r->{body} // '') {
        my ($n, $v) = /^([^:]+):\s*(.*)$/ or next;
        push @{ $h{lc $n} }, $v;
    }
    return \%h;
}

my $spoof = [['Upkeep-Mode', 'normal'], ['Upkeep-Until', '2000-01-01T00:00:00Z'],
             ['Upkeep_Mode', 'normal'], ['upkeep-mode', 'maintenance']];

# normal: no header reaches the backend, whatever the client sends, by
# whichever way httpd proxies it
ctl('normal');
my $h;
for my $path (qw(/app/page /rw/page /sh/page)) {
    $h = backend_headers([@$spoof, ['Upkeep-Journal-Id', 'forged-1'], ['Upkeep-Journal-Received', '1']], $path);
    ok(!grep({ /^upkeep/ } keys %$h),
       "normal mode, $path: the backend gets no Upkeep-* header, spoofed ones (journal's too) are dropped")
        or diag(explain($h));
}
# ... nor a CGI, run either way, in normal mode or not
for my $mode (qw(normal readonly)) {
    ctl($mode);
    for my $path (qw(/cgi-bin/hdr.cgi /old/hdr.xcgi)) {
        my $r = http_get('GET', $path, [@$spoof, ['Upkeep-Journal-Id', 'forged-1']]);
        is($r->{status}, 200, "$mode, $path: the CGI runs");
        my @vars = grep { /^\w+=/ } split /\n/, $r->{body} // '';
        is_deeply(\@vars, $mode eq 'normal' ? [] : ["HTTP_UPKEEP_MODE=readonly", "UPKEEP_MODE=readonly"],
                  "$mode, $path: the CGI sees only the module's Upkeep variables")
            or diag($r->{body});
    }
}
ctl('normal');

# readonly with an end: exactly one Upkeep-Mode and one Upkeep-Until
ctl('readonly', '--for', '2h', '--reason', 'db upgrade');
$h = backend_headers($spoof);
is_deeply($h->{'upkeep-mode'}, ['readonly'], 'readonly: the backend gets Upkeep-Mode: readonly, once');
like(join(',', @{ $h->{'upkeep-until'} // [] }), qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
     'readonly --for: the backend gets Upkeep-Until as an ISO 8601 time, once');
ok(!$h->{'upkeep_mode'}, 'the underscore spelling never reaches the backend');

# readonly without an end: no Upkeep-Until, even a spoofed one
ctl('readonly', '--no-end');   # a plain readonly would keep the end
$h = backend_headers($spoof);
is_deeply($h->{'upkeep-mode'}, ['readonly'], 'readonly: Upkeep-Mode: readonly');
ok(!$h->{'upkeep-until'}, 'readonly --no-end: no Upkeep-Until (the spoofed one is dropped)');

ctl('normal');
done_testing();
