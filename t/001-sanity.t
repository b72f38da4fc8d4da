# Basic sanity: the module loads, normal mode is transparent, upkeepctl works.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: normal mode serves the document untouched
--- request
GET /
--- error_code: 200
--- response_body
hello
--- response_headers
!Retry-After
--- no_error_log
[error]

=== TEST 2: upkeepctl status exits 0
--- ctl
status
--- request
GET /
--- error_code: 200
--- no_error_log
[error]

=== TEST 3: in normal mode a CGI sees no UPKEEP_MODE (absent means normal: a healthy site pays no table insert)
--- user_files
>>> cgi-bin/env.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print "Content-Type: text/plain\r\n\r\n";
print "UPKEEP_MODE=", ($ENV{UPKEEP_MODE} // '(unset)'), "\n";
--- request
GET /cgi-bin/env.cgi
--- error_code: 200
--- response_body
UPKEEP_MODE=(unset)
--- no_error_log
[error]
