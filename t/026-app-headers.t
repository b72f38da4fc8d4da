# The mode for apps behind mod_proxy: a proxied backend (here a tiny HTTP
# server that echoes the request headers it got) receives Upkeep-Mode and
# Upkeep-Until from the module, never the client's own.
use lib 't/lib';
use Test::Upkeep;
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

start_server("ProxyPass /app/ http://127.0.0.1:$BackendPort/\n");

sub backend_headers {
    my ($hdrs) = @_;
    my $r = http_get('GET', '/app/page', $hdrs);
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

# normal: no header reaches the backend, whatever the client sends
ctl('normal');
my $h = backend_headers($spoof);
ok(!$h->{'upkeep-mode'} && !$h->{'upkeep-until'} && !$h->{'upkeep_mode'},
   'normal mode: the backend gets no Upkeep-* header, spoofed ones are dropped')
    or diag(explain($h));

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
