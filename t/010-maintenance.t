# Maintenance mode: the page, its headers, and what it never does.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: maintenance serves 503 with Retry-After and no-store
--- ctl
maintenance --reason "Upgrading the database"
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 60
Cache-Control: no-store
Content-Type: text/html; charset=utf-8
--- response_body_like
<title>Down for maintenance</title>.*<p class="reason">Upgrading the database</p>.*try again in (?:<[^>]+>)?60 seconds
--- error_log
UPK0100: refused GET /: scope 'default' is in maintenance mode
--- no_error_log
[error]



=== TEST 2: a flip back to normal serves the site again, no restart
--- ctl
maintenance
normal
--- request
GET /
--- error_code: 200
--- response_body
hello



=== TEST 3: without a reason the page says maintenance is in progress
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
<p class="reason">Scheduled maintenance is in progress.</p>



=== TEST 4: HEAD gets the 503 headers and no body
--- ctl
maintenance --reason "db"
--- request
HEAD /
--- error_code: 503
--- response_headers
Retry-After: 60
Cache-Control: no-store
--- response_body:



=== TEST 5: every method is refused in maintenance, writes included
--- ctl
maintenance
--- request
POST /
a=b
--- error_code: 503
--- response_body_like
Down for maintenance



=== TEST 6: the reason is HTML-escaped, script tag and quotes included
--- ctl
maintenance --reason "<script>alert(1)</script> \"quoted\" it's & more"
--- request
GET /
--- error_code: 503
--- response_body_like
<p class="reason">&lt;script&gt;alert\(1\)&lt;/script&gt; &quot;quoted&quot; it&#39;s &amp; more</p>
--- response_body_unlike
<script>alert



=== TEST 7: --retry-after sets Retry-After; the page reloads (and counts down) at most every 60 s
--- ctl
maintenance --retry-after 300
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 300
--- response_body_like
content="60".*try again in (?:<[^>]+>)?60 seconds



=== TEST 8: UpkeepRetryAfter is the default Retry-After
--- config
UpkeepRetryAfter 2m
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 120



=== TEST 9: with --for, Retry-After counts down to the end of the window
--- config
UpkeepRetryAfter 2m
--- ctl
maintenance --for 10m --retry-after 5
--- request
GET /
--- error_code: 503
--- response_headers_like
Retry-After: ^(59\d|600)$



=== TEST 10: UpkeepPage serves the admin's template with every placeholder filled
--- user_files
>>> conf/page.html
<html><body>
<h1>{{mode}} of {{scope}}</h1>
<p>{{reason}}</p>
<p>back in {{retry_after}}s, at {{until}} ({{until_http}}), since {{since}}</p>
<script>var x = {{}} ;</script>
</body></html>
--- config
UpkeepPage conf/page.html
--- ctl
maintenance --reason "<b>db</b> 'x'" --for 1h
--- request
GET /
--- error_code: 503
--- response_body_like
<h1>maintenance of default</h1>\s*<p>&lt;b&gt;db&lt;/b&gt; &#39;x&#39;</p>\s*<p>back in 3[56]\d\ds, at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\w\w\w, \d\d \w\w\w 20\d\d \d\d:\d\d:\d\d GMT\), since 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ</p>\s*<script>var x = \{\{\}\} ;</script>



=== TEST 11: a template that starts with a slash is a page, not a redirect
--- user_files
>>> conf/slash.html
/ maintenance: {{reason}}
--- config
UpkeepPage conf/slash.html
--- ctl
maintenance --reason "soon"
--- request
GET /
--- error_code: 503
--- response_headers
!Location
--- response_body_like
^\s*/ maintenance: soon



=== TEST 12: UpkeepPage is loaded at startup: editing the file changes nothing until a restart
--- user_files
>>> conf/page2.html
version one {{reason}}
--- config
UpkeepPage conf/page2.html
--- ctl
maintenance --reason "r"
--- request
GET /
--- error_code: 503
--- response_body_like
version one r



=== TEST 13: ErrorDocument 503 does not loop and the module's page wins
--- user_files
>>> sorry.html
sorry page
--- config
ErrorDocument 503 /sorry.html
--- ctl
maintenance --reason "loop check"
--- request
GET /
--- error_code: 503
--- response_body_like
loop check
--- no_error_log
[error]



=== TEST 14: a refusal comes before authentication: no 401 prompt in maintenance
--- main_config
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
--- config
<Location /private>
    AuthType Basic
    AuthName "staff"
    AuthUserFile /dev/null
    Require valid-user
</Location>
--- ctl
maintenance
--- request
GET /private/
--- error_code: 503
--- response_headers
!WWW-Authenticate



=== TEST 15: Upkeep off still logs nothing and serves normally in maintenance
--- config
Upkeep off
--- ctl
maintenance
--- request
GET /
--- error_code: 200
--- response_body
hello
--- no_error_log
UPK0100



=== TEST 16: the parent logs the transition once, at notice level
--- ctl
maintenance --reason "notice check"
--- wait: 1.5
--- request
GET /
--- error_code: 503
--- error_log eval
[qr/\[upkeep:notice\].*UPK0010: scope 'default' is now in maintenance mode \(version \d+, set by [^)]+\): notice check/]
