# Exemptions (Upkeep off, UpkeepExempt, UpkeepAllowFrom) and attempts to
# reach a gated path through an exempt one (encodings, dot segments,
# ;parameters, backslashes, case).  The fixtures: /static is exempt,
# /admin/ and /staticx/ are gated and hold a page that must never leak.
#
# Written as tables (see "shared sections and tables" in Test::Upkeep):
# the setups are "--- define:" blocks, a block takes one with "--- use:",
# and each row of a "--- rows" table is one request with its own block
# (own state reset, upkeepctl line and checks).
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== SHARED: every fixture page (written by every block that uses a setup)
--- define: files
--- user_files
>>> static/x.html
static x
>>> static/index.html
static index
>>> static/sub/y.html
static sub y
>>> static/private/p.html
PRIVATE
>>> static.html
static dot html
>>> staticx/secret.html
STATICX SECRET
>>> admin/index.html
ADMIN PAGE
>>> pub/p.html
public p
>>> status/health.txt
healthy
>>> status/other.txt
not for you
>>> other/index.html
other site
>>> files/x.html
backend x



=== SHARED: <Location /static> with Upkeep off
--- define: location_off
--- use: files
--- config
<Location /static>
    Upkeep off
</Location>



=== SHARED: <LocationMatch "^/static/"> with Upkeep off
--- define: locationmatch_off
--- use: files
--- config
<LocationMatch "^/static/">
    Upkeep off
</LocationMatch>



=== SHARED: <Directory htdocs/static> with Upkeep off
--- define: directory_off
--- use: files
--- config
<Directory "$ServRoot/htdocs/static">
    Upkeep off
</Directory>



=== SHARED: <Files health.txt> with Upkeep off
--- define: files_off
--- use: files
--- config
<Files "health.txt">
    Upkeep off
</Files>



=== SHARED: a <VirtualHost> other.test with Upkeep off beside a gated catch-all
--- define: vhost_off
--- use: files
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



=== SHARED: UpkeepExempt /static
--- define: exempt
--- use: files
--- config
UpkeepExempt /static



=== SHARED: UpkeepExempt at three levels (vhost, <Location />, <Location /static/sub>)
--- define: exempt_nested
--- use: files
--- config
UpkeepExempt /static
<Location />
    UpkeepExempt /pub
</Location>
<Location /static/sub>
    UpkeepExempt /elsewhere
</Location>



=== SHARED: UpkeepAllowFrom 10.0.0.0/8, and 127.0.0.1 in <Location /admin>
--- define: allow_nested
--- use: files
--- config
UpkeepAllowFrom 10.0.0.0/8
<Location /admin>
    UpkeepAllowFrom 127.0.0.1
</Location>



=== SHARED: mod_remoteip trusting 127.0.0.1, UpkeepAllowFrom 192.0.2.0/24
--- define: remoteip
--- use: files
--- main_config
LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
--- config
UpkeepAllowFrom 192.0.2.0/24



=== SHARED: AllowEncodedSlashes NoDecode (comes first in the config: use it first)
--- define: nodecode
--- config
AllowEncodedSlashes NoDecode



=== SHARED: maintenance mode
--- define: maintenance
--- ctl
maintenance



=== SHARED: readonly mode
--- define: readonly
--- ctl
readonly



=== SHARED: requests that try to reach a gated page through an exempt one (GET)
--- define: traversal_get
--- rows
request                                     | response_body_unlike
GET /static/../admin/                       | ADMIN PAGE
GET /static/%2e%2e/admin/                   | ADMIN PAGE
GET /static/%2E%2E/admin/                   | ADMIN PAGE
GET /static/..;/admin/                      | ADMIN PAGE
GET /static;x/../admin/                     | ADMIN PAGE
GET /static/%252e%252e/admin/               | ADMIN PAGE
GET /static/.%2e/admin/                     | ADMIN PAGE
GET /static/..%5cadmin/                     | ADMIN PAGE
GET /static/.././admin/                     | ADMIN PAGE
GET //static/../admin/                      | ADMIN PAGE
GET /static/./../admin/                     | ADMIN PAGE
GET /staticx/secret.html                    | STATICX SECRET
GET /STATIC/x.html                          | ADMIN PAGE
GET /static/..;/staticx/secret.html         | STATICX SECRET
GET /static/%252e%252e/staticx/secret.html  | STATICX SECRET
GET /static/..%5cstaticx/secret.html        | STATICX SECRET



