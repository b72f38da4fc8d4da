# Exemptions (Upkeep off, UpkeepExempt, UpkeepAllowFrom) and attempts to
# reach a gated path through an exempt one (encodings, dot segments,
# ;parameters, backslashes, case).  The fixtures: /static is exempt,
# /admin/ and /staticx/ are gated and hold a page that must never leak.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: maintenance: <Location /static> with Upkeep off serves /static/x.html
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x
--- response_headers
!Retry-After
--- no_error_log
[error]



=== TEST 2: maintenance: <Location /static> with Upkeep off still refuses the rest of the site
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE
--- error_log
UPK0100: refused GET /admin/: scope 'default' is in maintenance mode



=== TEST 3: maintenance: <LocationMatch> with Upkeep off serves the matching path
--- config
<LocationMatch "^/static/">
    Upkeep off
</LocationMatch>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/sub/y.html
--- error_code: 200
--- response_body
static sub y



=== TEST 4: maintenance: <LocationMatch> with Upkeep off refuses /static/..;/staticx/secret.html
--- config
<LocationMatch "^/static/">
    Upkeep off
</LocationMatch>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/..;/staticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- error_log
UPK0101: 'Upkeep off' not applied



=== TEST 5: maintenance: <Directory htdocs/static> with Upkeep off serves /static/x.html
--- config
<Directory "$ServRoot/htdocs/static">
    Upkeep off
</Directory>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x



=== TEST 6: maintenance: <Directory htdocs/static> with Upkeep off still refuses /admin/
--- config
<Directory "$ServRoot/htdocs/static">
    Upkeep off
</Directory>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 7: maintenance: <Directory htdocs/static> with Upkeep off refuses /static/../admin/
--- config
<Directory "$ServRoot/htdocs/static">
    Upkeep off
</Directory>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/../admin/
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 8: maintenance: <Files health.txt> with Upkeep off serves /status/health.txt
--- config
<Files "health.txt">
    Upkeep off
</Files>
--- user_files
>>> status/health.txt
healthy
--- ctl
maintenance
--- request
GET /status/health.txt
--- error_code: 200
--- response_body
healthy



=== TEST 9: maintenance: <Files health.txt> with Upkeep off still refuses its neighbours
--- config
<Files "health.txt">
    Upkeep off
</Files>
--- user_files
>>> status/other.txt
not for you
--- ctl
maintenance
--- request
GET /status/other.txt
--- error_code: 503
--- response_body_unlike
not for you



=== TEST 10: maintenance: <Files health.txt> with Upkeep off does not exempt /status/health.txt/../other.txt
--- config
<Files "health.txt">
    Upkeep off
</Files>
--- user_files
>>> status/other.txt
not for you
--- ctl
maintenance
--- request
GET /status/health.txt/../other.txt
--- error_code: 503
--- response_body_unlike
not for you



=== TEST 11: maintenance: a <VirtualHost> with Upkeep off serves its site
--- main_config
# first vhost = default for unknown Host headers: gated
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName catchall.test
    DocumentRoot "$ServRoot/htdocs"
</VirtualHost>
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName other.test
    DocumentRoot "$ServRoot/htdocs/other"
    <Directory "$ServRoot/htdocs/other">
        Require all granted
    </Directory>
    Upkeep off
</VirtualHost>
--- user_files
>>> other/index.html
other site
--- ctl
maintenance
--- request
GET /
--- more_headers
Host: other.test
--- error_code: 200
--- response_body
other site
--- no_error_log
[error]



=== TEST 12: maintenance: next to an Upkeep off <VirtualHost>, the localhost site is refused
--- main_config
# first vhost = default for unknown Host headers: gated
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName catchall.test
    DocumentRoot "$ServRoot/htdocs"
</VirtualHost>
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName other.test
    DocumentRoot "$ServRoot/htdocs/other"
    <Directory "$ServRoot/htdocs/other">
        Require all granted
    </Directory>
    Upkeep off
