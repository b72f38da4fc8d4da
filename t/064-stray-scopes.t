# Scopes the configuration does not name (issue 12): they never cost httpd
# a start.  An older upkeepctl (or one run before httpd ever wrote
# served.conf) took a live slot for any name; 63 such strays used to make
# the next graceful restart with a new UpkeepScope fail with UPK0004.  Now
# the live file is rebuilt with room (UPK0016), the strays' state files are
# named once (UPK0015), and upkeepctl refuses unknown scopes and forgets
# them.
use lib 't/lib';
use Test::Upkeep;
use Test::More;

my $State = servroot() . '/state';

start_server('');
# what an older upkeepctl could do: served.conf is what lets the new one
# check names, so without it any name is taken
unlink "$State/served.conf";
my $made = 0;
for my $i (1 .. 63) {
    my ($rc) = ctl('--local', '--scope', "stray$i", 'maintenance');
    $made++ if $rc == 0 || $rc == 3;
}
is($made, 63, '63 stray scopes were flipped without served.conf');

my $off = error_log_offset();
my $Conf = "<Location /shop>\n    UpkeepScope shop\n</Location>\n";
ok(eval { start_server($Conf); 1 }, 'a new UpkeepScope shop: httpd starts although the strays held every slot')
    or diag($@);
my $log = error_log_since($off);
like($log, qr/UPK0016: \S+ has no free slot left, 63 of them held by scopes the configuration does not name: rebuilt without them/,
     'UPK0016 says the live file was rebuilt');
like($log, qr/UPK0015: \S+ holds the state of scopes the configuration does not name: .*stray1\b.*; ignored/,
     'UPK0015 names the stray state files once');
unlike($log, qr/UPK0004/, 'no UPK0004');
is(http_get('GET', '/')->{status}, 200, 'the site is served (the strays are ignored)');

my ($rc, $out, $err) = ctl('--scope', 'shop', 'maintenance');
is($rc, 0, 'upkeepctl --scope shop maintenance exits 0') or diag("$out$err");
is(http_get('GET', '/shop/')->{status}, 503, 'the new scope is in force');
is(http_get('GET', '/')->{status}, 200, '... and only there');

($rc, $out, $err) = ctl('--scope', 'stray7', 'readonly');
is($rc, 2, 'a stray scope cannot be flipped any more (exit 2)');
like($err, qr/unknown scope 'stray7': httpd's configuration names default, shop; nothing changed/, '... naming the configured scopes');
like($err, qr/upkeepctl forget --scope stray7/, '... and how to forget it');

($rc, $out, $err) = ctl('forget', '--scope', 'stray7');
is($rc, 0, 'forget --scope stray7 exits 0') or diag($err);
ok(!-e "$State/stray7.state", 'its state file is gone');
($rc, $out, $err) = ctl('forget', '--scope', 'shop');
is($rc, 1, 'forget of a configured scope is refused (exit 1)');
like($err, qr/names scope 'shop'/, '... saying why');

# a graceful restart again: no rebuild needed now, the strays still noted
$off = error_log_offset();
restart_server('graceful');
$log = error_log_since($off);
unlike($log, qr/UPK0016/, 'the next restart has room: no rebuild');
like($log, qr/UPK0015: .*stray1\b/, 'the remaining strays are named again');
unlike($log, qr/\bstray7\b/, 'the forgotten one is not');
is(http_get('GET', '/shop/')->{status}, 503, 'shop is still in maintenance after the restart');
ctl('--scope', 'shop', 'normal');
ctl('forget', '--scope', "stray$_") for 1 .. 63;
done_testing();
