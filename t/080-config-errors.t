# Configuration errors: every bad directive makes apache2 refuse to start
# with a message naming the directive (and the file/line for templates).
use lib 't/lib';
use Test::Upkeep;

run_tests();
__DATA__

=== TEST 1: the module loads with a plain configuration
--- request
GET /
--- error_code: 200
--- response_body
hello



=== TEST 2: UpkeepScope with a slash refuses to start, naming the directive
--- must_die
--- config
UpkeepScope bad/name
--- startup_error_like
UpkeepScope: scope name 'bad/name' may only contain letters, digits, '_', '-' and '\.'



=== TEST 3: UpkeepScope starting with a dot refuses to start
--- must_die
--- config
<Location /x>
    UpkeepScope .hidden
</Location>
--- startup_error_like
UpkeepScope: scope name '\.hidden' starts with '\.'



=== TEST 4: UpkeepScope of 64 bytes refuses to start
--- must_die
--- config
UpkeepScope ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss
--- startup_error_like
UpkeepScope: scope name 's{64}' is longer than 63 bytes



=== TEST 5: UpkeepScope with two names refuses to start
--- must_die
--- config
UpkeepScope one two
--- startup_error_like
UpkeepScope takes one argument



=== TEST 6: a 64th scope besides default refuses to start, naming the limit
--- must_die
--- config eval
CORE::join '', map { "<Location /s$_>\n    UpkeepScope s$_\n</Location>\n" } 1 .. 64
--- startup_error_like
UpkeepScope: cannot add scope 's64': at most 64 scopes are supported



=== TEST 7: UpkeepExempt with a relative path refuses to start
--- must_die
--- config
UpkeepExempt static
--- startup_error_like
UpkeepExempt: 'static' is not a plain URL path prefix \(it must start with '/' and hold no '%', ';', '\?' or '#'\)



=== TEST 8: UpkeepExempt with a percent-escape refuses to start
--- must_die
--- config
UpkeepExempt /ok /a%2fb
--- startup_error_like
UpkeepExempt: '/a%2fb' is not a plain URL path prefix



=== TEST 9: UpkeepExempt with a path parameter refuses to start
--- must_die
--- config
<Location /x>
    UpkeepExempt /x;jsessionid
</Location>
--- startup_error_like
UpkeepExempt: '/x;jsessionid' is not a plain URL path prefix



=== TEST 10: UpkeepExempt with a query refuses to start
--- must_die
--- config
UpkeepExempt /search?q
--- startup_error_like
UpkeepExempt: '/search\?q' is not a plain URL path prefix



=== TEST 11: UpkeepExempt with a fragment refuses to start
--- must_die
--- config
UpkeepExempt /page#top
--- startup_error_like
UpkeepExempt: '/page#top' is not a plain URL path prefix



=== TEST 12: UpkeepAllowFrom 300.1.1.1 refuses to start
--- must_die
--- config
UpkeepAllowFrom 127.0.0.1 300.1.1.1
--- startup_error_like
UpkeepAllowFrom: '300\.1\.1\.1' is not an IP address or CIDR block: 



=== TEST 13: UpkeepAllowFrom 10.0.0.0/99 refuses to start
--- must_die
--- config
UpkeepAllowFrom 10.0.0.0/99
--- startup_error_like
UpkeepAllowFrom: '10\.0\.0\.0/99' is not an IP address or CIDR block: 



=== TEST 14: UpkeepAllowFrom with an IPv6 prefix over 128 refuses to start
--- must_die
--- config
UpkeepAllowFrom 2001:db8::/129
--- startup_error_like
UpkeepAllowFrom: '2001:db8::/129' is not an IP address or CIDR block: 



=== TEST 15: UpkeepAllowFrom with a host name refuses to start
--- must_die
--- config
UpkeepAllowFrom localhost
--- startup_error_like
UpkeepAllowFrom: 'localhost' is not a whole IPv4 or IPv6 address



=== TEST 16: UpkeepSafeMethods "GE T" refuses to start
--- must_die
--- config
UpkeepSafeMethods GET "GE T"
--- startup_error_like
UpkeepSafeMethods: 'GE T' is not an HTTP method name



=== TEST 17: UpkeepSafeMethods "GET," refuses to start
--- must_die
--- config
<Directory "$ServRoot/htdocs">
    UpkeepSafeMethods GET, HEAD
