# Read-only mode: reads pass, writes get a clear, retryable refusal.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: readonly still serves GET
--- ctl
readonly --reason "Database upgrade"
--- request
GET /
--- error_code: 200
--- response_body
hello
--- response_headers
!Retry-After



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



=== TEST 3: readonly passes HEAD
--- ctl
readonly
--- request
HEAD /
--- error_code: 200



=== TEST 4: readonly passes OPTIONS
--- ctl
readonly
--- request
OPTIONS /
--- error_code: 200



=== TEST 5: readonly refuses PUT
--- ctl
readonly
--- request
PUT /new.txt
data
--- error_code: 503
--- response_headers
Retry-After: 60



=== TEST 6: readonly refuses DELETE
--- ctl
readonly
--- request
DELETE /index.html
--- error_code: 503



=== TEST 7: readonly refuses PATCH
--- ctl
readonly
--- request
PATCH /index.html
x
--- error_code: 503



=== TEST 8: readonly refuses the WebDAV method PROPPATCH
--- ctl
readonly
--- request
PROPPATCH /index.html
<x/>
--- error_code: 503



=== TEST 9: readonly refuses the WebDAV method MKCOL
--- ctl
readonly
--- request
MKCOL /newdir/
--- error_code: 503



=== TEST 10: readonly refuses an unknown extension method
--- ctl
readonly
--- request
FROBNICATE /
--- error_code: 503



=== TEST 11: method names are case-sensitive: lowercase get is not GET
--- ctl
readonly
--- request
get /
--- error_code: 503



=== TEST 12: normal mode lets POST through to the resource
--- request
POST /index.html
a=b
--- error_code: 200
--- response_body
hello



=== TEST 13: UpkeepSafeMethods replaces the default list
--- config
UpkeepSafeMethods GET REPORT
--- ctl
readonly
--- request
OPTIONS /
--- error_code: 503



=== TEST 14: UpkeepSafeMethods lets a listed extension method through
--- config
UpkeepSafeMethods GET HEAD REPORT
--- ctl
readonly
--- request
REPORT /
--- error_code: 405



=== TEST 15: UpkeepSafeMethods in a Location applies there only
--- config
<Location /search>
    UpkeepSafeMethods GET HEAD POST
</Location>
--- user_files
>>> search/index.html
results
--- ctl
readonly
--- request
POST /search/index.html
q=1
--- error_code: 200
--- response_body
results



=== TEST 16: Expect: 100-continue gets the 503 at once, without uploading the body
--- ctl
readonly
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n"
--- raw_read_timeout: 2
--- raw_response_like
^HTTP/1.1 503 [^\r]*\r\n(?:(?!HTTP/1.1 100)[\s\S])*Retry-After: 60\r\n



=== TEST 17: Expect: 100-continue never gets a 100 Continue when refused
--- ctl
readonly
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n"
--- raw_read_timeout: 2
--- raw_response_like
\A(?![\s\S]*100 Continue)



=== TEST 18: keep-alive: a refused POST closes the connection instead of reading its body as a request
--- ctl
readonly
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nabcdeGET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
--- raw_read_timeout: 2
--- raw_response_like
\AHTTP/1.1 503 [^\r]*\r\n[\s\S]*Connection: close\r\n(?![\s\S]*HTTP/1.1 )



=== TEST 19: keep-alive: a GET before a refused POST on the same connection is served
--- ctl
readonly
--- raw_request eval
"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\nPOST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"
--- raw_read_timeout: 2
--- raw_response_like
\AHTTP/1.1 200 OK\r\n[\s\S]*hello\n[\s\S]*HTTP/1.1 503 



=== TEST 20: the next connection after a refused POST is served normally
--- ctl
readonly
--- request
GET /index.html
--- error_code: 200
--- response_body
hello



=== TEST 21: a chunked POST is refused too
--- ctl
readonly
--- raw_request eval
"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
--- raw_read_timeout: 2
--- raw_response_like
\AHTTP/1.1 503 



=== TEST 22: CGI sees UPKEEP_MODE=readonly on a read
--- user_files
>>> cgi-bin/mode.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print "Content-Type: text/plain\r\n\r\n";
print "mode=$ENV{UPKEEP_MODE} method=$ENV{REQUEST_METHOD}\n";
--- ctl
readonly
--- request
GET /cgi-bin/mode.cgi
--- error_code: 200
--- response_body
mode=readonly method=GET



=== TEST 23: the CGI never runs for a refused write
--- user_files
>>> cgi-bin/mode.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print "Content-Type: text/plain\r\n\r\n";
print "mode=$ENV{UPKEEP_MODE} method=$ENV{REQUEST_METHOD}\n";
--- ctl
readonly
--- request
POST /cgi-bin/mode.cgi
x=1
--- error_code: 503
--- response_body_unlike
method=POST
