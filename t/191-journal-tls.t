# The journal over TLS (issue 16): a write journaled on a TLS virtual host
# is replayed over TLS to the address and port it came in on, with SNI
# from its Host, so the same name-based virtual host (not the first one on
# the port, not a plain HTTP listener) and the same handlers serve it, and
# the app sees HTTPS=on as the client's request did.  A replay whose
# handshake fails is retried, saying why, and lands once TLS is back.
use lib 't/lib';
use Test::Upkeep;
use Test::UpkeepOps;
use Test::More;

my $ModDir = '/usr/lib/apache2/modules';
plan skip_all => "no $ModDir/mod_ssl.so" unless -e "$ModDir/mod_ssl.so";
plan skip_all => 'no openssl command (package openssl)' unless `openssl version 2>/dev/null`;
plan skip_all => 'no curl' unless `curl --version 2>/dev/null`;

my $Dir = scratch_dir('journal-tls');
my $Log = "$Dir/log";
my $made = `openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tls.example -keyout '$Dir/key.pem' -out '$Dir/cert.pem' 2>&1`;
$? == 0 or die "openssl req failed:\n$made";
chmod 0644, "$Dir/key.pem";
my $Tls = free_port();

# two name-based TLS hosts on one port: only the second one (not the
# default) journals and serves /hook
my $tls_vhost = sub {
    my ($name, $more) = @_;
    return <<"EOF";
<VirtualHost 127.0.0.1:$Tls>
    ServerName $name
    SSLEngine on
    SSLCertificateFile $Dir/cert.pem
    SSLCertificateKeyFile $Dir/key.pem
    DocumentRoot "\$ServRoot/htdocs"
$more</VirtualHost>
EOF
};
my %conf = (main_config => <<"EOF"
LoadModule ssl_module $ModDir/mod_ssl.so
Listen 127.0.0.1:$Tls https
<Directory "\$ServRoot/cgi-bin">
    Options +ExecCGI
    Require all granted
</Directory>
EOF
    . $tls_vhost->('first.example', '')
    . $tls_vhost->('tls.example', <<'EOF'));
    UpkeepJournal /hook
    UpkeepJournalRetry 1h
    ScriptAlias /hook "$ServRoot/cgi-bin/hook.cgi"
EOF
start_server(\%conf);
write_cgi('hook.cgi', <<"EOF");
my \$len = \$ENV{CONTENT_LENGTH} || 0;
my \$body = '';
read STDIN, \$body, \$len;
open my \$fh, '>>', '$Log' or die;
print \$fh join(' ', map { "\$_=" . (\$ENV{\$_} // '-') } qw(REQUEST_METHOD HTTPS SERVER_NAME
    HTTP_UPKEEP_JOURNAL_ID)), " body=\$body\\n";
close \$fh;
print "Status: 200\\r\\nContent-Type: text/plain\\r\\n\\r\\nok\\n";
EOF

# a POST to https://tls.example:PORT/hook -> (status, journal id)
sub tls_post {
    my ($body) = @_;
    my $out = `curl -sk -o /dev/null -D - --max-time 10 --resolve tls.example:$Tls:127.0.0.1 -X POST --data-binary '$body' https://tls.example:$Tls/hook`;
    my ($status) = $out =~ m{^HTTP/\S+ (\d+)}m;
    my ($id) = $out =~ /^upkeep-journal-id: (\S+)/mi;
    return ($status // 0, $id // '');
}
sub pending { my (undef, $out) = ctl('journal'); $out }
sub replayed { my @l = slurp_lines($Log); scalar @l }

my $off = error_log_offset();
ctl('maintenance');
my ($status, $id) = tls_post('a=1');
is($status, 202, 'a POST to the TLS host\'s journaled path in maintenance: 202');
ok($id, "... with a journal id ($id)");
is(replayed(), 0, '... the app saw nothing yet');

my ($rc, $out, $err) = ctl('normal');
is($rc, 0, 'normal') or diag("$out$err");
ok(wait_until(sub { replayed() >= 1 }, 15), 'the entry is replayed');
is_deeply([slurp_lines($Log)],
          ["REQUEST_METHOD=POST HTTPS=on SERVER_NAME=tls.example HTTP_UPKEEP_JOURNAL_ID=$id body=a=1"],
          '... once, over TLS, to the virtual host it came in on, body intact');
unlike(error_log_since($off), qr/UPK0128/, '... with no failed replay on the way');
ok(wait_until(sub { pending() !~ /\Q$id\E/ }, 5), '... and it leaves the journal');

# --- the TLS listener is gone when the replay comes: retried, saying why
ctl('maintenance');
($status, my $id2) = tls_post('b=2');
is($status, 202, 'a second journaled POST: 202');
# the same TLS port, served by a plain HTTP host for now: the handshake fails
my %plain = %conf;
$plain{main_config} =~ s/ https\n/ http\n/;
$plain{main_config} =~ s/^\s*SSL.*\n//mg;
$off = error_log_offset();
start_server(\%plain);
ctl('normal');
ok(wait_until(sub { error_log_since($off) =~ /UPK0128: journal of scope 'default': cannot replay \Q$id2\E to https:\/\/127\.0\.0\.1:$Tls: TLS handshake failed/ }, 15),
   'a replay whose TLS handshake fails: UPK0128 names the entry, the address and why');
like(pending(), qr/\Q$id2\E/, '... and the entry stays pending');
is(replayed(), 1, '... the app did not get it');
$off = error_log_offset();
start_server(\%conf);
ok(wait_until(sub { replayed() >= 2 }, 30), 'TLS back: the entry is replayed');
like((slurp_lines($Log))[1], qr/^REQUEST_METHOD=POST HTTPS=on SERVER_NAME=tls\.example HTTP_UPKEEP_JOURNAL_ID=\Q$id2\E body=b=2$/,
     '... over TLS, to its virtual host');
done_testing();
