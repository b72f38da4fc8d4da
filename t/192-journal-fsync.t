# The journal on a disk whose flushes fail (issue 16): an entry is
# acknowledged (202) only once fsync says it is on disk.  When fsync fails
# the client gets today's refusal, and the entry must never reach the app:
# cut off when it is the journal's last (UPK0144), voided in place when
# others were written behind it during the flush (UPK0145: the replay
# skips it as torn).  httpd's children killed during a flush leave the
# journal whole.  The fault is a preloaded fsync (t/lib/fsync_fault.c) that
# fails (or only waits) for journal files while a flag file exists.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;

my $Dir = scratch_dir('journal-fsync');
my $Log = "$Dir/log";
my $Flag = "$Dir/fail-fsync";
system('gcc', '-shared', '-fPIC', '-o', "$Dir/fsync_fault.so", 't/lib/fsync_fault.c', '-ldl') == 0
    or die "cannot build t/lib/fsync_fault.c\n";
@Test::Upkeep::HttpdPreload = ("$Dir/fsync_fault.so");
$ENV{UPKEEP_TEST_FSYNC_FAULT} = $Flag;

start_server(<<'EOF');
UpkeepJournal /cgi-bin/hook.cgi
EOF
write_cgi('hook.cgi', <<"EOF");
my \$len = \$ENV{CONTENT_LENGTH} || 0;
my \$body = '';
read STDIN, \$body, \$len;
open my \$fh, '>>', '$Log' or die;
print \$fh (\$ENV{HTTP_UPKEEP_JOURNAL_ID} // 'direct'), " \$body\\n";
close \$fh;
print "Status: 200\\r\\nContent-Type: text/plain\\r\\n\\r\\nok\\n";
EOF

sub fault { my ($ms) = @_; open my $fh, '>', $Flag or die; print $fh "$ms\n"; close $fh; chmod 0644, $Flag }
sub healed { unlink $Flag }
sub post { http_get('POST', '/cgi-bin/hook.cgi', [['Content-Type', 'text/plain']], $_[0]) }
sub replayed { my @l = slurp_lines($Log); @l }
sub journal { my (undef, $out) = ctl('journal'); $out }

my $off = error_log_offset();
ctl('maintenance');
my $r = post('first');
is($r->{status}, 202, 'a journaled POST on a sound disk: 202');
my $id0 = $r->{headers}{'upkeep-journal-id'} // '';

# --- the flush of the last entry fails: cut off, refused
fault(0);
$r = post('lost-alone');
is($r->{status}, 503, 'the flush fails: the client gets the refusal of today (503)');
ok(!$r->{headers}{'upkeep-journal-id'}, '... and no journal id');
my ($id1) = error_log_since($off) =~ /UPK0144: cannot flush the journal of scope 'default' to disk: entry (\S+) removed, the request refused/;
ok($id1, 'UPK0144 names the entry and says it was removed');

# --- a slow failing flush with a second write behind it: voided in place
# (the second is sent once the first is written, and is written while the
# first still waits for its flush)
fault(1500);
$off = error_log_offset();
my $jfile = state_dir() . '/journal/default.journal';
my $size = -s $jfile;
my @reqs = (start_req(method => 'POST', path => '/cgi-bin/hook.cgi', body => 'lost-first'));
ok(wait_until(sub { -s $jfile > $size }, 10), 'the first is written (its flush then waits 1.5 s)');
$size = -s $jfile;
push @reqs, start_req(method => 'POST', path => '/cgi-bin/hook.cgi', body => 'lost-behind');
ok(wait_until(sub { -s $jfile > $size }, 10), '... the second is written behind it meanwhile');
pump(\@reqs, 10);
is_deeply([map { response_of($_)->{status} } @reqs], [503, 503],
          'two writes whose flushes fail, the second written behind the first: both refused');
my $log = error_log_since($off);
like($log, qr/UPK0145: cannot flush the journal of scope 'default' to disk: entry \S+, behind which others were written meanwhile, is voided in place \(the replay skips it\), the request refused/,
     'UPK0145: the first, no longer the last, is voided in place');
like($log, qr/UPK0144: .* entry \S+ removed/, 'UPK0144: the second, the last, is cut off');
unlike($log, qr/UPK0148/, 'no entry was left to be replayed (UPK0148)');

# --- httpd's children killed (-9) during a (slow) flush: the client gets
# no answer, the journal stays whole, later writes go in behind it
fault('3000 ok');
my @killed = (start_req(method => 'POST', path => '/cgi-bin/hook.cgi', body => 'killed-in-flush'));
sleep 0.5;
kill_children();
healed();
pump(\@killed, 5);
ok(!(response_of($killed[0])->{status}), 'children killed during the flush: the client got no answer (no 202)');
ok(server_alive(), '... and httpd serves on with new children');

# --- the disk is sound again: only what was acknowledged reaches the app
$r = post('second');
is($r->{status}, 202, 'the disk is sound again: a journaled POST gets 202');
my $id2 = $r->{headers}{'upkeep-journal-id'} // '';
like(journal(), qr/\Q$id0\E.*\Q$id2\E/s, 'upkeepctl journal lists the two acknowledged entries');
$off = error_log_offset();
ctl('normal');
ok(wait_until(sub { replayed() >= 2 && journal() !~ /\Q$id2\E/ }, 20), 'normal: the journal is replayed');
sleep 0.5;
my @bodies = map { (split / /, $_, 2)[1] } replayed();
is_deeply([grep { $_ ne 'killed-in-flush' } @bodies], ['first', 'second'],
          '... the app gets each acknowledged write once, in order, and none of the refused ones');
# its client got no answer, as when any answer is lost: it may be applied
cmp_ok(scalar(grep { $_ eq 'killed-in-flush' } @bodies), '<=', 1,
       '... the write whose client got no answer at most once');
like(error_log_since($off), qr/UPK0131: journal of scope 'default': skipped \d+ bytes of a torn entry/,
     '... the voided entry was skipped as torn (UPK0131)');
done_testing();
