# The gate holds on every route httpd takes to a backend (issue 11): the
# target httpd finally runs is judged, not only the URI the client sent.
# FallbackResource and DirectoryIndex (mod_dir sub-request + fast redirect),
# PATH_INFO under a <LocationMatch> exemption, ErrorDocument targets, TRACE
# (answered by core in map_to_storage), WebSocket upgrades and CONNECT
# (mod_proxy_connect too), mod_rewrite, Action/AddHandler, MultiViews, SSI,
# a local Location: from an exempt CGI, mod_cache's quick handler, and an
# exempt file named with a literal '%'.  /static is exempt and
# /cgi-bin/app is the application: it logs "app ran: METHOD" to its stderr
# (the error log), so every block shows whether it ran.  The "normal:"
# blocks prove each route does reach the app, so a refusal cannot pass for
# a misconfigured route.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: normal: FallbackResource hands POST /static/nonexistent to the app
--- config
UpkeepExempt /static
FallbackResource /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/x.css
body { color: red }
--- request
POST /static/nonexistent?action=delete
a=b
--- error_code: 200
--- response_body_like
^app ran: POST
--- error_log
app ran: POST



=== TEST 2: readonly: POST /static/nonexistent is refused, FallbackResource does not run the app
--- config
UpkeepExempt /static
FallbackResource /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- request
POST /static/nonexistent?action=delete
a=b
--- error_code: 503
--- response_headers
Retry-After: 60
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 3: maintenance: GET /static/nonexistent gets the maintenance page, FallbackResource does not run the app
--- config
UpkeepExempt /static
FallbackResource /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
GET /static/nonexistent
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 4: maintenance: POST /static/nonexistent gets the maintenance page, FallbackResource does not run the app
--- config
UpkeepExempt /static
FallbackResource /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
POST /static/nonexistent?action=delete
a=b
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 5: maintenance: with FallbackResource, a real exempt file is still served
--- config
UpkeepExempt /static
FallbackResource /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/x.css
body { color: red }
--- ctl
maintenance
--- request
GET /static/x.css
--- error_code: 200
--- response_body
body { color: red }
--- response_headers
!Retry-After
--- no_error_log
app ran



=== TEST 6: normal: DirectoryIndex hands POST /static/noindex/ to the app
--- config
UpkeepExempt /static
DirectoryIndex index.html /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/noindex/other.txt
not an index
>>> static/withindex/index.html
the static index
--- request
POST /static/noindex/
a=b
--- error_code: 200
--- response_body_like
^app ran: POST
--- error_log
app ran: POST



=== TEST 7: maintenance: POST to an exempt directory without index.html is refused, DirectoryIndex does not run the app
--- config
UpkeepExempt /static
DirectoryIndex index.html /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/noindex/other.txt
not an index
--- ctl
maintenance
--- request
POST /static/noindex/
a=b
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 8: maintenance: GET of an exempt directory without index.html is refused, DirectoryIndex does not run the app
--- config
UpkeepExempt /static
DirectoryIndex index.html /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/noindex/other.txt
not an index
--- ctl
maintenance
--- request
GET /static/noindex/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 9: readonly: POST to an exempt directory without index.html is refused, DirectoryIndex does not run the app
--- config
UpkeepExempt /static
DirectoryIndex index.html /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/noindex/other.txt
not an index
--- ctl
readonly
--- request
POST /static/noindex/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 10: maintenance: an exempt directory with its index.html is still served
--- config
UpkeepExempt /static
DirectoryIndex index.html /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/withindex/index.html
the static index
--- ctl
maintenance
--- request
GET /static/withindex/
--- error_code: 200
--- response_body
the static index
--- no_error_log
app ran



=== TEST 11: normal: GET /cgi-bin/app/x.css runs the app with PATH_INFO=/x.css
--- config
<LocationMatch "\.(css|js|png)$">
    Upkeep Off
</LocationMatch>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/a.css
a { color: blue }
--- request
GET /cgi-bin/app/x.css
--- error_code: 200
--- response_body
app ran: GET PATH_INFO=/x.css
--- error_log
app ran: GET



