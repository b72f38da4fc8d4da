# The gate in front of real backends: CGI, mod_proxy, mod_rewrite (server
# and per-directory rules), HTTP/2, authentication and ErrorDocument.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: readonly: a CGI answers GET and sees UPKEEP_MODE=readonly
--- user_files
>>> cgi-bin/env.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "env.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "UPKEEP_MODE=", ($ENV{UPKEEP_MODE} // '(unset)'), "\n";
print "REQUEST_METHOD=$ENV{REQUEST_METHOD}\n";
--- ctl
readonly
--- request
GET /cgi-bin/env.cgi
--- error_code: 200
--- response_body
UPKEEP_MODE=readonly
REQUEST_METHOD=GET
--- error_log
env.cgi ran: GET



=== TEST 2: readonly: a POST to a CGI gets the read-only page and the CGI never runs
--- user_files
>>> cgi-bin/env.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "env.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "UPKEEP_MODE=", ($ENV{UPKEEP_MODE} // '(unset)'), "\n";
print "REQUEST_METHOD=$ENV{REQUEST_METHOD}\n";
--- ctl
readonly
--- request
POST /cgi-bin/env.cgi
a=b
--- error_code: 503
--- response_headers
Retry-After: 60
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
UPKEEP_MODE=
--- error_log
UPK0100: refused POST /cgi-bin/env.cgi: scope 'default' is in readonly mode
--- no_error_log
env.cgi ran



=== TEST 3: maintenance: a GET to a CGI gets the maintenance page and the CGI never runs
--- user_files
>>> cgi-bin/env.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "env.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "UPKEEP_MODE=", ($ENV{UPKEEP_MODE} // '(unset)'), "\n";
print "REQUEST_METHOD=$ENV{REQUEST_METHOD}\n";
--- ctl
maintenance
--- request
GET /cgi-bin/env.cgi
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
UPKEEP_MODE=
--- no_error_log
env.cgi ran



=== TEST 4: maintenance: an exempt CGI runs and sees UPKEEP_MODE=maintenance
--- config
UpkeepExempt /cgi-bin
--- user_files
>>> cgi-bin/env.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "env.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "UPKEEP_MODE=", ($ENV{UPKEEP_MODE} // '(unset)'), "\n";
print "REQUEST_METHOD=$ENV{REQUEST_METHOD}\n";
--- ctl
maintenance
--- request
GET /cgi-bin/env.cgi
--- error_code: 200
--- response_body
UPKEEP_MODE=maintenance
REQUEST_METHOD=GET
--- response_headers
!Retry-After



=== TEST 5: readonly: an exempt CGI takes a POST and sees UPKEEP_MODE=readonly
--- config
UpkeepExempt /cgi-bin
--- user_files
>>> cgi-bin/env.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "env.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "UPKEEP_MODE=", ($ENV{UPKEEP_MODE} // '(unset)'), "\n";
print "REQUEST_METHOD=$ENV{REQUEST_METHOD}\n";
--- ctl
readonly
--- request
POST /cgi-bin/env.cgi
a=b
--- error_code: 200
--- response_body
UPKEEP_MODE=readonly
REQUEST_METHOD=POST
--- error_log
env.cgi ran: POST