</Directory>
--- startup_error_like
UpkeepSafeMethods: 'GET,' is not an HTTP method name



=== TEST 18: UpkeepSafeMethods "" refuses to start
--- must_die
--- config
UpkeepSafeMethods ""
--- startup_error_like
UpkeepSafeMethods (requires at least one argument|: '' is not an HTTP method name)



=== TEST 19: UpkeepRetryAfter 0 refuses to start
--- must_die
--- config
UpkeepRetryAfter 0
--- startup_error_like
UpkeepRetryAfter: '0' must be between 1s and 1d



=== TEST 20: UpkeepRetryAfter abc refuses to start
--- must_die
--- config
UpkeepRetryAfter abc
--- startup_error_like
UpkeepRetryAfter: 'abc' is not a duration



=== TEST 21: UpkeepRetryAfter 2d refuses to start
--- must_die
--- config
UpkeepRetryAfter 2d
--- startup_error_like
UpkeepRetryAfter: '2d' must be between 1s and 1d



=== TEST 22: UpkeepRetryAfter 500ms refuses to start
--- must_die
--- config
UpkeepRetryAfter 500ms
--- startup_error_like
UpkeepRetryAfter: '500ms' must be between 1s and 1d



=== TEST 23: UpkeepRetryAfter -5 refuses to start
--- must_die
--- config
UpkeepRetryAfter -5
--- startup_error_like
UpkeepRetryAfter: '-5' is not a duration



=== TEST 24: UpkeepRetryAfter 1h30m refuses to start
--- must_die
--- config
UpkeepRetryAfter 1h30m
--- startup_error_like
UpkeepRetryAfter: '1h30m' has an unknown unit



=== TEST 25: UpkeepPage with a missing file refuses to start, naming the file
--- must_die
--- config
UpkeepPage $ServRoot/conf/missing.html
--- startup_error_like
UpkeepPage: cannot read \S+/conf/missing\.html: No such file



=== TEST 26: UpkeepPage with a relative path is read from ServerRoot
--- must_die
--- config
UpkeepPage conf/nothere.html
--- startup_error_like
UpkeepPage: cannot read /\S+/t/servroot[^/]*/conf/nothere\.html



=== TEST 27: UpkeepPage with an unknown placeholder names the file and the line
--- must_die
--- user_files
>>> conf/bad.html
<html><body>
<p>{{reason}} {{ not a placeholder }} {{x-y}}</p>
<p>back in {{retry_after}} s, {{foo}}</p>
</body></html>
--- config
UpkeepPage $ServRoot/conf/bad.html
--- startup_error_like
UpkeepPage: /\S+/conf/bad\.html line 3: unknown placeholder \{\{foo\}\} \(known: reason, retry_after, until, until_http, since, scope, mode, refresh, starts, starts_http, lang, dir, site\)



=== TEST 28: UpkeepPage placeholders are case-sensitive
--- must_die
--- user_files
>>> conf/case.html
{{Reason}}
--- config
UpkeepPage $ServRoot/conf/case.html
--- startup_error_like
UpkeepPage: /\S+/conf/case\.html line 1: unknown placeholder \{\{Reason\}\}



=== TEST 29: a valid UpkeepPage starts fine
--- user_files
>>> conf/good.html
<p>{{reason}} {{ literal }}</p>
--- config
UpkeepPage $ServRoot/conf/good.html
--- ctl
maintenance --reason fine
--- request
GET /
--- error_code: 503
--- response_body
<p>fine {{ literal }}</p>



=== TEST 30: UpkeepStateDir inside <VirtualHost> refuses to start
--- must_die
--- config
UpkeepStateDir $ServRoot/state2
--- startup_error_like
UpkeepStateDir cannot occur within <VirtualHost> section



=== TEST 31: UpkeepStateDir inside <Directory> refuses to start
--- must_die
--- config
<Directory "$ServRoot/htdocs">
    UpkeepStateDir $ServRoot/state2
</Directory>
--- startup_error_like
UpkeepStateDir not allowed (here|in <Directory> context)



=== TEST 32: UpkeepControlGroup with an unknown group refuses to start
--- must_die
--- main_config
UpkeepControlGroup nosuchgroup-h3
--- startup_error_like
UpkeepControlGroup: unknown group 'nosuchgroup-h3'



