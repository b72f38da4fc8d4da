# Refusals that fit the client: the body by Accept (HTML page, RFC 9457
# problem details, plain text), UpkeepReadOnlyStatus, UpkeepAllowWrites,
# CORS headers on refusals, and the mode as request headers for apps.
#
# Written as tables (see "shared sections and tables" in Test::Upkeep):
# the setups are "--- define:" blocks, a block takes one with "--- use:",
# and each row of a "--- rows" table is one request with its own block
# (own state reset, upkeepctl line and checks).  A cell's "\n" is a line
# break, so a regex cell spells a newline \x0a.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== SHARED: maintenance mode
--- define: maintenance
--- ctl
maintenance



=== SHARED: readonly mode
--- define: readonly
--- ctl
readonly



=== SHARED: CGIs for UpkeepAllowWrites: /cgi-bin/login (echoes its body and UPKEEP_MODE) and /cgi-bin/other
--- define: writes_cgi
--- user_files
>>> cgi-bin/login
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nlogged in ($body) mode=$ENV{UPKEEP_MODE}\n";
>>> cgi-bin/other
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);
print "Content-Type: text/plain\r\n\r\nwrote\n";



=== SHARED: a CGI that prints the Upkeep-Mode and Upkeep-Until request headers it gets
--- define: hdr_cgi
--- user_files
>>> cgi-bin/hdr.cgi
#!/usr/bin/perl
print "Content-Type: text/plain\r\n\r\n";
print "mode=", ($ENV{HTTP_UPKEEP_MODE} // "none"), " until=", ($ENV{HTTP_UPKEEP_UNTIL} // "none"), "\n";



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



=== TEST 4: maintenance: the refusal's type by Accept (a browser's and */* get the HTML page, a JSON client that also takes anything gets JSON, q decides, nothing acceptable is plain text and not 406, q=0 excludes, the page is sent only as text/html)
--- use: maintenance
--- request: GET /
--- error_code: 503
--- rows
more_headers                                                                                   | response_headers                                          | response_body_like                    | request
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8 | Content-Type: text/html; charset=utf-8\nVary: Accept,Accept-Language | <title>Down for maintenance</title>
Accept: */*                                                                                    | Content-Type: text/html; charset=utf-8                    | <title>Down for maintenance</title>
Accept: application/json, text/plain, */*                                                      | Content-Type: application/problem+json                    | ^\{"type":"urn:upkeep:maintenance",  | GET /api/items
Accept: text/html;q=0.5, application/json;q=0.9                                                | Content-Type: application/problem+json
Accept: application/json;q=0.2, text/html                                                      | Content-Type: text/html; charset=utf-8
Accept: image/png                                                                              | Content-Type: text/plain; charset=utf-8                   | ^Down for maintenance\x0a
Accept: application/json;q=0, text/plain;q=0.5, text/html;q=0                                  | Content-Type: text/plain; charset=utf-8
# HTML refused with q=0 beside */*: JSON, not HTML under another name
Accept: text/html;q=0, */*                                                                     | Content-Type: application/problem+json
Accept: application/*                                                                          | Content-Type: application/problem+json
Accept: application/xhtml+xml                                                                  | Content-Type: text/plain; charset=utf-8



=== TEST 5: maintenance, a reason with quotes and a backslash stays valid JSON
--- ctl
maintenance --reason "Moving to \"db2\" \\ back soon"
--- request
GET /
--- more_headers
Accept: application/json
--- error_code: 503
--- response_body_like
"detail":"Moving to \\"db2\\" \\\\ back soon"



=== TEST 6: maintenance, HEAD with a JSON Accept: the JSON type and no body
--- use: maintenance
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



=== TEST 7: readonly POST with a JSON Accept: read-only problem details
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



=== TEST 8: readonly POST as plain text
--- use: readonly
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



=== TEST 9: UpkeepReadOnlyStatus 405: 405 with Allow listing the safe methods
--- use: readonly
--- config
UpkeepReadOnlyStatus 405
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



=== TEST 10: UpkeepReadOnlyStatus 405 with UpkeepSafeMethods: Allow is that list
--- use: readonly
--- config
UpkeepReadOnlyStatus 405
UpkeepSafeMethods GET HEAD PROPFIND
--- request
DELETE /index.html
--- error_code: 405
--- response_headers
Allow: GET,HEAD,PROPFIND



=== TEST 11: UpkeepReadOnlyStatus 409, JSON: the status is in the problem details
--- use: readonly
--- config
UpkeepReadOnlyStatus 409
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



=== TEST 12: UpkeepReadOnlyStatus 423 in a <Location>: 423 there, 503 outside it
--- use: readonly
--- config
<Location /api>
    UpkeepReadOnlyStatus 423
</Location>
--- rows
request            | error_code
POST /api/x\nq=1   | 423
POST /other\nq=1   | 503



=== TEST 13: UpkeepReadOnlyStatus does not change maintenance refusals
--- use: maintenance
--- config
UpkeepReadOnlyStatus 409
--- request
POST /
a=b
--- error_code: 503



=== TEST 14: a read-only 409 keeps the connection open for the next request
--- use: readonly
--- config
UpkeepReadOnlyStatus 409
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\na=b"
. "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- raw_response_like
\AHTTP/1.1 409 .*HTTP/1.1 200 OK.*hello



=== TEST 15: config errors: UpkeepReadOnlyStatus with another status, UpkeepAllowWrites with anything but a plain path prefix
--- must_die
--- rows
config                   | startup_error_like
UpkeepReadOnlyStatus 404 | UpkeepReadOnlyStatus: '404' is not one of 503, 405, 409, 423
UpkeepAllowWrites login  | UpkeepAllowWrites: 'login' is not a plain URL path prefix



=== TEST 16: readonly, UpkeepAllowWrites: a log-in form stays open, other writes are still refused; /login covers /login/... but not /loginx, nor a path that normalises out of it
--- use: writes_cgi readonly
--- rows
request                       | config                                           | error_code | response_body                       | response_body_like
POST /cgi-bin/login\nuser=a   | UpkeepAllowWrites /cgi-bin/login /cgi-bin/search | 200        | logged in (user=a) mode=readonly\n
POST /cgi-bin/other\nx=1      | UpkeepAllowWrites /cgi-bin/login /cgi-bin/search | 503        |                                     | Read-only mode
POST /login/form\nx=1         | UpkeepAllowWrites /login                         | 404
POST /loginx\nx=1             | UpkeepAllowWrites /login                         | 503
POST /login/%2e%2e/admin\nx=1 | UpkeepAllowWrites /login                         | 503



=== TEST 17: UpkeepAllowWrites passes writes in hold mode without holding them
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



=== TEST 18: UpkeepAllowWrites does not open anything in maintenance mode
--- use: maintenance
--- config
UpkeepAllowWrites /cgi-bin/login
--- request
POST /cgi-bin/login
u=1
--- error_code: 503



=== TEST 19: CORS: "Header always" on the vhost reaches a maintenance 503
--- use: maintenance
--- config
Header always set Access-Control-Allow-Origin "*"
Header always set Access-Control-Expose-Headers "Retry-After"
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



=== TEST 20: CORS: the request's Origin echoed by "Header always" on a read-only refusal
--- use: readonly
--- config
SetEnvIf Origin "^(https://app\.example)$" CORS_ORIGIN=$1
Header always set Access-Control-Allow-Origin "%{CORS_ORIGIN}e" env=CORS_ORIGIN
Header always merge Vary Origin
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



=== TEST 21: readonly: the app sees Upkeep-Mode and Upkeep-Until as request headers, and a client cannot spoof them
--- use: hdr_cgi
--- request: GET /cgi-bin/hdr.cgi
--- error_code: 200
--- rows
ctl                | more_headers                                           | response_body              | response_body_like
readonly --for 1h  |                                                        |                            | ^mode=readonly until=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$
readonly           | Upkeep-Mode: normal\nupkeep-until: 2000-01-01T00:00:00Z | mode=readonly until=none\n



=== TEST 22: in normal mode the app gets no Upkeep-Mode, even when a client sends one
--- user_files
>>> cgi-bin/hdr.cgi
#!/usr/bin/perl
print "Content-Type: text/plain\r\n\r\n";
print "mode=", ($ENV{HTTP_UPKEEP_MODE} // "none"), " until=", ($ENV{HTTP_UPKEEP_UNTIL} // "none"), " env=", ($ENV{UPKEEP_MODE} // "none"), "\n";
--- request
GET /cgi-bin/hdr.cgi
--- more_headers
Upkeep-Mode: maintenance
Upkeep-Until: 2030-01-01T00:00:00Z
--- error_code: 200
--- response_body
mode=none until=none env=none



=== TEST 23: a per-<Location> scope in force replaces the virtual host's mode in the header
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