=== SHARED: the same as writes (POST)
--- define: traversal_post
--- rows
request                                          | response_body_unlike
POST /static/../admin/\na=b                      | ADMIN PAGE
POST /static/%2e%2e/admin/\na=b                  | ADMIN PAGE
POST /static/%2E%2E/admin/\na=b                  | ADMIN PAGE
POST /static/..;/admin/\na=b                     | ADMIN PAGE
POST /static;x/../admin/\na=b                    | ADMIN PAGE
POST /static/%252e%252e/admin/\na=b              | ADMIN PAGE
POST /static/.%2e/admin/\na=b                    | ADMIN PAGE
POST /static/..%5cadmin/\na=b                    | ADMIN PAGE
POST /static/.././admin/\na=b                    | ADMIN PAGE
POST //static/../admin/\na=b                     | ADMIN PAGE
POST /static/./../admin/\na=b                    | ADMIN PAGE
POST /staticx/secret.html\na=b                   | STATICX SECRET
POST /STATIC/x.html\na=b                         | ADMIN PAGE
POST /static/..;/staticx/secret.html\na=b        | STATICX SECRET
POST /static/%252e%252e/staticx/secret.html\na=b | STATICX SECRET
POST /static/..%5cstaticx/secret.html\na=b       | STATICX SECRET



=== SHARED: an encoded slash is refused by httpd itself (404), never served (encoded slash get)
--- define: encoded_slash_get
--- rows
request
GET /static/..%2fadmin/
GET /static%2f..%2fadmin/



=== SHARED: what stays exempt (still exempt get)
--- define: still_exempt_get
--- rows
request                 | response_body
GET /static/x.html      | static x\n
GET /static/            | static index\n
GET /static/sub/y.html  | static sub y\n
GET /static//x.html     | static x\n
GET /static/./x.html    | static x\n
GET /static/a/../x.html | static x\n
GET /static/%78.html    | static x\n



=== SHARED: an encoded slash is refused by httpd itself (404), never served (encoded slash post)
--- define: encoded_slash_post
--- rows
request
POST /static/..%2fadmin/\na=b
POST /static%2f..%2fadmin/\na=b



=== SHARED: what stays exempt (still exempt post)
--- define: still_exempt_post
--- rows
request                       | response_body
POST /static/x.html\na=b      | static x\n
POST /static/\na=b            | static index\n
POST /static/sub/y.html\na=b  | static sub y\n
POST /static//x.html\na=b     | static x\n
POST /static/./x.html\na=b    | static x\n
POST /static/a/../x.html\na=b | static x\n
POST /static/%78.html\na=b    | static x\n



=== SHARED: an encoded slash reaches the module and is refused (503) (encoded slash nodecode get)
--- define: encoded_slash_nodecode_get
--- rows
request                               | response_body_unlike
GET /static/..%2fadmin/               | ADMIN PAGE
GET /static%2f..%2fadmin/             | ADMIN PAGE
GET /static/%2e%2e%2fadmin/           | ADMIN PAGE
GET /static/..%2fstaticx/secret.html  | STATICX SECRET



=== SHARED: what stays exempt (still exempt nodecode get)
--- define: still_exempt_nodecode_get
--- rows
request              | response_body
GET /static/x.html   | static x\n
GET /static/%78.html | static x\n



=== SHARED: an encoded slash reaches the module and is refused (503) (encoded slash nodecode post)
--- define: encoded_slash_nodecode_post
--- rows
request                                    | response_body_unlike
POST /static/..%2fadmin/\na=b              | ADMIN PAGE
POST /static%2f..%2fadmin/\na=b            | ADMIN PAGE
POST /static/%2e%2e%2fadmin/\na=b          | ADMIN PAGE
POST /static/..%2fstaticx/secret.html\na=b | STATICX SECRET



=== TEST 1: maintenance: <Location /static> with Upkeep off serves /static/x.html
--- use: location_off maintenance
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
--- use: location_off maintenance
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
--- use: locationmatch_off maintenance
--- request
GET /static/sub/y.html
--- error_code: 200
--- response_body
static sub y



=== TEST 4: maintenance: <LocationMatch> with Upkeep off refuses /static/..;/staticx/secret.html
--- use: locationmatch_off maintenance
--- request
GET /static/..;/staticx/secret.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- error_log
UPK0101: 'Upkeep off' not applied



=== TEST 5: maintenance: <Directory htdocs/static> with Upkeep off serves /static/x.html
--- use: directory_off maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x



=== TEST 6: maintenance: <Directory htdocs/static> with Upkeep off still refuses /admin/, also through /static/../
--- use: directory_off maintenance
--- error_code: 503
--- response_body_unlike
ADMIN PAGE
--- rows
request
GET /admin/
GET /static/../admin/



=== TEST 7: maintenance: <Files health.txt> with Upkeep off serves /status/health.txt
--- use: files_off maintenance
--- request
GET /status/health.txt
--- error_code: 200
--- response_body
healthy



=== TEST 8: maintenance: <Files health.txt> with Upkeep off still refuses its neighbours, also through health.txt/../
--- use: files_off maintenance
--- error_code: 503
--- response_body_unlike
not for you
--- rows
request
GET /status/other.txt
GET /status/health.txt/../other.txt



