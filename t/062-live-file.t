# The durable state file is the truth at start: a missing, truncated or
# foreign live file (upkeep.live) is rebuilt and the persisted mode applies.
# (Helper-based: the live file may only be touched while httpd is stopped,
# which the data-driven runner cannot guarantee.)
use lib 't/lib';
use Test::Upkeep;
use Test::More;

my $State = servroot() . '/state';
my $Live = "$State/upkeep.live";

sub ctl_ok {
    my ($rc, $out, $err) = ctl(@_);
    is($rc, 0, "upkeepctl @_ exits 0") or diag("stdout: $out\nstderr: $err");
    return $out;
}

sub write_live {
    my ($bytes) = @_;
    unlink $Live;    # never rewrite a mapped file in place
    open my $fh, '>:raw', $Live or die "$Live: $!";
    print $fh $bytes;
    close $fh;
}

my $size;
for my $case (
    ['missing',                      sub { unlink $Live }],
    ['truncated to 8 bytes',         sub { write_live("garbage\n") }],
    ['of the right size but foreign', sub { write_live("\xff" x $size) }],
    ['zero-filled',                  sub { write_live("\0" x $size) }],
) {
    my ($what, $damage) = @$case;
    start_server('');
    $size //= -s $Live;
    ctl_ok('maintenance', '--reason', "live $what");
    stop_server();
    $damage->();
    ok(eval { start_server(''); 1 }, "httpd starts with a live file that is $what") or diag($@);
    my $r = http_get('GET', '/');
    is($r->{status}, 503, "live file $what: the persisted maintenance mode applies");
    like($r->{body} // '', qr{<p class="reason">live \Q$what\E</p>}, '... with its reason');
    is(-s $Live, $size, "live file $what: rebuilt at its full size");
    my $out = ctl_ok('status');
    like($out, qr/^  live:        in sync$/m, "live file $what: status says in sync");
    ctl_ok('normal');
    is(http_get('GET', '/')->{status}, 200, "live file $what: flips reach httpd again at once");
}

my $log = error_log_since(0);
unlike($log, qr/Segmentation fault|Bus error|AddressSanitizer|runtime error:|exit signal|UPK0102/,
       'error log has no crash, sanitizer or torn-read report');
ok(server_alive(), 'apache2 parent still alive');
stop_server();
done_testing();
