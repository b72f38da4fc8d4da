# Scopes: several sites on one server, each upgraded on its own.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: a scope in maintenance takes its vhost down, not the other one
--- main_config
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName shop.test
    DocumentRoot "$ServRoot/htdocs/shop"
    UpkeepScope shop
    <Directory "$ServRoot/htdocs/shop">
        Require all granted
    </Directory>
</VirtualHost>
--- user_files
>>> shop/index.html
shop
--- config
UpkeepScope blog
--- ctl
--scope shop maintenance --reason "shop upgrade"
--- request
GET /
--- error_code: 200
--- response_body
hello



=== TEST 2: the scope in maintenance answers 503 with its own reason
--- main_config
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName shop.test
    DocumentRoot "$ServRoot/htdocs/shop"
    UpkeepScope shop
    <Directory "$ServRoot/htdocs/shop">
        Require all granted
    </Directory>
</VirtualHost>
--- user_files
>>> shop/index.html
shop
--- config
UpkeepScope blog
--- ctl
--scope shop maintenance --reason "shop upgrade"
--- request
GET /
--- more_headers
Host: shop.test
--- error_code: 503
--- response_body_like
<p class="reason">shop upgrade</p>



=== TEST 3: the default scope does not reach a vhost with its own scope
--- main_config
<VirtualHost 127.0.0.1:$ServerPort>
    ServerName shop.test
    DocumentRoot "$ServRoot/htdocs/shop"
    UpkeepScope shop
    <Directory "$ServRoot/htdocs/shop">
        Require all granted
    </Directory>
</VirtualHost>
--- user_files
>>> shop/index.html
shop
--- config
UpkeepScope blog
--- ctl
maintenance
--- request
GET /
--- more_headers
Host: shop.test
--- error_code: 200
--- response_body
shop



=== TEST 4: UpkeepScope in a Location gives that path its own mode
--- config
<Location /api>
    UpkeepScope api
</Location>
--- user_files
>>> api/index.html
api
--- ctl
--scope api readonly
--- request
POST /api/index.html
x=1
--- error_code: 503



=== TEST 5: the rest of the vhost stays writable when only a Location's scope is read-only
--- config
<Location /api>
    UpkeepScope api
</Location>
--- ctl
--scope api readonly
--- request
POST /index.html
x=1
--- error_code: 200



=== TEST 6: UPKEEP_MODE follows the scope of the request's location
--- config
<Location /cgi-bin/>
    UpkeepScope apps
</Location>
--- user_files
>>> cgi-bin/mode.cgi
#!/usr/bin/perl
read(STDIN, my $body, $ENV{CONTENT_LENGTH} || 0);  # a CGI must take its body
print "Content-Type: text/plain\r\n\r\nmode=$ENV{UPKEEP_MODE}\n";
--- ctl
maintenance
--scope apps readonly
--- request
GET /cgi-bin/mode.cgi
--- error_code: 200
--- response_body
mode=readonly



=== TEST 7: status lists every scope with its own mode
--- config
UpkeepScope blog
<Location /shop>
    UpkeepScope shop
</Location>
--- ctl
--scope blog readonly --reason "blog db"
--scope shop maintenance
status
--- ctl_stdout_like
^scope blog: readonly\n  reason:      blog db\n[\s\S]*^scope shop: maintenance$



=== TEST 8: a scope httpd does not name (a typo, or not configured yet): exit 2, the configured ones listed, the closest named, nothing recorded
--- ctl
--scope lates maintenance --reason "late scope"
--- ctl_exit_code: 2
--- ctl_stdout
--- ctl_stderr_like
\Aupkeepctl: unknown scope 'lates': httpd's configuration names default; nothing changed\n\z
--- state_unchanged
--- request
GET /
--- error_code: 200



=== TEST 9: once the configuration names it, the flip applies
--- config
UpkeepScope late
--- ctl
--scope late maintenance --reason "late scope"
--- request
GET /
--- error_code: 503
--- response_body_like
late scope