=== TEST 9: maintenance: a <VirtualHost> with Upkeep off serves its site
--- use: vhost_off maintenance
--- request
GET /
--- more_headers
Host: other.test
--- error_code: 200
--- response_body
other site
--- no_error_log
[error]



=== TEST 10: maintenance: next to an Upkeep off <VirtualHost>, the localhost site and an unknown Host (the first, gated vhost) are refused
--- use: vhost_off maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- rows
more_headers
Host: localhost
Host: unknown.test



=== TEST 11: readonly: a <VirtualHost> with Upkeep off runs POSTs
--- use: vhost_off readonly
--- request
POST /index.html
a=b
--- more_headers
Host: other.test
--- error_code: 200
--- response_body
other site



=== TEST 12: maintenance: UpkeepExempt /static serves /static/x.html
--- use: exempt maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
static x
--- response_headers
!Retry-After
--- no_error_log
[error]



=== TEST 13: maintenance: UpkeepExempt /static covers /static itself (mod_dir redirects it)
--- use: exempt maintenance
--- request
GET /static
--- error_code: 301
--- response_headers_like
Location: /static/$



=== TEST 14: maintenance: UpkeepExempt /static does not cover /staticx/
--- use: exempt maintenance
--- request
GET /staticx/secret.html
--- error_code: 503
--- response_body_unlike
STATICX SECRET
--- error_log
UPK0100: refused GET /staticx/secret.html



=== TEST 15: maintenance: UpkeepExempt /static does not cover /static.html
--- use: exempt maintenance
--- request
GET /static.html
--- error_code: 503
--- response_body_unlike
static dot html



=== TEST 16: maintenance: UpkeepExempt with a trailing slash, or several prefixes on one line
--- use: files maintenance
--- error_code: 200
--- rows
config                              | request             | response_body
UpkeepExempt /static/               | GET /static/x.html  | static x\n
UpkeepExempt /nothing /static /more | GET /static/sub/y.html | static sub y\n



=== TEST 17: maintenance: exempt prefixes add up (the vhost's /static holds under <Location />, /static/sub/ keeps it, <Location />'s /pub is exempt), the rest of the site is still refused
--- use: exempt_nested maintenance
--- rows
request                | error_code | response_body  | response_body_unlike
GET /static/x.html     | 200        | static x\n     |
GET /pub/p.html        | 200        | public p\n     |
GET /static/sub/y.html | 200        | static sub y\n |
GET /admin/            | 503        |                | ADMIN PAGE



=== TEST 18: readonly: UpkeepExempt /static lets a POST through (the static handler answers it)
--- use: exempt readonly
--- request
POST /static/x.html
a=b
--- error_code: 200
--- response_body
static x
--- response_headers
!Retry-After



=== TEST 19: maintenance: UpkeepAllowFrom lets the listed clients in (a CIDR, a bare IP), and only them
--- use: files maintenance
--- request
GET /admin/
--- rows
config                      | error_code | response_body | response_body_unlike | no_error_log
UpkeepAllowFrom 127.0.0.0/8 | 200        | ADMIN PAGE\n  |                      | [error]
UpkeepAllowFrom 127.0.0.1   | 200        | ADMIN PAGE\n
UpkeepAllowFrom 10.0.0.0/8  | 503        |               | ADMIN PAGE



=== TEST 20: maintenance: UpkeepAllowFrom lists add up from the vhost to a <Location>
--- use: allow_nested maintenance
--- request
GET /admin/
--- error_code: 200
--- response_body
ADMIN PAGE



=== TEST 21: maintenance: an UpkeepAllowFrom in <Location /admin> does not open the rest of the site
--- use: allow_nested maintenance
--- request
GET /
--- error_code: 503
--- response_body_unlike
hello



=== TEST 22: readonly: an UpkeepAllowFrom client may POST
--- use: readonly
--- config
UpkeepAllowFrom 127.0.0.0/8
--- request
POST /index.html
a=b
--- error_code: 200
--- response_body
hello



=== TEST 23: maintenance, mod_remoteip: X-Forwarded-For 192.0.2.7 from a trusted proxy is let in
--- use: remoteip maintenance
--- request
GET /admin/
--- more_headers
X-Forwarded-For: 192.0.2.7
--- error_code: 200
--- response_body
ADMIN PAGE
--- no_error_log
[error]



=== TEST 24: maintenance, mod_remoteip: X-Forwarded-For 198.51.100.9, the proxy itself (no X-Forwarded-For) and a spoofed 192.0.2.7 left of the real client are refused
--- use: remoteip maintenance
--- error_code: 503
--- rows
request     | more_headers                              | response_body_unlike
GET /admin/ | X-Forwarded-For: 198.51.100.9             | ADMIN PAGE
GET /       |
GET /admin/ | X-Forwarded-For: 192.0.2.7, 198.51.100.9  | ADMIN PAGE



