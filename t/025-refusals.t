# Refusals that fit the client: the body by Accept (HTML page, RFC 9457
# problem details, plain text), UpkeepReadOnlyStatus, UpkeepAllowWrites,
# CORS headers on refusals, and the mode as request headers for apps.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: maintenance, Accept: application/json: problem details with the reason
--- ctl
maintenance --reason "Database upgrade"
--- request
GET /
--- more_headers
Accept: application/json
--- error_code: 503
--- response_headers
Content-Type: application/problem+json
Vary: Accept
Retry-After: 60
Cache-Control: no-store
--- response_body
{"type":"urn:upkeep:maintenance","title":"Down for maintenance","status":503,"detail":"Database upgrade","retry_after":60,"until":null,"mode":"maintenance","scope":"default"}



=== TEST 2: maintenance --for: the problem details carry the end time
--- ctl
maintenance --for 30m --reason "Schema change"
--- request
GET /
--- more_headers
Accept: application/problem+json
--- error_code: 503
--- response_headers_like
Retry-After: 1[78]\d\d
--- response_body_like
^\{"type":"urn:upkeep:maintenance","title":"Down for maintenance","status":503,"detail":"Schema change","retry_after":1[78]\d\d,"until":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","mode":"maintenance","scope":"default"\}$



=== TEST 3: maintenance, Accept: text/plain: a plain-text refusal
--- ctl
maintenance --reason "Back at noon"
--- request
GET /
--- more_headers
Accept: text/plain
--- error_code: 503
--- response_headers
Content-Type: text/plain; charset=utf-8
Vary: Accept
--- response_body
Down for maintenance
Back at noon
Try again in 60 seconds.



=== TEST 4: maintenance, a browser's Accept: the HTML page
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8
--- error_code: 503
--- response_headers
Content-Type: text/html; charset=utf-8
Vary: Accept,Accept-Language
--- response_body_like
<title>Down for maintenance</title>



=== TEST 5: maintenance, Accept: */* (curl, fetch): the HTML page
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: */*
--- error_code: 503
--- response_headers
Content-Type: text/html; charset=utf-8
--- response_body_like
<title>Down for maintenance</title>



=== TEST 6: maintenance, a JSON client that also takes anything (axios): JSON
--- ctl
maintenance
--- request
GET /api/items
--- more_headers
Accept: application/json, text/plain, */*
--- error_code: 503
--- response_headers
Content-Type: application/problem+json
--- response_body_like
^\{"type":"urn:upkeep:maintenance",



=== TEST 7: maintenance, JSON preferred by q: JSON
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: text/html;q=0.5, application/json;q=0.9
--- error_code: 503
--- response_headers
Content-Type: application/problem+json



=== TEST 8: maintenance, HTML preferred by q over JSON: HTML
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: application/json;q=0.2, text/html
--- error_code: 503
--- response_headers
Content-Type: text/html; charset=utf-8



=== TEST 9: maintenance, nothing we offer is acceptable: plain text, not 406
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: image/png
--- error_code: 503
--- response_headers
Content-Type: text/plain; charset=utf-8
--- response_body_like
^Down for maintenance\n



=== TEST 10: maintenance, JSON refused with q=0 and text named: plain text
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: application/json;q=0, text/plain;q=0.5, text/html;q=0
--- error_code: 503
--- response_headers
Content-Type: text/plain; charset=utf-8



=== TEST 10b: maintenance, HTML refused with q=0 beside */*: JSON, not HTML under another name
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: text/html;q=0, */*
--- error_code: 503
--- response_headers
Content-Type: application/problem+json



=== TEST 10c: maintenance, Accept: application/*: JSON
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: application/*
--- error_code: 503
--- response_headers
Content-Type: application/problem+json



=== TEST 10d: maintenance, Accept: application/xhtml+xml alone: plain text (the page is sent only as text/html)
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: application/xhtml+xml
--- error_code: 503
--- response_headers
Content-Type: text/plain; charset=utf-8



=== TEST 11: maintenance, a reason with quotes and a backslash stays valid JSON
--- ctl
maintenance --reason "Moving to \"db2\" \\ back soon"
--- request
GET /
--- more_headers
Accept: application/json
--- error_code: 503
--- response_body_like
"detail":"Moving to \\"db2\\" \\\\ back soon"



=== TEST 12: maintenance, HEAD with a JSON Accept: the JSON type and no body
--- ctl
maintenance
--- request
HEAD /
--- more_headers
Accept: application/json
--- error_code: 503
--- response_headers
Content-Type: application/problem+json
Retry-After: 60
--- response_body eval
""



=== TEST 13: readonly POST with a JSON Accept: read-only problem details
--- ctl
readonly --reason "Upgrading the database"
--- request
POST /
a=b
--- more_headers
Accept: application/json
--- error_code: 503
--- response_headers
Content-Type: application/problem+json
Retry-After: 60
--- response_body
{"type":"urn:upkeep:read-only","title":"Read-only mode: changes are paused","status":503,"detail":"Upgrading the database","retry_after":60,"until":null,"mode":"readonly","scope":"default"}



=== TEST 14: readonly POST as plain text
--- ctl
readonly
--- request
POST /
a=b
--- more_headers
Accept: text/plain
--- error_code: 503
--- response_body
Read-only mode: changes are paused
Changes are paused while we upgrade.
Try again in 60 seconds.



=== TEST 15: UpkeepReadOnlyStatus 405: 405 with Allow listing the safe methods
--- config
UpkeepReadOnlyStatus 405
--- ctl
readonly
--- request
POST /
a=b
--- error_code: 405
--- response_headers
Allow: GET,HEAD,OPTIONS
Retry-After: 60
Content-Type: text/html; charset=utf-8
--- response_body_like
<title>Read-only mode</title>
--- error_log
UPK0100: refused POST /: scope 'default' is in readonly mode (405)



=== TEST 16: UpkeepReadOnlyStatus 405 with UpkeepSafeMethods: Allow is that list
--- config
UpkeepReadOnlyStatus 405
UpkeepSafeMethods GET HEAD PROPFIND
--- ctl
readonly
--- request
DELETE /index.html
--- error_code: 405
--- response_headers
Allow: GET,HEAD,PROPFIND



=== TEST 17: UpkeepReadOnlyStatus 409, JSON: the status is in the problem details
--- config
UpkeepReadOnlyStatus 409
--- ctl
readonly
--- request
PUT /x
data
--- more_headers
Accept: application/json
--- error_code: 409
--- response_headers
Content-Type: application/problem+json
Retry-After: 60
!Allow
--- response_body_like
"status":409,



=== TEST 18: UpkeepReadOnlyStatus 423 in a <Location>
--- config
<Location /api>
    UpkeepReadOnlyStatus 423
</Location>
--- ctl
readonly
--- request
POST /api/x
q=1
--- error_code: 423



=== TEST 18b: UpkeepReadOnlyStatus 423 in a <Location>, 503 outside it
--- config
<Location /api>
    UpkeepReadOnlyStatus 423
</Location>
--- ctl
readonly
--- request
POST /other
q=1
--- error_code: 503



=== TEST 19: UpkeepReadOnlyStatus does not change maintenance refusals
--- config
UpkeepReadOnlyStatus 409
--- ctl
maintenance
--- request
POST /
a=b
--- error_code: 503



=== TEST 20: a read-only 409 keeps the connection open for the next request
--- config
UpkeepReadOnlyStatus 409
--- ctl
readonly
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\na=b"
. "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- raw_response_like
\AHTTP/1.1 409 .*HTTP/1.1 200 OK.*hello



=== TEST 21: UpkeepReadOnlyStatus with another status is a config error
--- must_die
--- config
UpkeepReadOnlyStatus 404
--- startup_error_like
UpkeepReadOnlyStatus: '404' is not one of 503, 405, 409, 423



=== TEST 22a: UpkeepAllowWrites: a log-in form stays open in read-only mode
--- config
UpkeepAllowWrites /cgi-bin/login /cgi-bin/search
--- user_files
>>> cgi-bin/login
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nlogged in ($body) mode=$ENV{UPKEEP_MODE}\n";
>>> cgi-bin/other
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nwrote\n";
--- ctl
readonly
--- request
POST /cgi-bin/login
user=a
--- error_code: 200
--- response_body
logged in (user=a) mode=readonly



=== TEST 22b: UpkeepAllowWrites: other writes are still refused
--- config
UpkeepAllowWrites /cgi-bin/login /cgi-bin/search
--- user_files
>>> cgi-bin/login
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nlogged in ($body) mode=$ENV{UPKEEP_MODE}\n";
>>> cgi-bin/other
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nwrote\n";
--- ctl
readonly
--- request
POST /cgi-bin/other
x=1
--- error_code: 503
--- response_body_like
Read-only mode



=== TEST 22c: UpkeepAllowWrites /login covers /login/...
--- config
UpkeepAllowWrites /login
--- user_files
>>> cgi-bin/login
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nlogged in ($body) mode=$ENV{UPKEEP_MODE}\n";
>>> cgi-bin/other
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nwrote\n";
--- ctl
readonly
--- request
POST /login/form
x=1
--- error_code: 404



=== TEST 22d: UpkeepAllowWrites /login does not cover /loginx
--- config
UpkeepAllowWrites /login
--- user_files
>>> cgi-bin/login
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nlogged in ($body) mode=$ENV{UPKEEP_MODE}\n";
>>> cgi-bin/other
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nwrote\n";
--- ctl
readonly
--- request
POST /loginx
x=1
--- error_code: 503



=== TEST 22e: UpkeepAllowWrites /login does not cover a path that normalises out of it
--- config
UpkeepAllowWrites /login
--- user_files
>>> cgi-bin/login
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nlogged in ($body) mode=$ENV{UPKEEP_MODE}\n";
>>> cgi-bin/other
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nwrote\n";
--- ctl
readonly
--- request
POST /login/%2e%2e/admin
x=1
--- error_code: 503



=== TEST 24: UpkeepAllowWrites passes writes in hold mode without holding them
--- config
UpkeepAllowWrites /cgi-bin/login
--- user_files
>>> cgi-bin/login
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nlogged in mode=$ENV{UPKEEP_MODE}\n";
--- ctl
hold --max 5m
--- request
POST /cgi-bin/login
u=1
--- timeout: 10
--- error_code: 200
--- response_body
logged in mode=hold



=== TEST 25: UpkeepAllowWrites does not open anything in maintenance mode
--- config
UpkeepAllowWrites /cgi-bin/login
--- ctl
maintenance
--- request
POST /cgi-bin/login
u=1
--- error_code: 503



=== TEST 26: UpkeepAllowWrites takes only plain path prefixes
--- must_die
--- config
UpkeepAllowWrites login
--- startup_error_like
UpkeepAllowWrites: 'login' is not a plain URL path prefix



=== TEST 27: CORS: "Header always" on the vhost reaches a maintenance 503
--- config
Header always set Access-Control-Allow-Origin "*"
Header always set Access-Control-Expose-Headers "Retry-After"
--- ctl
maintenance
--- request
GET /api/items
--- more_headers
Origin: https://app.example
Accept: application/json
--- error_code: 503
--- response_headers
Access-Control-Allow-Origin: *
Access-Control-Expose-Headers: Retry-After
Content-Type: application/problem+json
Retry-After: 60



=== TEST 28: CORS: the request's Origin echoed by "Header always" on a read-only refusal
--- config
SetEnvIf Origin "^(https://app\.example)$" CORS_ORIGIN=$1
Header always set Access-Control-Allow-Origin "%{CORS_ORIGIN}e" env=CORS_ORIGIN
Header always merge Vary Origin
--- ctl
readonly
--- request
POST /api/items
{}
--- more_headers
Origin: https://app.example
Content-Type: application/json
Accept: application/json
--- error_code: 503
--- response_headers
Access-Control-Allow-Origin: https://app.example
Vary: Origin,Accept
Content-Type: application/problem+json



=== TEST 29: the app sees Upkeep-Mode and Upkeep-Until as request headers in read-only mode
--- user_files
>>> cgi-bin/hdr.cgi
#!/usr/bin/perl
print "Content-Type: text/plain\r\n\r\n";
print "mode=", ($ENV{HTTP_UPKEEP_MODE} // "none"), " until=", ($ENV{HTTP_UPKEEP_UNTIL} // "none"), "\n";
--- ctl
readonly --for 1h
--- request
GET /cgi-bin/hdr.cgi
--- error_code: 200
--- response_body_like
^mode=readonly until=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$



=== TEST 30: a client cannot spoof Upkeep-Mode or Upkeep-Until in read-only mode
--- user_files
>>> cgi-bin/hdr.cgi
#!/usr/bin/perl
print "Content-Type: text/plain\r\n\r\n";
print "mode=", ($ENV{HTTP_UPKEEP_MODE} // "none"), " until=", ($ENV{HTTP_UPKEEP_UNTIL} // "none"), "\n";
--- ctl
readonly
--- request
GET /cgi-bin/hdr.cgi
--- more_headers
Upkeep-Mode: normal
upkeep-until: 2000-01-01T00:00:00Z
--- error_code: 200
--- response_body
mode=readonly until=none



=== TEST 31: in normal mode the app gets no Upkeep-Mode, even when a client sends one
--- user_files
>>> cgi-bin/hdr.cgi
#!/usr/bin/perl
print "Content-Type: text/plain\r\n\r\n";
print "mode=", ($ENV{HTTP_UPKEEP_MODE} // "none"), " until=", ($ENV{HTTP_UPKEEP_UNTIL} // "none"), " env=$ENV{UPKEEP_MODE}\n";
--- request
GET /cgi-bin/hdr.cgi
--- more_headers
Upkeep-Mode: maintenance
Upkeep-Until: 2030-01-01T00:00:00Z
--- error_code: 200
--- response_body
mode=none until=none env=normal



=== TEST 32: a per-<Location> scope in force replaces the virtual host's mode in the header
--- config
<Location /cgi-bin/>
    UpkeepScope shop
</Location>
--- user_files
>>> cgi-bin/hdr.cgi
#!/usr/bin/perl
print "Content-Type: text/plain\r\n\r\n";
print "mode=", ($ENV{HTTP_UPKEEP_MODE} // "none"), "\n";
--- ctl
readonly --scope shop
--- request
GET /cgi-bin/hdr.cgi
--- error_code: 200
--- response_body
mode=readonly