</VirtualHost>
--- ctl
maintenance
--- request
GET /
--- more_headers
Host: localhost
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>



=== TEST 13: maintenance: an unknown Host lands on the first (gated) vhost and is refused
--- main_config
# first vhost = default for unknown Host headers: gated
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName catchall.test
    DocumentRoot "$ServRoot/htdocs"
</VirtualHost>
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName other.test
    DocumentRoot "$ServRoot/htdocs/other"
    <Directory "$ServRoot/htdocs/other">
        Require all granted
    </Directory>
    Upkeep off
</VirtualHost>
--- ctl
maintenance
--- request
GET /
--- more_headers
Host: unknown.test
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>



=== TEST 14: readonly: a <VirtualHost> with Upkeep off runs POSTs
--- main_config
# first vhost = default for unknown Host headers: gated
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName catchall.test
    DocumentRoot "$ServRoot/htdocs"
</VirtualHost>
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName other.test
    DocumentRoot "$ServRoot/htdocs/other"
    <Directory "$ServRoot/htdocs/other">
        Require all granted
    </Directory>
    Upkeep off
</VirtualHost>
--- user_files
>>> other/index.html
other site
--- ctl
readonly
--- request
POST /index.html
a=b
--- more_headers
Host: other.test
--- error_code: 200
--- response_body
other site



=== TEST 15: maintenance: UpkeepExempt /static serves /static/x.html
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x
--- response_headers
!Retry-After
--- no_error_log
[error]



=== TEST 16: maintenance: UpkeepExempt /static covers /static itself (mod_dir redirects it)
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static
--- error_code: 301
--- response_headers_like
Location: /static/$



=== TEST 17: maintenance: UpkeepExempt /static does not cover /staticx/
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /staticx/secret.html
--- error_code: 503
--- response_body_unlike
STATICX SECRET
--- error_log
UPK0100: refused GET /staticx/secret.html



=== TEST 18: maintenance: UpkeepExempt /static does not cover /static.html
--- config
UpkeepExempt /static
--- user_files
>>> static.html
static dot html
--- ctl
maintenance
--- request
GET /static.html
--- error_code: 503
--- response_body_unlike
static dot html



=== TEST 19: maintenance: UpkeepExempt /static/ (trailing slash) covers /static/x.html
--- config
UpkeepExempt /static/
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x



=== TEST 20: maintenance: UpkeepExempt takes several prefixes on one line
--- config
UpkeepExempt /nothing /static /more
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/sub/y.html
--- error_code: 200
--- response_body
static sub y



=== TEST 21: maintenance: exempt prefixes add up: the vhost's /static still holds under <Location />
--- config
UpkeepExempt /static
<Location />
    UpkeepExempt /pub
</Location>
<Location /static/sub>
    UpkeepExempt /elsewhere
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x



=== TEST 22: maintenance: exempt prefixes add up: <Location />'s /pub is exempt
--- config
UpkeepExempt /static
<Location />
    UpkeepExempt /pub
</Location>
<Location /static/sub>
    UpkeepExempt /elsewhere
</Location>
--- user_files
>>> pub/p.html
public p
--- ctl
maintenance
--- request
GET /pub/p.html
--- error_code: 200
--- response_body
public p



=== TEST 23: maintenance: exempt prefixes add up: /static/sub/ keeps the vhost's /static
--- config
UpkeepExempt /static
<Location />
    UpkeepExempt /pub
</Location>
<Location /static/sub>
    UpkeepExempt /elsewhere
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/sub/y.html
--- error_code: 200
--- response_body
static sub y



=== TEST 24: maintenance: exempt prefixes add up, and the rest of the site is still refused
--- config
UpkeepExempt /static
<Location />
    UpkeepExempt /pub
</Location>
<Location /static/sub>
    UpkeepExempt /elsewhere
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 25: readonly: UpkeepExempt /static lets a POST through (the static handler answers it)
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/x.html
a=b
--- error_code: 200
--- response_body
static x
--- response_headers
!Retry-After



