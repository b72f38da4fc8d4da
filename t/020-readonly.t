# Read-only mode: reads pass, writes get a clear, retryable refusal.
#
# Written as tables (see "shared sections and tables" in Test::Upkeep):
# the setups are "--- define:" blocks, a block takes one with "--- use:",
# and each row of a "--- rows" table is one request with its own block
# (own state reset, upkeepctl line and checks).  Raw requests (keep-alive,
# Expect: 100-continue, chunked) stay blocks: their CRLFs do not fit a cell.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== SHARED: readonly mode
--- define: readonly
--- ctl
readonly



=== SHARED: a CGI that prints UPKEEP_MODE and the method
--- define: mode_cgi
--- user_files
>>> cgi-bin/mode.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print "Content-Type: text/plain\r\n\r\n";
print "mode=$ENV{UPKEEP_MODE} method=$ENV{REQUEST_METHOD}\n";



=== SHARED: readonly, and a POST with Expect: 100-continue and a 1 MB body it never sends
--- define: expect_100
--- use: readonly
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n"
--- raw_read_timeout: 2



=== TEST 1: readonly: the safe methods (GET, HEAD, OPTIONS) pass, every other method is refused (503), method names are case-sensitive (lowercase get is not GET)
--- use: readonly
--- rows
request                     | error_code | response_body | response_headers | ctl
GET /                       | 200        | hello\n       | !Retry-After     | readonly --reason "Database upgrade"
HEAD /                      | 200
OPTIONS /                   | 200
PUT /new.txt\ndata          | 503        |               | Retry-After: 60
DELETE /index.html          | 503
PATCH /index.html\nx        | 503
# the WebDAV methods PROPPATCH and MKCOL, an unknown extension method
PROPPATCH /index.html\n<x/> | 503
MKCOL /newdir/              | 503
FROBNICATE /                | 503
get /                       | 503



=== TEST 2: readonly refuses POST with 503, Retry-After and no-store
--- ctl
readonly --reason "Database upgrade"
--- request
POST /
a=b
--- error_code: 503
--- response_headers
Retry-After: 60
Cache-Control: no-store
--- response_body_like
<title>Read-only mode</title>.*The site is read-only.*try again in 60 seconds.*<p class="reason">Database upgrade</p>
--- error_log
UPK0100: refused POST /: scope 'default' is in readonly mode



=== TEST 3: normal mode lets POST through to the resource
--- request
POST /index.html
a=b
--- error_code: 200
--- response_body
hello



=== TEST 4: UpkeepSafeMethods replaces the default list (OPTIONS is refused), and lets a listed extension method through (REPORT reaches httpd: 405)
--- use: readonly
--- rows
config                            | request   | error_code
UpkeepSafeMethods GET REPORT      | OPTIONS / | 503
UpkeepSafeMethods GET HEAD REPORT | REPORT /  | 405



=== TEST 5: UpkeepSafeMethods in a Location applies there only
--- use: readonly
--- config
<Location /search>
    UpkeepSafeMethods GET HEAD POST
</Location>
--- user_files
>>> search/index.html
results
--- request
POST /search/index.html
q=1
--- error_code: 200
--- response_body
results



=== TEST 6: Expect: 100-continue gets the 503 at once, without uploading the body
--- use: expect_100
--- raw_response_like
^HTTP/1.1 503 [^\r]*\r\n(?:(?!HTTP/1.1 100)[\s\S])*Retry-After: 60\r\n



=== TEST 7: Expect: 100-continue never gets a 100 Continue when refused
--- use: expect_100
--- raw_response_like
\A(?![\s\S]*100 Continue)



=== TEST 8: keep-alive: a refused POST closes the connection instead of reading its body as a request
--- use: readonly
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nabcdeGET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- raw_read_timeout: 2
--- raw_response_like
\AHTTP/1.1 503 [^\r]*\r\n[\s\S]*Connection: close\r\n(?![\s\S]*HTTP/1.1 )



=== TEST 9: keep-alive: a GET before a refused POST on the same connection is served
--- use: readonly
--- raw_request eval
"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\nPOST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"
--- raw_read_timeout: 2
--- raw_response_like
\AHTTP/1.1 200 OK\r\n[\s\S]*hello\n[\s\S]*HTTP/1.1 503 



=== TEST 10: the next connection after a refused POST is served normally
--- use: readonly
--- request
GET /index.html
--- error_code: 200
--- response_body
hello



=== TEST 11: a chunked POST is refused too
--- use: readonly
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
--- raw_read_timeout: 2
--- raw_response_like
\AHTTP/1.1 503 



=== TEST 12: readonly: a CGI sees UPKEEP_MODE=readonly on a read, and never runs for a refused write
--- use: mode_cgi readonly
--- rows
request                     | error_code | response_body              | response_body_unlike
GET /cgi-bin/mode.cgi       | 200        | mode=readonly method=GET\n |
POST /cgi-bin/mode.cgi\nx=1 | 503        |                            | method=POST