=== TEST 25: readonly, mod_remoteip: X-Forwarded-For 198.51.100.9 cannot POST
--- use: remoteip readonly
--- request
POST /index.html
a=b
--- more_headers
X-Forwarded-For: 198.51.100.9
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>



=== TEST 26: maintenance, <Location /static> Upkeep off: dot segments, encodings, ;parameters, backslashes and case never reach a gated page (503)
--- use: location_off maintenance traversal_get
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>



=== TEST 27: maintenance, <Location /static> Upkeep off: an encoded slash is refused by httpd itself (404), never served
--- use: location_off maintenance encoded_slash_get
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 28: maintenance, <Location /static> Upkeep off: what stays exempt
--- use: location_off maintenance still_exempt_get
--- error_code: 200



=== TEST 29: readonly, <Location /static> Upkeep off: dot segments, encodings, ;parameters, backslashes and case never reach a gated page (503)
--- use: location_off readonly traversal_post
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>



=== TEST 30: readonly, <Location /static> Upkeep off: an encoded slash is refused by httpd itself (404), never served
--- use: location_off readonly encoded_slash_post
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 31: readonly, <Location /static> Upkeep off: what stays exempt
--- use: location_off readonly still_exempt_post
--- error_code: 200



=== TEST 32: maintenance, UpkeepExempt /static: dot segments, encodings, ;parameters, backslashes and case never reach a gated page (503)
--- use: exempt maintenance traversal_get
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>



=== TEST 33: maintenance, UpkeepExempt /static: an encoded slash is refused by httpd itself (404), never served
--- use: exempt maintenance encoded_slash_get
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 34: maintenance, UpkeepExempt /static: what stays exempt
--- use: exempt maintenance still_exempt_get
--- error_code: 200



=== TEST 35: readonly, UpkeepExempt /static: dot segments, encodings, ;parameters, backslashes and case never reach a gated page (503)
--- use: exempt readonly traversal_post
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>



=== TEST 36: readonly, UpkeepExempt /static: an encoded slash is refused by httpd itself (404), never served
--- use: exempt readonly encoded_slash_post
--- error_code: 404
--- response_body_unlike
ADMIN PAGE



=== TEST 37: readonly, UpkeepExempt /static: what stays exempt
--- use: exempt readonly still_exempt_post
--- error_code: 200



=== TEST 38: maintenance, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: an encoded slash reaches the module and is refused (503)
--- use: nodecode location_off maintenance encoded_slash_nodecode_get
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>



=== TEST 39: maintenance, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: what stays exempt
--- use: nodecode location_off maintenance still_exempt_nodecode_get
--- error_code: 200



=== TEST 40: readonly, <Location /static> Upkeep off, AllowEncodedSlashes NoDecode: an encoded slash reaches the module and is refused (503)
--- use: nodecode location_off readonly encoded_slash_nodecode_post
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>



=== TEST 41: maintenance, UpkeepExempt /static, AllowEncodedSlashes NoDecode: an encoded slash reaches the module and is refused (503)
--- use: nodecode exempt maintenance encoded_slash_nodecode_get
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>



=== TEST 42: maintenance, UpkeepExempt /static, AllowEncodedSlashes NoDecode: what stays exempt
--- use: nodecode exempt maintenance still_exempt_nodecode_get
--- error_code: 200



=== TEST 43: readonly, UpkeepExempt /static, AllowEncodedSlashes NoDecode: an encoded slash reaches the module and is refused (503)
--- use: nodecode exempt readonly encoded_slash_nodecode_post
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>



=== SHARED: <Location /static> Upkeep off, proxied (nocanon) to a %2F-decoding backend
--- define: proxied
--- use: files
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



=== TEST 44: maintenance, <Location /static> Upkeep off proxied to a %2F-decoding backend: /static/x.html is served
--- use: proxied maintenance
--- request
GET /static/x.html
--- error_code: 200
--- response_body
backend x



=== TEST 45: maintenance, <Location /static> Upkeep off proxied to a %2F-decoding backend: an encoded slash is refused
--- use: proxied maintenance
--- error_code: 503
--- rows
request                              | response_body_unlike | error_log
GET /static/..%2fadmin/              | ADMIN PAGE
GET /static/..%2fstaticx/secret.html | STATICX SECRET       | UPK0101: 'Upkeep off' not applied



=== TEST 46: a ;parameter cannot step around a nested <Location> that turns the gate back on
--- use: files maintenance
--- config
<Location /static>
    Upkeep off
</Location>
<Location /static/private>
    Upkeep on
</Location>
--- request
GET /static/private;x/p.html
--- error_code: 503
--- response_body_unlike
PRIVATE
--- error_log
UPK0101: 'Upkeep off' not applied