=== TEST 26: maintenance: UpkeepAllowFrom 127.0.0.0/8 lets a loopback client in
--- config
UpkeepAllowFrom 127.0.0.0/8
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- error_code: 200
--- response_body
ADMIN PAGE
--- no_error_log
[error]



=== TEST 27: maintenance: UpkeepAllowFrom with a bare IP 127.0.0.1 lets that client in
--- config
UpkeepAllowFrom 127.0.0.1
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- error_code: 200
--- response_body
ADMIN PAGE



=== TEST 28: maintenance: UpkeepAllowFrom 10.0.0.0/8 does not let a loopback client in
--- config
UpkeepAllowFrom 10.0.0.0/8
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 29: maintenance: UpkeepAllowFrom lists add up from the vhost to a <Location>
--- config
UpkeepAllowFrom 10.0.0.0/8
<Location /admin>
    UpkeepAllowFrom 127.0.0.1
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- error_code: 200
--- response_body
ADMIN PAGE



=== TEST 30: maintenance: an UpkeepAllowFrom in <Location /admin> does not open the rest of the site
--- config
UpkeepAllowFrom 10.0.0.0/8
<Location /admin>
    UpkeepAllowFrom 127.0.0.1
</Location>
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_unlike
hello



=== TEST 31: readonly: an UpkeepAllowFrom client may POST
--- config
UpkeepAllowFrom 127.0.0.0/8
--- ctl
readonly
--- request
POST /index.html
a=b
--- error_code: 200
--- response_body
hello



=== TEST 32: maintenance, mod_remoteip: X-Forwarded-For 192.0.2.7 from a trusted proxy is let in
--- main_config
LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
--- config
UpkeepAllowFrom 192.0.2.0/24
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- more_headers
X-Forwarded-For: 192.0.2.7
--- error_code: 200
--- response_body
ADMIN PAGE
--- no_error_log
[error]



=== TEST 33: maintenance, mod_remoteip: X-Forwarded-For 198.51.100.9 is refused
--- main_config
LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
--- config
UpkeepAllowFrom 192.0.2.0/24
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- more_headers
X-Forwarded-For: 198.51.100.9
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 34: maintenance, mod_remoteip: the proxy itself (no X-Forwarded-For) is refused
--- main_config
LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
--- config
UpkeepAllowFrom 192.0.2.0/24
--- ctl
maintenance
--- request
GET /
--- error_code: 503



=== TEST 35: maintenance, mod_remoteip: a spoofed 192.0.2.7 left of the real client is refused
--- main_config
LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
--- config
UpkeepAllowFrom 192.0.2.0/24
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /admin/
--- more_headers
X-Forwarded-For: 192.0.2.7, 198.51.100.9
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 36: readonly, mod_remoteip: X-Forwarded-For 198.51.100.9 cannot POST
--- main_config
LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
--- config
UpkeepAllowFrom 192.0.2.0/24
--- ctl
readonly
--- request
POST /index.html
a=b
--- more_headers
X-Forwarded-For: 198.51.100.9
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>