=== TEST 12: maintenance: POST /cgi-bin/app/x.css is refused although the URI matches an Upkeep Off <LocationMatch>
--- config
<LocationMatch "\.(css|js|png)$">
    Upkeep Off
</LocationMatch>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
POST /cgi-bin/app/x.css
a=b
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 13: maintenance: GET /cgi-bin/app/x.css is refused although the URI matches an Upkeep Off <LocationMatch>
--- config
<LocationMatch "\.(css|js|png)$">
    Upkeep Off
</LocationMatch>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
GET /cgi-bin/app/x.css
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 14: readonly: POST /cgi-bin/app/x.css is refused although the URI matches an Upkeep Off <LocationMatch>
--- config
<LocationMatch "\.(css|js|png)$">
    Upkeep Off
</LocationMatch>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- request
POST /cgi-bin/app/x.css
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 15: maintenance: a real file matching the Upkeep Off <LocationMatch> is still served
--- config
<LocationMatch "\.(css|js|png)$">
    Upkeep Off
</LocationMatch>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/a.css
a { color: blue }
--- ctl
maintenance
--- request
GET /static/a.css
--- error_code: 200
--- response_body
a { color: blue }
--- no_error_log
app ran



=== TEST 16: normal: the app serves as ErrorDocument (a HEAD of a missing page runs it)
--- config
UpkeepExempt /static
ErrorDocument 503 /cgi-bin/app
ErrorDocument 404 /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- request
HEAD /missing
--- error_code: 404
--- response_headers
Content-Type: text/plain
--- error_log
app ran:



=== TEST 17: maintenance: HEAD gets 503 and the ErrorDocument 503 app is not run
--- config
UpkeepExempt /static
ErrorDocument 503 /cgi-bin/app
ErrorDocument 404 /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
HEAD /
--- error_code: 503
--- response_headers
Retry-After: 60
--- no_error_log
app ran



=== TEST 18: maintenance: OPTIONS gets 503 and the ErrorDocument 503 app is not run
--- config
UpkeepExempt /static
ErrorDocument 503 /cgi-bin/app
ErrorDocument 404 /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
OPTIONS /
--- error_code: 503
--- response_headers
Retry-After: 60
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 19: maintenance: GET gets the module's page, not the ErrorDocument 503 app
--- config
UpkeepExempt /static
ErrorDocument 503 /cgi-bin/app
ErrorDocument 404 /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 20: readonly: a refused POST gets the module's page, not the ErrorDocument 503 app
--- config
UpkeepExempt /static
ErrorDocument 503 /cgi-bin/app
ErrorDocument 404 /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- request
POST /
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 21: maintenance: a missing exempt file's ErrorDocument 404 does not run the app
--- config
UpkeepExempt /static
ErrorDocument 503 /cgi-bin/app
ErrorDocument 404 /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
GET /static/missing.css
--- error_code: 404
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 22: normal: TRACE is answered (TraceEnable is on by default)
--- config
<Location /open>
    Upkeep Off
</Location>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- request
TRACE /cgi-bin/app
--- error_code: 200
--- response_headers
Content-Type: message/http
--- response_body_like
^TRACE /cgi-bin/app HTTP/1.1
--- no_error_log
app ran



=== TEST 23: maintenance: TRACE gets the maintenance refusal
--- config
<Location /open>
    Upkeep Off
</Location>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
TRACE /cgi-bin/app
--- error_code: 503
--- response_headers
Retry-After: 60
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
TRACE /cgi-bin/app
--- no_error_log
app ran



=== TEST 24: readonly: TRACE is not a safe method and gets the read-only refusal
--- config
<Location /open>
    Upkeep Off
</Location>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- request
TRACE /cgi-bin/app
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
TRACE /cgi-bin/app
--- no_error_log
app ran



=== TEST 25: maintenance: TRACE under an Upkeep Off <Location> is answered
--- config
<Location /open>
    Upkeep Off
</Location>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
TRACE /open/
--- error_code: 200
--- response_headers
Content-Type: message/http
--- response_body_like
^TRACE /open/ HTTP/1.1
--- no_error_log
app ran