=== TEST 6: normal: a CGI takes a POST and sees no UPKEEP_MODE (absent means normal)
--- user_files
>>> cgi-bin/env.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "env.cgi ran: $ENV{REQUEST_METHOD}\n";
print "Content-Type: text/plain\r\n\r\n";
print "UPKEEP_MODE=", ($ENV{UPKEEP_MODE} // '(unset)'), "\n";
print "REQUEST_METHOD=$ENV{REQUEST_METHOD}\n";
--- request
POST /cgi-bin/env.cgi
a=b
--- error_code: 200
--- response_body
UPKEEP_MODE=(unset)
REQUEST_METHOD=POST



=== TEST 7: normal: mod_proxy serves /app/ from the backend
--- config
ProxyPass /app/ http://127.0.0.1:$ServerPort/backend/
<Location /backend>
    Upkeep off
</Location>
--- user_files
>>> backend/index.html
backend page
--- request
GET /app/
--- error_code: 200
--- response_body
backend page
--- no_error_log
[error]



=== TEST 8: maintenance: a proxied /app/ gets the module's 503, not the backend
--- config
ProxyPass /app/ http://127.0.0.1:$ServerPort/backend/
<Location /backend>
    Upkeep off
</Location>
--- user_files
>>> backend/index.html
backend page
--- ctl
maintenance
--- request
GET /app/
--- error_code: 503
--- response_headers
Retry-After: 60
Cache-Control: no-store
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
backend page
--- error_log
UPK0100: refused GET /app/: scope 'default' is in maintenance mode
--- no_error_log
[error]
proxy:error



=== TEST 9: maintenance: the exempt backend location itself is still served
--- config
ProxyPass /app/ http://127.0.0.1:$ServerPort/backend/
<Location /backend>
    Upkeep off
</Location>
--- user_files
>>> backend/index.html
backend page
--- ctl
maintenance
--- request
GET /backend/
--- error_code: 200
--- response_body
backend page



=== TEST 10: readonly: a proxied GET /app/ is served
--- config
ProxyPass /app/ http://127.0.0.1:$ServerPort/backend/
<Location /backend>
    Upkeep off
</Location>
--- user_files
>>> backend/index.html
backend page
--- ctl
readonly
--- request
GET /app/
--- error_code: 200
--- response_body
backend page
--- response_headers
!Retry-After



=== TEST 11: readonly: a proxied POST /app/ gets the read-only 503, never the backend
--- config
ProxyPass /app/ http://127.0.0.1:$ServerPort/backend/
<Location /backend>
    Upkeep off
</Location>
--- user_files
>>> backend/index.html
backend page
--- ctl
readonly
--- request
POST /app/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
backend page
--- error_log
UPK0100: refused POST /app/: scope 'default' is in readonly mode



=== TEST 12: maintenance: a server-context [PT] rewrite to an exempt page is served
--- config
UpkeepExempt /static
RewriteEngine On
RewriteRule ^/old$ /static/x.html [PT]
--- user_files
>>> static/x.html
static x
--- ctl
maintenance
--- request
GET /old
--- error_code: 200
--- response_body
static x



=== TEST 13: maintenance: a server-context [PT] rewrite from an exempt URL to a gated page is refused
--- config
UpkeepExempt /static
RewriteEngine On
RewriteRule ^/static/secret$ /admin/index.html [PT]
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/secret
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 14: normal: a per-directory rewrite in htdocs/static maps /static/go to the admin page
--- config
UpkeepExempt /static
<Directory "$ServRoot/htdocs/static">
    RewriteEngine On
    RewriteRule ^go$ /admin/index.html
    RewriteRule ^go2$ /static/x.html
</Directory>
--- user_files
>>> static/x.html
static x
>>> admin/index.html
ADMIN PAGE
--- request
GET /static/go
--- error_code: 200
--- response_body
ADMIN PAGE



=== TEST 15: maintenance: a per-directory rewrite from exempt /static/go to the gated admin page is refused
--- config
UpkeepExempt /static
<Directory "$ServRoot/htdocs/static">
    RewriteEngine On
    RewriteRule ^go$ /admin/index.html
    RewriteRule ^go2$ /static/x.html
</Directory>
--- user_files
>>> static/x.html
static x
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/go
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE
--- error_log
UPK0100: refused GET /admin/index.html: scope 'default' is in maintenance mode
--- no_error_log
[error]



=== TEST 16: maintenance: a per-directory rewrite from /static/go2 to another exempt page is served
--- config
UpkeepExempt /static
<Directory "$ServRoot/htdocs/static">
    RewriteEngine On
    RewriteRule ^go$ /admin/index.html
    RewriteRule ^go2$ /static/x.html
</Directory>
--- user_files
>>> static/x.html
static x
--- ctl
maintenance
--- request
GET /static/go2
--- error_code: 200
--- response_body
static x



=== TEST 17: maintenance: a per-directory rewrite out of an Upkeep off <Location> is refused
--- config
<Location /static>
    Upkeep off
</Location>
<Directory "$ServRoot/htdocs/static">
    RewriteEngine On
    RewriteRule ^go$ /admin/index.html
</Directory>
--- user_files
>>> static/x.html
static x
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/go
--- error_code: 503
--- response_body_unlike
ADMIN PAGE
--- error_log
UPK0100: refused GET /admin/index.html



=== TEST 18: readonly: a POST rewritten per directory from exempt /static/go to the gated admin page is refused
--- config
UpkeepExempt /static
<Directory "$ServRoot/htdocs/static">
    RewriteEngine On
    RewriteRule ^go$ /admin/index.html
    RewriteRule ^go2$ /static/x.html
</Directory>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/go
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 19: maintenance: a per-directory rewrite in htdocs does not rescue a gated URL
--- config
<Directory "$ServRoot/htdocs">
    RewriteEngine On
    RewriteRule ^go$ admin/index.html
</Directory>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /go
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 20: maintenance: server-context RewriteCond sees %{ENV:UPKEEP_MODE}=maintenance
--- config
UpkeepExempt /static
RewriteEngine On
RewriteCond %{ENV:UPKEEP_MODE} =maintenance
RewriteRule ^/modecheck$ /static/x.html [PT]
--- user_files
>>> static/x.html
static x
--- ctl
maintenance
--- request
GET /modecheck
--- error_code: 200
--- response_body
static x



=== TEST 21: normal: the same RewriteCond does not match, /modecheck is 404
--- config
UpkeepExempt /static
RewriteEngine On
RewriteCond %{ENV:UPKEEP_MODE} =maintenance
RewriteRule ^/modecheck$ /static/x.html [PT]
--- user_files
>>> static/x.html
static x
--- request
GET /modecheck
--- error_code: 404



=== TEST 22: readonly: the same RewriteCond does not match, /modecheck is 404
--- config
UpkeepExempt /static
RewriteEngine On
RewriteCond %{ENV:UPKEEP_MODE} =maintenance
RewriteRule ^/modecheck$ /static/x.html [PT]
--- user_files
>>> static/x.html
static x
--- ctl
readonly
--- request
GET /modecheck
--- error_code: 404



=== TEST 23: maintenance over HTTP/2: 503 with retry-after and the maintenance page
--- ctl
maintenance
--- curl: --http2-prior-knowledge
--- curl_path: /
--- raw_response_like
^HTTP/2 503 
--- error_code: 503
--- response_headers
retry-after: 60
cache-control: no-store
content-type: text/html; charset=utf-8
--- response_body_like
<title>Down for maintenance</title>
--- error_log
UPK0100: refused GET /: scope 'default' is in maintenance mode



=== TEST 25: readonly over HTTP/2: a GET is served
--- ctl
readonly
--- curl: --http2-prior-knowledge
--- curl_path: /
--- raw_response_like
^HTTP/2 200 
--- error_code: 200
--- response_body
hello



=== TEST 26: normal over HTTP/2: 200
--- curl: --http2-prior-knowledge
--- curl_path: /
--- raw_response_like
^HTTP/2 200 
--- error_code: 200
--- response_headers
!retry-after
--- response_body
hello



=== TEST 27: maintenance over HTTP/2: an exempt path is served
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
--- ctl
maintenance
--- curl: --http2-prior-knowledge
--- curl_path: /static/x.html
--- raw_response_like
^HTTP/2 200 
--- error_code: 200
--- response_body
static x



=== TEST 28: normal: /private/ asks for credentials (auth is really on)
--- main_config
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
--- config
<Location /private>
    AuthType Basic
    AuthName x
    AuthUserFile /dev/null
    Require valid-user
</Location>
--- user_files
>>> private/index.html
PRIVATE PAGE
--- request
GET /private/
--- error_code: 401
--- response_headers_like
WWW-Authenticate: ^Basic realm="x"
--- response_body_unlike
PRIVATE PAGE



=== TEST 29: maintenance: /private/ gets 503 before authentication, no 401 challenge
--- main_config
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
--- config
<Location /private>
    AuthType Basic
    AuthName x
    AuthUserFile /dev/null
    Require valid-user
</Location>
--- user_files
>>> private/index.html
PRIVATE PAGE
--- ctl
maintenance
--- request
GET /private/
--- error_code: 503
--- response_headers
!WWW-Authenticate
Retry-After: 60
--- response_body_like
<title>Down for maintenance</title>
--- no_error_log
AH01618
AH01617



=== TEST 30: readonly: a POST to /private/ gets 503, not 401
--- main_config
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
--- config
<Location /private>
    AuthType Basic
    AuthName x
    AuthUserFile /dev/null
    Require valid-user
</Location>
--- ctl
readonly
--- request
POST /private/
a=b
--- more_headers
Authorization: Basic dXNlcjpwYXNz
--- error_code: 503
--- response_headers
!WWW-Authenticate
--- response_body_like
<title>Read-only mode</title>



=== TEST 31: readonly: a GET to /private/ still asks for credentials
--- main_config
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
--- config
<Location /private>
    AuthType Basic
    AuthName x
    AuthUserFile /dev/null
    Require valid-user
</Location>
--- ctl
readonly
--- request
GET /private/
--- error_code: 401
--- response_headers_like
WWW-Authenticate: ^Basic realm="x"



=== TEST 32: maintenance: with ErrorDocument 503 on an exempt page, the module's page still wins
--- config
UpkeepExempt /static
ErrorDocument 503 /static/sorry.html
--- user_files
>>> static/sorry.html
SORRY PAGE
--- ctl
maintenance --reason "disk swap"
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 60
Content-Type: text/html; charset=utf-8
--- response_body_like
<title>Down for maintenance</title>.*<p class="reason">disk swap</p>
--- response_body_unlike
SORRY PAGE
--- no_error_log
[error]
AH00124



=== TEST 33: maintenance: the ErrorDocument page itself is served when asked for directly
--- config
UpkeepExempt /static
ErrorDocument 503 /static/sorry.html
--- user_files
>>> static/sorry.html
SORRY PAGE
--- ctl
maintenance
--- request
GET /static/sorry.html
--- error_code: 200
--- response_body
SORRY PAGE



=== TEST 34: readonly: with ErrorDocument 503, a POST still gets the module's read-only page
--- config
UpkeepExempt /static
ErrorDocument 503 /static/sorry.html
--- user_files
>>> static/sorry.html
SORRY PAGE
--- ctl
readonly
--- request
POST /
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
SORRY PAGE
--- no_error_log
[error]



=== TEST 35: maintenance: an ErrorDocument 503 on a gated page does not loop
--- config
ErrorDocument 503 /admin/sorry.html
--- user_files
>>> admin/sorry.html
ADMIN SORRY
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN SORRY
--- no_error_log
[error]
AH00124



=== TEST 36: normal: ErrorDocument 404 runs the app's not-found handler (the fixture works)
--- config
ErrorDocument 404 /cgi-bin/app.cgi
--- user_files
>>> cgi-bin/app.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app.cgi ran: $ENV{REQUEST_METHOD} $ENV{REDIRECT_STATUS}\n";
print "Content-Type: text/plain\r\n\r\n";
print "APP RAN mode=", ($ENV{UPKEEP_MODE} // "(unset)"), "\n";
--- request
GET /missing
--- error_code: 404
--- response_body
APP RAN mode=(unset)
--- error_log
app.cgi ran: GET 404



=== TEST 37: maintenance: a 404 of httpd's own (encoded slash) does not run the gated ErrorDocument app
--- config
ErrorDocument 404 /cgi-bin/app.cgi
--- user_files
>>> cgi-bin/app.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app.cgi ran: $ENV{REQUEST_METHOD} $ENV{REDIRECT_STATUS}\n";
print "Content-Type: text/plain\r\n\r\n";
print "APP RAN mode=", ($ENV{UPKEEP_MODE} // "(unset)"), "\n";
--- ctl
maintenance
--- request
GET /x%2fy
--- response_body_unlike
APP RAN
--- no_error_log
app.cgi ran



=== TEST 38: maintenance: a 400 of httpd's own (bad escape) does not run the gated ErrorDocument app
--- config
ErrorDocument 400 /cgi-bin/app.cgi
--- user_files
>>> cgi-bin/app.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app.cgi ran: $ENV{REQUEST_METHOD} $ENV{REDIRECT_STATUS}\n";
print "Content-Type: text/plain\r\n\r\n";
print "APP RAN mode=", ($ENV{UPKEEP_MODE} // "(unset)"), "\n";
--- ctl
maintenance
--- request
GET /%zz
--- response_body_unlike
APP RAN
--- no_error_log
app.cgi ran



=== TEST 39: maintenance: a 404 under exempt /static does not run the gated ErrorDocument app
--- config
UpkeepExempt /static
ErrorDocument 404 /cgi-bin/app.cgi
--- user_files
>>> cgi-bin/app.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print STDERR "app.cgi ran: $ENV{REQUEST_METHOD} $ENV{REDIRECT_STATUS}\n";
print "Content-Type: text/plain\r\n\r\n";
print "APP RAN mode=", ($ENV{UPKEEP_MODE} // "(unset)"), "\n";
--- ctl
maintenance
--- request
GET /static/missing.png
--- response_body_unlike
APP RAN
--- no_error_log
app.cgi ran



=== TEST 40: maintenance: a 404 under exempt /static gets its exempt ErrorDocument page
--- config
UpkeepExempt /static
ErrorDocument 404 /static/notfound.html
--- user_files
>>> static/notfound.html
static not found
--- ctl
maintenance
--- request
GET /static/missing.png
--- error_code: 404
--- response_body
static not found