=== TEST 37: maintenance, <Location /static> Upkeep off: GET /static/../admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/../admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 38: maintenance, <Location /static> Upkeep off: GET /static/%2e%2e/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/%2e%2e/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 39: maintenance, <Location /static> Upkeep off: GET /static/%2E%2E/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/%2E%2E/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 40: maintenance, <Location /static> Upkeep off: GET /static/..%2fadmin/ is refused by httpd itself (404), never served
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..%2fadmin/
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 41: maintenance, <Location /static> Upkeep off: GET /static%2f..%2fadmin/ is refused by httpd itself (404), never served
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static%2f..%2fadmin/
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 42: maintenance, <Location /static> Upkeep off: GET /static/..;/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..;/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 43: maintenance, <Location /static> Upkeep off: GET /static;x/../admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static;x/../admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 44: maintenance, <Location /static> Upkeep off: GET /static/%252e%252e/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/%252e%252e/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 45: maintenance, <Location /static> Upkeep off: GET /static/.%2e/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/.%2e/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 46: maintenance, <Location /static> Upkeep off: GET /static/..%5cadmin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..%5cadmin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 47: maintenance, <Location /static> Upkeep off: GET /static/.././admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/.././admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 48: maintenance, <Location /static> Upkeep off: GET //static/../admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET //static/../admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 49: maintenance, <Location /static> Upkeep off: GET /static/./../admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/./../admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 50: maintenance, <Location /static> Upkeep off: GET /staticx/secret.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /staticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 51: maintenance, <Location /static> Upkeep off: GET /STATIC/x.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /STATIC/x.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 52: maintenance, <Location /static> Upkeep off: GET /static/..;/staticx/secret.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/..;/staticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 53: maintenance, <Location /static> Upkeep off: GET /static/%252e%252e/staticx/secret.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/%252e%252e/staticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 54: maintenance, <Location /static> Upkeep off: GET /static/..%5cstaticx/secret.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/..%5cstaticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 55: maintenance, <Location /static> Upkeep off: GET /static/x.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x



=== TEST 56: maintenance, <Location /static> Upkeep off: GET /static/ stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/
--- error_code: 200
--- response_body
static index



=== TEST 57: maintenance, <Location /static> Upkeep off: GET /static/sub/y.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/sub/y.html
--- error_code: 200
--- response_body
static sub y



=== TEST 58: maintenance, <Location /static> Upkeep off: GET /static//x.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static//x.html
--- error_code: 200
--- response_body
static x



=== TEST 59: maintenance, <Location /static> Upkeep off: GET /static/./x.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/./x.html
--- error_code: 200
--- response_body
static x



=== TEST 60: maintenance, <Location /static> Upkeep off: GET /static/a/../x.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/a/../x.html
--- error_code: 200
--- response_body
static x



=== TEST 61: maintenance, <Location /static> Upkeep off: GET /static/%78.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/%78.html
--- error_code: 200
--- response_body
static x



=== TEST 62: readonly, <Location /static> Upkeep off: POST /static/../admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/../admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 63: readonly, <Location /static> Upkeep off: POST /static/%2e%2e/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/%2e%2e/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 64: readonly, <Location /static> Upkeep off: POST /static/%2E%2E/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/%2E%2E/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 65: readonly, <Location /static> Upkeep off: POST /static/..%2fadmin/ is refused by httpd itself (404), never served
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/..%2fadmin/
a=b
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 66: readonly, <Location /static> Upkeep off: POST /static%2f..%2fadmin/ is refused by httpd itself (404), never served
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static%2f..%2fadmin/
a=b
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 67: readonly, <Location /static> Upkeep off: POST /static/..;/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/..;/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 68: readonly, <Location /static> Upkeep off: POST /static;x/../admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static;x/../admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 69: readonly, <Location /static> Upkeep off: POST /static/%252e%252e/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/%252e%252e/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 70: readonly, <Location /static> Upkeep off: POST /static/.%2e/admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/.%2e/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 71: readonly, <Location /static> Upkeep off: POST /static/..%5cadmin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/..%5cadmin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 72: readonly, <Location /static> Upkeep off: POST /static/.././admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/.././admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 73: readonly, <Location /static> Upkeep off: POST //static/../admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST //static/../admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 74: readonly, <Location /static> Upkeep off: POST /static/./../admin/ is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/./../admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 75: readonly, <Location /static> Upkeep off: POST /staticx/secret.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /staticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 76: readonly, <Location /static> Upkeep off: POST /STATIC/x.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /STATIC/x.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 77: readonly, <Location /static> Upkeep off: POST /static/..;/staticx/secret.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /static/..;/staticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 78: readonly, <Location /static> Upkeep off: POST /static/%252e%252e/staticx/secret.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /static/%252e%252e/staticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 79: readonly, <Location /static> Upkeep off: POST /static/..%5cstaticx/secret.html is refused with 503
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /static/..%5cstaticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 80: readonly, <Location /static> Upkeep off: POST /static/x.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/x.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 81: readonly, <Location /static> Upkeep off: POST /static/ stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/
a=b
--- error_code: 200
--- response_body
static index