=== TEST 25a: maintenance: TRACE * (no path) is never answered with 200 (httpd itself refuses it with 400)
--- ctl
maintenance
--- raw_request eval
"TRACE * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- raw_response_like
\AHTTP/1.1 (?:400|503) 



=== TEST 25b: maintenance: OPTIONS * gets the maintenance refusal (core answers it before the gate)
--- ctl
maintenance
--- raw_request eval
"OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- raw_response_like
\AHTTP/1.1 503 .*Retry-After: 60



=== TEST 25c: readonly: OPTIONS * is a safe method and is answered
--- ctl
readonly
--- raw_request eval
"OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- raw_response_like
\AHTTP/1.1 200 



=== TEST 26: normal: a WebSocket upgrade through ProxyPass reaches the app
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- request
GET /ws/app
--- more_headers
Connection: Upgrade
Upgrade: websocket
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13
--- timeout: 1
--- error_code: 200
--- response_body_like
^app ran: GET
--- error_log
app ran: GET



=== TEST 27: readonly: a WebSocket upgrade through ProxyPass is refused like a write
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- request
GET /ws/app
--- more_headers
Connection: Upgrade
Upgrade: websocket
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13
--- timeout: 1
--- error_code: 503
--- response_headers
Retry-After: 60
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 28: hold: a WebSocket upgrade through ProxyPass is refused like a write
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
hold --max 300ms
--- request
GET /ws/app
--- more_headers
Connection: Upgrade
Upgrade: websocket
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13
--- timeout: 2
--- error_code: 503
--- response_headers_like
Retry-After: ^\d+$
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 29: maintenance: a WebSocket upgrade through ProxyPass gets the maintenance page
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
GET /ws/app
--- more_headers
Connection: Upgrade
Upgrade: websocket
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13
--- timeout: 1
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 30: readonly: UpkeepAllowWrites /live lets a WebSocket upgrade through
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- request
GET /live/app
--- more_headers
Connection: Upgrade
Upgrade: websocket
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13
--- timeout: 1
--- error_code: 200
--- response_body_like
^app ran: GET
--- error_log
app ran: GET



=== TEST 31: maintenance: a WebSocket upgrade to an exempt path still passes
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- request
GET /back/app
--- more_headers
Connection: Upgrade
Upgrade: websocket
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13
--- timeout: 1
--- error_code: 200
--- response_body_like
^app ran: GET
--- error_log
app ran: GET



=== TEST 32: readonly: a WebSocket upgrade straight to the CGI is refused like a write
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- request
GET /cgi-bin/app
--- more_headers
Connection: Upgrade
Upgrade: websocket
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13
--- timeout: 1
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 33: readonly: a GET with Upgrade: h2c is not a write, the app answers it (over HTTP/2 where mod_http2 runs)
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- curl: --http2
--- curl_path: /cgi-bin/app
--- raw_response_like
^(?:HTTP/1\.1 101 [^\r\n]*\r\n.*\r\nHTTP/2 200|HTTP/1\.1 200) .*app ran: GET
--- error_log
app ran: GET



=== TEST 34: readonly: CONNECT to this server gets the read-only refusal
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- raw_request eval
"CONNECT 127.0.0.1:" . Test::Upkeep::port() . " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- no_error_log
app ran



=== TEST 35: readonly: CONNECT naming a path is rejected before any handler
--- config
UpkeepExempt /static /back
UpkeepAllowWrites /live
ScriptAlias /back/ "$ServRoot/cgi-bin/"
ProxyPass /ws/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
ProxyPass /live/ http://127.0.0.1:$ServerPort/back/ upgrade=websocket
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- request
CONNECT /cgi-bin/app
--- error_code: 400
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 36: normal: CONNECT opens a tunnel (mod_proxy_connect) and a request through it reaches the app
--- main_config
LoadModule proxy_connect_module /usr/lib/apache2/modules/mod_proxy_connect.so
--- config
ProxyRequests On
AllowCONNECT $ServerPort
<Proxy "*">
    Require ip 127.0.0.1