=== TEST 33: UpkeepControlGroup inside <VirtualHost> refuses to start
--- must_die
--- config
UpkeepControlGroup www-data
--- startup_error_like
UpkeepControlGroup cannot occur within <VirtualHost> section



=== TEST 34: Upkeep maybe refuses to start
--- must_die
--- config
Upkeep maybe
--- startup_error_like
Upkeep must be On or Off



=== TEST 35: Upkeep without an argument refuses to start
--- must_die
--- config
<Location /x>
    Upkeep
</Location>
--- startup_error_like
Upkeep must be On or Off|Upkeep takes one argument



=== TEST 36: an UpkeepStateDir that cannot be created refuses to start, naming it
--- must_die
--- main_config
UpkeepStateDir $ServRoot/htdocs/index.html/state
--- startup_error_like
UPK0001: cannot create UpkeepStateDir /\S+/htdocs/index\.html/state



=== TEST 37: after the refused starts, a plain configuration starts and serves 200
--- request
GET /
--- error_code: 200
--- response_body
hello



=== TEST 38: 63 scopes besides default start fine
--- clean_state
--- config eval
CORE::join '', map { "<Location /s$_>\n    UpkeepScope s$_\n</Location>\n" } 1 .. 63
--- ctl
--scope s63 maintenance
--- request
GET /s63/
--- error_code: 503



=== TEST 39: a new scope whose slot the 63 scopes no longer configured hold: the live file is rebuilt without them, httpd starts (t/064 checks the log lines)
--- config
UpkeepScope extra
--- ctl
--scope extra readonly
--- request
POST /
a=1
--- error_code: 503
--- no_error_log
UPK0004



=== TEST 40: removing the state directory (httpd stopped) reclaims the slots
--- clean_state
--- request
GET /
--- error_code: 200



=== TEST 41: then the new scope starts fine
--- config
UpkeepScope extra
--- ctl
--scope extra readonly
--- request
POST /
a=1
--- error_code: 503



=== TEST 90: UpkeepAllowFrom refuses a partial address that APR would widen
--- must_die
--- config
UpkeepAllowFrom 127
--- startup_error_like
UpkeepAllowFrom: '127' is not a whole IPv4 or IPv6 address



=== TEST 91: UpkeepAllowFrom refuses a dotted netmask
--- must_die
--- config
UpkeepAllowFrom 10.0.0.0/0.0.0.0
--- startup_error_like
UpkeepAllowFrom: '10.0.0.0/0.0.0.0' has a mask that is not a prefix length



=== TEST 92: UpkeepAllowFrom refuses /0, which would exempt every client
--- must_die
--- config
UpkeepAllowFrom 192.0.2.0/0
--- startup_error_like
UpkeepAllowFrom: '192.0.2.0/0' would exempt every client



=== TEST 93: a state file with CRLF line ends is named as such
--- must_die
--- keep_state
--- user_files eval
">>> state/default.state\n# x\r\nformat 1\r\n"
--- startup_error_like
UPK0005: .*default\.state line 1 ends in a carriage return



=== TEST 93a: a state file cut short (no newline after its last line) is named as such
--- must_die
--- keep_state
--- user_files eval
">>> state/default.state\nformat 1\nmode maintenance\nversion 3\nsince 1700000000\nstarts 17"
--- startup_error_like
UPK0005: .*default\.state is truncated \(its last line has no newline\)



=== TEST 93b: UpkeepAnnounce with a bad duration
--- must_die
--- config
UpkeepAnnounce soon
--- startup_error_like
UpkeepAnnounce: 'soon' is not a duration



=== TEST 93c: UpkeepAnnounce beyond 30 days
--- must_die
--- config
UpkeepAnnounce 31d
--- startup_error_like
UpkeepAnnounce: '31d' must be off or between 1s and 30d



=== TEST 94: the server starts again after the refused configurations
--- request
GET /
--- error_code: 200



=== TEST 95: UpkeepPage on a FIFO refuses to start at once, naming it (never waits for a writer)
--- must_die
--- user_files
>>> conf/fifo.html (fifo)
--- config
UpkeepPage $ServRoot/conf/fifo.html
--- startup_error_like
UpkeepPage: /\S+/conf/fifo\.html is a FIFO, not a regular file