=== TEST 82: readonly, <Location /static> Upkeep off: POST /static/sub/y.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/sub/y.html
a=b
--- error_code: 200
--- response_body
static sub y



=== TEST 83: readonly, <Location /static> Upkeep off: POST /static//x.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static//x.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 84: readonly, <Location /static> Upkeep off: POST /static/./x.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/./x.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 85: readonly, <Location /static> Upkeep off: POST /static/a/../x.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/a/../x.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 86: readonly, <Location /static> Upkeep off: POST /static/%78.html stays exempt
--- config
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/%78.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 87: maintenance, UpkeepExempt /static: GET /static/../admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/../admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 88: maintenance, UpkeepExempt /static: GET /static/%2e%2e/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/%2e%2e/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 89: maintenance, UpkeepExempt /static: GET /static/%2E%2E/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/%2E%2E/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 90: maintenance, UpkeepExempt /static: GET /static/..%2fadmin/ is refused by httpd itself (404), never served
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..%2fadmin/
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 91: maintenance, UpkeepExempt /static: GET /static%2f..%2fadmin/ is refused by httpd itself (404), never served
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static%2f..%2fadmin/
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 92: maintenance, UpkeepExempt /static: GET /static/..;/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..;/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 93: maintenance, UpkeepExempt /static: GET /static;x/../admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static;x/../admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 94: maintenance, UpkeepExempt /static: GET /static/%252e%252e/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/%252e%252e/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 95: maintenance, UpkeepExempt /static: GET /static/.%2e/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/.%2e/admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 96: maintenance, UpkeepExempt /static: GET /static/..%5cadmin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..%5cadmin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 97: maintenance, UpkeepExempt /static: GET /static/.././admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/.././admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 98: maintenance, UpkeepExempt /static: GET //static/../admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET //static/../admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 99: maintenance, UpkeepExempt /static: GET /static/./../admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/./../admin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 100: maintenance, UpkeepExempt /static: GET /staticx/secret.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /staticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 101: maintenance, UpkeepExempt /static: GET /STATIC/x.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /STATIC/x.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 102: maintenance, UpkeepExempt /static: GET /static/..;/staticx/secret.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/..;/staticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 103: maintenance, UpkeepExempt /static: GET /static/%252e%252e/staticx/secret.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/%252e%252e/staticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 104: maintenance, UpkeepExempt /static: GET /static/..%5cstaticx/secret.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/..%5cstaticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 105: maintenance, UpkeepExempt /static: GET /static/x.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x



=== TEST 106: maintenance, UpkeepExempt /static: GET /static/ stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/
--- error_code: 200
--- response_body
static index



=== TEST 107: maintenance, UpkeepExempt /static: GET /static/sub/y.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/sub/y.html
--- error_code: 200
--- response_body
static sub y



=== TEST 108: maintenance, UpkeepExempt /static: GET /static//x.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static//x.html
--- error_code: 200
--- response_body
static x



=== TEST 109: maintenance, UpkeepExempt /static: GET /static/./x.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/./x.html
--- error_code: 200
--- response_body
static x



=== TEST 110: maintenance, UpkeepExempt /static: GET /static/a/../x.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/a/../x.html
--- error_code: 200
--- response_body
static x



=== TEST 111: maintenance, UpkeepExempt /static: GET /static/%78.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/%78.html
--- error_code: 200
--- response_body
static x