</Proxy>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- raw_request eval
["CONNECT 127.0.0.1:" . Test::Upkeep::port() . " HTTP/1.1\r\nHost: 127.0.0.1:" . Test::Upkeep::port() . "\r\n\r\n",
 "GET /cgi-bin/app HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]
--- raw_read_timeout: 2
--- error_code: 200
--- raw_response_like
^HTTP/1\.[01] 200 Connection [Ee]stablished\r\n.*\r\n\r\nHTTP/1\.1 200 OK\r\n.*app ran: GET
--- error_log
app ran: GET



=== TEST 37: readonly: CONNECT (mod_proxy_connect) gets the read-only refusal, no tunnel reaches the app
--- main_config
LoadModule proxy_connect_module /usr/lib/apache2/modules/mod_proxy_connect.so
--- config
ProxyRequests On
AllowCONNECT $ServerPort
<Proxy "*">
    Require ip 127.0.0.1
</Proxy>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
readonly
--- raw_request eval
["CONNECT 127.0.0.1:" . Test::Upkeep::port() . " HTTP/1.1\r\nHost: 127.0.0.1:" . Test::Upkeep::port() . "\r\n\r\n",
 "GET /cgi-bin/app HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]
--- raw_read_timeout: 2
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 38: maintenance: CONNECT (mod_proxy_connect) gets the maintenance refusal, no tunnel reaches the app
--- main_config
LoadModule proxy_connect_module /usr/lib/apache2/modules/mod_proxy_connect.so
--- config
ProxyRequests On
AllowCONNECT $ServerPort
<Proxy "*">
    Require ip 127.0.0.1
</Proxy>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
--- ctl
maintenance
--- raw_request eval
["CONNECT 127.0.0.1:" . Test::Upkeep::port() . " HTTP/1.1\r\nHost: 127.0.0.1:" . Test::Upkeep::port() . "\r\n\r\n",
 "GET /cgi-bin/app HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]
--- raw_read_timeout: 2
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 39: normal: a server-context [PT] rewrite hands POST /static/go to the app
--- config
UpkeepExempt /static
RewriteEngine On
RewriteRule ^/static/go$ /cgi-bin/app [PT]
<Directory "$ServRoot/htdocs/static/pd">
    RewriteEngine On
    RewriteRule ^go$ /cgi-bin/app
</Directory>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/pd/keep.txt
keep
--- request
POST /static/go
a=b
--- error_code: 200
--- response_body_like
^app ran: POST
--- error_log
app ran: POST



=== TEST 40: readonly: POST /static/go is refused, the [PT] rewrite does not run the app
--- config
UpkeepExempt /static
RewriteEngine On
RewriteRule ^/static/go$ /cgi-bin/app [PT]
<Directory "$ServRoot/htdocs/static/pd">
    RewriteEngine On
    RewriteRule ^go$ /cgi-bin/app
</Directory>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/pd/keep.txt
keep
--- ctl
readonly
--- request
POST /static/go
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 41: maintenance: GET /static/go gets the maintenance page, the [PT] rewrite does not run the app
--- config
UpkeepExempt /static
RewriteEngine On
RewriteRule ^/static/go$ /cgi-bin/app [PT]
<Directory "$ServRoot/htdocs/static/pd">
    RewriteEngine On
    RewriteRule ^go$ /cgi-bin/app
</Directory>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/pd/keep.txt
keep
--- ctl
maintenance
--- request
GET /static/go
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 42: normal: a per-directory rewrite in an exempt directory hands POST /static/pd/go to the app
--- config
UpkeepExempt /static
RewriteEngine On
RewriteRule ^/static/go$ /cgi-bin/app [PT]
<Directory "$ServRoot/htdocs/static/pd">
    RewriteEngine On
    RewriteRule ^go$ /cgi-bin/app
</Directory>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/pd/keep.txt
keep
--- request
POST /static/pd/go
a=b
--- error_code: 200
--- response_body_like
^app ran: POST
--- error_log
app ran: POST



=== TEST 43: readonly: POST /static/pd/go is refused, the per-directory rewrite does not run the app
--- config
UpkeepExempt /static
RewriteEngine On
RewriteRule ^/static/go$ /cgi-bin/app [PT]
<Directory "$ServRoot/htdocs/static/pd">
    RewriteEngine On
    RewriteRule ^go$ /cgi-bin/app
</Directory>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/pd/keep.txt
keep
--- ctl
readonly
--- request
POST /static/pd/go
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 44: normal: Action/AddHandler hands POST /static/x.app to the app
--- main_config
LoadModule actions_module /usr/lib/apache2/modules/mod_actions.so
--- config
UpkeepExempt /static
AddHandler app-script .app
Action app-script /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/x.app
handled by the app
--- request
POST /static/x.app
a=b
--- error_code: 200
--- response_body
app ran: POST PATH_INFO=/static/x.app
--- error_log
app ran: POST



=== TEST 45: readonly: POST /static/x.app is refused, the Action handler does not run the app
--- main_config
LoadModule actions_module /usr/lib/apache2/modules/mod_actions.so
--- config
UpkeepExempt /static
AddHandler app-script .app
Action app-script /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/x.app
handled by the app
--- ctl
readonly
--- request
POST /static/x.app
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 46: maintenance: GET /static/x.app gets the maintenance page, the Action handler does not run the app
--- main_config
LoadModule actions_module /usr/lib/apache2/modules/mod_actions.so
--- config
UpkeepExempt /static
AddHandler app-script .app
Action app-script /cgi-bin/app
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/x.app
handled by the app
--- ctl
maintenance
--- request
GET /static/x.app
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 47: normal: MultiViews hands POST /static/mv/page (an exempt path) to page.cgi (not exempt)
--- main_config
LoadModule negotiation_module /usr/lib/apache2/modules/mod_negotiation.so
--- config
UpkeepExempt /static/mv/page
Alias /static/mv/ "$ServRoot/cgi-bin/mv/"
<Directory "$ServRoot/cgi-bin/mv">
    Options +MultiViews
    MultiViewsMatch Handlers
    AddHandler cgi-script .cgi
</Directory>
--- user_files
>>> cgi-bin/mv/page.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "page.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "page.cgi ran: $ENV{REQUEST_METHOD}\n";
--- request
POST /static/mv/page
a=b
--- error_code: 200
--- response_body
page.cgi ran: POST
--- error_log
page.cgi ran: POST



=== TEST 48: readonly: POST /static/mv/page is refused, MultiViews does not run page.cgi
--- main_config
LoadModule negotiation_module /usr/lib/apache2/modules/mod_negotiation.so
--- config
UpkeepExempt /static/mv/page
Alias /static/mv/ "$ServRoot/cgi-bin/mv/"
<Directory "$ServRoot/cgi-bin/mv">
    Options +MultiViews
    MultiViewsMatch Handlers
    AddHandler cgi-script .cgi
</Directory>
--- user_files
>>> cgi-bin/mv/page.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "page.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "page.cgi ran: $ENV{REQUEST_METHOD}\n";
--- ctl
readonly
--- request
POST /static/mv/page
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
page.cgi ran
--- no_error_log
page.cgi ran



=== TEST 49: maintenance: GET /static/mv/page gets the maintenance page, MultiViews does not run page.cgi
--- main_config
LoadModule negotiation_module /usr/lib/apache2/modules/mod_negotiation.so
--- config
UpkeepExempt /static/mv/page
Alias /static/mv/ "$ServRoot/cgi-bin/mv/"
<Directory "$ServRoot/cgi-bin/mv">
    Options +MultiViews
    MultiViewsMatch Handlers
    AddHandler cgi-script .cgi
</Directory>
--- user_files
>>> cgi-bin/mv/page.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "page.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "page.cgi ran: $ENV{REQUEST_METHOD}\n";
--- ctl
maintenance
--- request
GET /static/mv/page
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
page.cgi ran
--- no_error_log
page.cgi ran



=== TEST 50: normal: an exempt SSI page includes the app's output
--- main_config
LoadModule include_module /usr/lib/apache2/modules/mod_include.so
--- config
UpkeepExempt /static
<Directory "$ServRoot/htdocs/static">
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Directory>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/page.shtml
before <!--#include virtual="/cgi-bin/app" --> after
--- request
GET /static/page.shtml
--- error_code: 200
--- response_body_like
^before app ran: GET .* after
--- error_log
app ran: GET



=== TEST 51: maintenance: an exempt SSI page's include virtual does not run the app
--- main_config
LoadModule include_module /usr/lib/apache2/modules/mod_include.so
--- config
UpkeepExempt /static
<Directory "$ServRoot/htdocs/static">
    Options +Includes
    AddOutputFilter INCLUDES .shtml
</Directory>
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/page.shtml
before <!--#include virtual="/cgi-bin/app" --> after
--- ctl
maintenance
--- request
GET /static/page.shtml
--- response_body_unlike
app ran
--- no_error_log
app ran



=== TEST 52: normal: an exempt CGI's local Location: header runs the app (internal redirect)
--- config
UpkeepExempt /static /open-cgi
ScriptAlias /open-cgi/ "$ServRoot/cgi-bin/"
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> cgi-bin/redir
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "redir ran: $ENV{REQUEST_METHOD}\n";
print "Location: /cgi-bin/app\r\n\r\n";
--- request
GET /open-cgi/redir
--- error_code: 200
--- response_body_like
^app ran: GET
--- error_log
redir ran: GET
app ran: GET



=== TEST 53: maintenance: an exempt CGI's local Location: header does not run the app
--- config
UpkeepExempt /static /open-cgi
ScriptAlias /open-cgi/ "$ServRoot/cgi-bin/"
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> cgi-bin/redir
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "redir ran: $ENV{REQUEST_METHOD}\n";
print "Location: /cgi-bin/app\r\n\r\n";
--- ctl
maintenance
--- request
GET /open-cgi/redir
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
app ran
--- error_log
redir ran: GET
--- no_error_log
app ran



=== TEST 54: normal: a page is served and stored by mod_cache (CacheQuickHandler on)
--- main_config
LoadModule cache_module /usr/lib/apache2/modules/mod_cache.so
LoadModule cache_socache_module /usr/lib/apache2/modules/mod_cache_socache.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
CacheSocache shmcb
--- config
CacheEnable socache /cached
CacheHeader on
<Location /cached>
    Header set Cache-Control max-age=600
</Location>
--- user_files
>>> cached/page.txt
cached page
--- request
GET /cached/page.txt
--- error_code: 200
--- response_body
cached page
--- response_headers_like
X-Cache: ^MISS



=== TEST 55: normal: the next GET of the page is answered from mod_cache
--- main_config
LoadModule cache_module /usr/lib/apache2/modules/mod_cache.so
LoadModule cache_socache_module /usr/lib/apache2/modules/mod_cache_socache.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
CacheSocache shmcb
--- config
CacheEnable socache /cached
CacheHeader on
<Location /cached>
    Header set Cache-Control max-age=600
</Location>
--- user_files
>>> cached/page.txt
cached page
--- request
GET /cached/page.txt
--- error_code: 200
--- response_body
cached page
--- response_headers_like
X-Cache: ^HIT



=== TEST 56: maintenance: a page held by mod_cache gets the maintenance page, not the cached copy
--- main_config
LoadModule cache_module /usr/lib/apache2/modules/mod_cache.so
LoadModule cache_socache_module /usr/lib/apache2/modules/mod_cache_socache.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
CacheSocache shmcb
--- config
CacheEnable socache /cached
CacheHeader on
<Location /cached>
    Header set Cache-Control max-age=600
</Location>
--- user_files
>>> cached/page.txt
cached page
--- ctl
maintenance
--- request
GET /cached/page.txt
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
cached page
--- response_headers
!X-Cache



=== TEST 57: normal: the exempt file 50%off.txt is served as /static/50%25off.txt
--- config
UpkeepExempt /static
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/50%off.txt
half price
--- request
GET /static/50%25off.txt
--- error_code: 200
--- response_body
half price



=== TEST 58: maintenance: the exempt file 50%off.txt is still served
--- config
UpkeepExempt /static
--- user_files
>>> cgi-bin/app
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "app ran: $ENV{REQUEST_METHOD} PATH_INFO=", ($ENV{PATH_INFO} // ''), "\n";
>>> static/50%off.txt
half price
--- ctl
maintenance
--- request
GET /static/50%25off.txt
--- error_code: 200
--- response_body
half price
--- response_headers
!Retry-After
--- no_error_log
app ran