=== TEST 96: UpkeepPage on a device refuses to start (/dev/zero is not an empty page)
--- must_die
--- config
UpkeepPage /dev/zero
--- startup_error_like
UpkeepPage: /dev/zero is a character device, not a regular file



=== TEST 97: UpkeepPage on a symbolic link refuses to start, naming the link
--- must_die
--- user_files
>>> conf/real-page.html
<p>{{reason}}</p>
>>> conf/link-page.html -> real-page.html
--- config
UpkeepPage $ServRoot/conf/link-page.html
--- startup_error_like
UpkeepPage: /\S+/conf/link-page\.html is a symbolic link, not a regular file \(links are not followed\)



=== TEST 98: UpkeepPage on a directory refuses to start
--- must_die
--- config
UpkeepPage $ServRoot/conf
--- startup_error_like
UpkeepPage: /\S+/conf is a directory, not a regular file



=== TEST 99: UpkeepPage through a linked directory starts fine (only the file itself must not be a link)
--- user_files
>>> conf/pages-real/page.html
<p>linked dir: {{reason}}</p>
>>> conf/pages -> pages-real
--- config
UpkeepPage $ServRoot/conf/pages/page.html
--- ctl
maintenance --reason fine
--- request
GET /
--- error_code: 503
--- response_body
<p>linked dir: fine</p>



=== TEST 100: UpkeepBanner naming a symbolic link refuses to start, without the text hint
--- must_die
--- user_files
>>> conf/real-banner.html
<div>{{reason}}</div>
>>> conf/link-banner.html -> real-banner.html
--- config
UpkeepBanner conf/link-banner.html
--- startup_error_like
UpkeepBanner: /\S+/conf/link-banner\.html is a symbolic link, not a regular file \(links are not followed\)$



=== TEST 101: UpkeepBypassSecret on a symbolic link refuses to start
--- must_die
--- user_files
>>> conf/real.secret
0123456789abcdef0123456789abcdef
>>> conf/link.secret -> real.secret
--- config
UpkeepBypassSecret conf/link.secret
--- startup_error_like
UpkeepBypassSecret: /\S+/conf/link\.secret is a symbolic link, not a regular file \(links are not followed\)



=== TEST 102: UpkeepBypassSecret on a FIFO refuses to start at once
--- must_die
--- user_files
>>> conf/fifo.secret (fifo)
--- config
UpkeepBypassSecret conf/fifo.secret
--- startup_error_like
UpkeepBypassSecret: /\S+/conf/fifo\.secret is a FIFO, not a regular file



=== TEST 103: UpkeepSecretFile on a symbolic link refuses to start
--- must_die
--- user_files
>>> conf/real.secret
0123456789abcdef0123456789abcdef
>>> conf/cluster-link.secret -> real.secret
--- main_config
UpkeepSecretFile conf/cluster-link.secret
--- startup_error_like
UpkeepSecretFile: 'conf/cluster-link\.secret' /\S+/conf/cluster-link\.secret is a symbolic link, not a regular file \(links are not followed\)



=== TEST 104: UpkeepSecretFile on a device refuses to start
--- must_die
--- main_config
UpkeepSecretFile /dev/urandom
--- startup_error_like
UpkeepSecretFile: '/dev/urandom' /dev/urandom is a character device, not a regular file



=== TEST 105: UpkeepExempt / refuses to start, pointing at Upkeep Off
--- must_die
--- config
UpkeepExempt /static /
--- startup_error_like
UpkeepExempt: '/' would exempt every path; to turn the gate off here, say 'Upkeep Off'



=== TEST 106: UpkeepExempt / inside a <Location> refuses to start too
--- must_die
--- config
<Location /app>
    UpkeepExempt /
</Location>
--- startup_error_like
UpkeepExempt: '/' would exempt every path



=== TEST 107: UpkeepAllowWrites / refuses to start
--- must_die
--- config
UpkeepAllowWrites /
--- startup_error_like
UpkeepAllowWrites: '/' would let every write through in readonly and hold modes; list the paths that must stay writable



=== TEST 108: UpkeepExempt of a prefix with a trailing slash still works (only '/' itself is refused)
--- config
UpkeepExempt /static/
--- user_files
>>> static/a.txt
static
--- ctl
maintenance
--- request
GET /static/a.txt
--- error_code: 200
--- response_body
static



=== TEST 109: the server starts again after the refused configurations
--- request
GET /
--- error_code: 200