=== TEST 112: readonly, UpkeepExempt /static: POST /static/../admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/../admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 113: readonly, UpkeepExempt /static: POST /static/%2e%2e/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/%2e%2e/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 114: readonly, UpkeepExempt /static: POST /static/%2E%2E/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/%2E%2E/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 115: readonly, UpkeepExempt /static: POST /static/..%2fadmin/ is refused by httpd itself (404), never served
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/..%2fadmin/
a=b
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 116: readonly, UpkeepExempt /static: POST /static%2f..%2fadmin/ is refused by httpd itself (404), never served
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static%2f..%2fadmin/
a=b
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 117: readonly, UpkeepExempt /static: POST /static/..;/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/..;/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 118: readonly, UpkeepExempt /static: POST /static;x/../admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static;x/../admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 119: readonly, UpkeepExempt /static: POST /static/%252e%252e/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/%252e%252e/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 120: readonly, UpkeepExempt /static: POST /static/.%2e/admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/.%2e/admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 121: readonly, UpkeepExempt /static: POST /static/..%5cadmin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/..%5cadmin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 122: readonly, UpkeepExempt /static: POST /static/.././admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/.././admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 123: readonly, UpkeepExempt /static: POST //static/../admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST //static/../admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 124: readonly, UpkeepExempt /static: POST /static/./../admin/ is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/./../admin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 125: readonly, UpkeepExempt /static: POST /staticx/secret.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /staticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 126: readonly, UpkeepExempt /static: POST /STATIC/x.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /STATIC/x.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 127: readonly, UpkeepExempt /static: POST /static/..;/staticx/secret.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /static/..;/staticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 128: readonly, UpkeepExempt /static: POST /static/%252e%252e/staticx/secret.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /static/%252e%252e/staticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 129: readonly, UpkeepExempt /static: POST /static/..%5cstaticx/secret.html is refused with 503
--- config
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /static/..%5cstaticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 130: readonly, UpkeepExempt /static: POST /static/x.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/x.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 131: readonly, UpkeepExempt /static: POST /static/ stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/
a=b
--- error_code: 200
--- response_body
static index



=== TEST 132: readonly, UpkeepExempt /static: POST /static/sub/y.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/sub/y.html
a=b
--- error_code: 200
--- response_body
static sub y



=== TEST 133: readonly, UpkeepExempt /static: POST /static//x.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static//x.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 134: readonly, UpkeepExempt /static: POST /static/./x.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/./x.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 135: readonly, UpkeepExempt /static: POST /static/a/../x.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/a/../x.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 136: readonly, UpkeepExempt /static: POST /static/%78.html stays exempt
--- config
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
readonly
--- request
POST /static/%78.html
a=b
--- error_code: 200
--- response_body
static x



=== TEST 137: maintenance, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: GET /static/..%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..%2fadmin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 138: maintenance, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: GET /static%2f..%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static%2f..%2fadmin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 139: maintenance, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: GET /static/%2e%2e%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/%2e%2e%2fadmin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 140: maintenance, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: GET /static/..%2fstaticx/secret.html is refused with 503
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/..%2fstaticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 141: maintenance, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: GET /static/x.html stays exempt
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x



=== TEST 142: maintenance, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: GET /static/%78.html stays exempt
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/%78.html
--- error_code: 200
--- response_body
static x



=== TEST 143: readonly, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: POST /static/..%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/..%2fadmin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 144: readonly, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: POST /static%2f..%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static%2f..%2fadmin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 145: readonly, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: POST /static/%2e%2e%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/%2e%2e%2fadmin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 146: readonly, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: POST /static/..%2fstaticx/secret.html is refused with 503
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /static/..%2fstaticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 147: maintenance, UpkeepExempt /static, AllowEncodedSlashes NoDecode: GET /static/..%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..%2fadmin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 148: maintenance, UpkeepExempt /static, AllowEncodedSlashes NoDecode: GET /static%2f..%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static%2f..%2fadmin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 149: maintenance, UpkeepExempt /static, AllowEncodedSlashes NoDecode: GET /static/%2e%2e%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/%2e%2e%2fadmin/
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 150: maintenance, UpkeepExempt /static, AllowEncodedSlashes NoDecode: GET /static/..%2fstaticx/secret.html is refused with 503
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/..%2fstaticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
STATICX SECRET



=== TEST 151: maintenance, UpkeepExempt /static, AllowEncodedSlashes NoDecode: GET /static/x.html stays exempt
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x



=== TEST 152: maintenance, UpkeepExempt /static, AllowEncodedSlashes NoDecode: GET /static/%78.html stays exempt
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
--- ctl
maintenance
--- request
GET /static/%78.html
--- error_code: 200
--- response_body
static x



=== TEST 153: readonly, UpkeepExempt /static, AllowEncodedSlashes NoDecode: POST /static/..%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/..%2fadmin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 154: readonly, UpkeepExempt /static, AllowEncodedSlashes NoDecode: POST /static%2f..%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static%2f..%2fadmin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 155: readonly, UpkeepExempt /static, AllowEncodedSlashes NoDecode: POST /static/%2e%2e%2fadmin/ is refused with 503
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
readonly
--- request
POST /static/%2e%2e%2fadmin/
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
ADMIN PAGE



=== TEST 156: readonly, UpkeepExempt /static, AllowEncodedSlashes NoDecode: POST /static/..%2fstaticx/secret.html is refused with 503
--- config
AllowEncodedSlashes NoDecode
UpkeepExempt /static
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
readonly
--- request
POST /static/..%2fstaticx/secret.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
STATICX SECRET



=== TEST 157: maintenance, <Location /static> Upkeep off proxied to a %2F-decoding backend: /static/x.html is served
--- main_config
# the backend: a name-based vhost that decodes %2F (AllowEncodedSlashes On).
# First vhost, so it answers the proxy's Host: 127.0.0.1:port.
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName backend.test
    DocumentRoot "$ServRoot/htdocs"
    AllowEncodedSlashes On
    Upkeep off
</VirtualHost>
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
ProxyPass /static/ http://127.0.0.1:$ServerPort/files/ nocanon
--- user_files
>>> files/x.html
backend x
--- ctl
maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
backend x



=== TEST 158: maintenance, <Location /static> Upkeep off proxied to a %2F-decoding backend: /static/..%2fadmin/ is refused
--- main_config
# the backend: a name-based vhost that decodes %2F (AllowEncodedSlashes On).
# First vhost, so it answers the proxy's Host: 127.0.0.1:port.
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName backend.test
    DocumentRoot "$ServRoot/htdocs"
    AllowEncodedSlashes On
    Upkeep off
</VirtualHost>
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
ProxyPass /static/ http://127.0.0.1:$ServerPort/files/ nocanon
--- user_files
>>> admin/index.html
ADMIN PAGE
--- ctl
maintenance
--- request
GET /static/..%2fadmin/
--- error_code: 503
--- response_body_unlike
ADMIN PAGE



=== TEST 159: maintenance, <Location /static> Upkeep off proxied to a %2F-decoding backend: /static/..%2fstaticx/secret.html is refused
--- main_config
# the backend: a name-based vhost that decodes %2F (AllowEncodedSlashes On).
# First vhost, so it answers the proxy's Host: 127.0.0.1:port.
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName backend.test
    DocumentRoot "$ServRoot/htdocs"
    AllowEncodedSlashes On
    Upkeep off
</VirtualHost>
--- config
AllowEncodedSlashes NoDecode
<Location /static>
    Upkeep off
</Location>
ProxyPass /static/ http://127.0.0.1:$ServerPort/files/ nocanon
--- user_files
>>> staticx/secret.html
STATICX SECRET
--- ctl
maintenance
--- request
GET /static/..%2fstaticx/secret.html
--- error_code: 503
--- response_body_unlike
STATICX SECRET
--- error_log
UPK0101: 'Upkeep off' not applied



=== TEST 160: a ;parameter cannot step around a nested <Location> that turns the gate back on
--- config
<Location /static>
    Upkeep off
</Location>
<Location /static/private>
    Upkeep on
</Location>
--- user_files
>>> static/private/p.html
PRIVATE
--- ctl
maintenance
--- request
GET /static/private;x/p.html
--- error_code: 503
--- response_body_unlike
PRIVATE
--- error_log
UPK0101: 'Upkeep off' not applied
