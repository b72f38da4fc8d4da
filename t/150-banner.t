# The banner (issue 5): while writes are paused (readonly, hold), HTML pages
# of any backend get a banner right after <body>; other types, encoded
# bodies, ranges, refusals and normal mode are left alone.  The <body> tag
# may arrive split anywhere across buckets and brigades (mod_bucketeer, a
# CGI that flushes, mod_proxy streaming), and compression comes after the
# banner (mod_deflate).
use lib 't/lib';
use Test::Upkeep;

# A page whose <body> has an attribute (99 bytes), the same page with the
# banner "<p>B</p>", and a CGI that sends "<bo" and "dy>" with pauses
# between, so they reach the filter in separate reads.
our $Page = <<'EOF';
>>> page.html
<!DOCTYPE html>
<html><head><title>t</title></head>
<body class="x">
<p>content</p>
</body></html>
EOF
(our $PageB = $Page) =~ s/\A>>> page\.html\n//;
$PageB =~ s/(<body class="x">)/$1<p>B<\/p>/;
# Pages whose <body> ends exactly at byte 65536, the last byte searched:
# a static file (one bucket) and a CGI (pipe reads of about 8 KB).
our $Edge = ">>> edge.html\n<html>" . ('x' x 65524) . "<body><p>after</p>" . ('y' x 100) . "TAIL\n";
our $EdgeCgi = ">>> cgi-bin/edge.cgi\n#!/usr/bin/perl\n"
    . "print \"Content-Type: text/html\\r\\n\\r\\n<html>\", 'x' x 65524, "
    . "\"<body><p>after</p>\", 'y' x 20000, \"TAIL\\n\";\n";
# An HTML page with a Last-Modified date, for revalidations.
our $DatedCgi = <<'EOF';
>>> cgi-bin/dated.cgi
#!/usr/bin/perl
print "Content-Type: text/html\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n<html><body><p>x</p></body></html>\n";
EOF
our $SplitCgi = <<'EOF';
>>> cgi-bin/split.cgi
#!/usr/bin/perl
$| = 1;
print "Content-Type: text/html; charset=utf-8\r\n\r\n";
print "<html><head><title>t</title></head><bo";
select(undef, undef, undef, 0.2);
print "dy>";
select(undef, undef, undef, 0.2);
print "<p>rest</p></body></html>\n";
EOF

run_tests();
__DATA__

=== TEST 1: readonly: a static page gets the default banner with the reason right after <body ...>
--- user_files eval
$main::Page
--- ctl
readonly --reason "Database <upgrade>"
--- request
GET /page.html
--- error_code: 200
--- response_body_like
^<!DOCTYPE html>\n<html><head><title>t</title></head>\n<body class="x"><div id="upkeep-banner" role="status" lang="en" dir="ltr" style="[^"<>]+"><strong>Changes are paused</strong> \(Database &lt;upgrade&gt;\)\. You can keep browsing; saving is back soon\.</div>\n<script>[^<]*</script>\n\n<p>content</p>\n</body></html>\n$



=== TEST 2: readonly without a reason: the default banner says changes are paused and saving is back soon
--- user_files eval
$main::Page
--- ctl
readonly
--- request
GET /page.html
--- error_code: 200
--- response_body_like
<body class="x"><div id="upkeep-banner" role="status" lang="en" dir="ltr" style="[^"<>]+"><strong>Changes are paused</strong>\. You can keep browsing; saving is back soon\.</div>\n<script>[^<]*</script>\n\n<p>content</p>
--- response_body_unlike
</strong> \(



=== TEST 3: hold: pages get a banner that says saving may take a few seconds (writes wait, then go through)
--- user_files eval
$main::Page
--- ctl
hold --reason "Schema change"
--- request
GET /page.html
--- error_code: 200
--- response_body_like
<body class="x"><div id="upkeep-banner" role="status"[^>]*><strong>Saving may take a few seconds</strong> \(Schema change\): changes wait a moment, then go through\.</div>
--- response_body_unlike
paused



=== TEST 3a: readonly with an end: the banner says when saving is back
--- user_files eval
$main::Page
--- ctl
readonly --for 30m
--- request
GET /page.html
--- error_code: 200
--- response_body_like
<strong>Changes are paused</strong>\. You can keep browsing; saving is back at <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT</time>\.</div>



=== TEST 3b: hold with an end: the banner shows it
--- user_files eval
$main::Page
--- ctl
hold --for 30m
--- request
GET /page.html
--- error_code: 200
--- response_body_like
<strong>Saving may take a few seconds</strong>: changes wait a moment, then go through\. Until <time datetime="[^"]+">[^<]+</time>\.</div>



=== TEST 4: normal: the page goes out as it is, with its Content-Length and ETag
--- user_files eval
$main::Page
--- request
GET /page.html
--- error_code: 200
--- response_headers
Content-Length: 99
--- response_headers_like
ETag: ^(?:W/)?"[^"]*[0-9a-f]"$
--- response_body
<!DOCTYPE html>
<html><head><title>t</title></head>
<body class="x">
<p>content</p>
</body></html>



=== TEST 5: maintenance: the refusal page carries no banner
--- user_files eval
$main::Page
--- ctl
maintenance --reason "Upgrade"
--- request
GET /page.html
--- error_code: 503
--- response_body_like
<title>Down for maintenance</title>
--- response_body_unlike
upkeep-banner



=== TEST 6: maintenance: an exempt page is served without a banner
--- config
UpkeepExempt /page.html
--- user_files eval
$main::Page
--- ctl
maintenance
--- request
GET /page.html
--- error_code: 200
--- response_headers
Content-Length: 99
--- response_body_unlike
upkeep-banner



=== TEST 7: readonly: the refusal of a write carries no banner
--- user_files eval
$main::Page
--- ctl
readonly
--- request
POST /page.html
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>
--- response_body_unlike
upkeep-banner



=== TEST 8: readonly: text/plain is left alone, <body> or not
--- user_files
>>> notes.txt
<html><body>plain</body></html>
--- ctl
readonly
--- request
GET /notes.txt
--- error_code: 200
--- response_headers
Content-Type: text/plain
Content-Length: 32
--- response_body
<html><body>plain</body></html>



=== TEST 9: readonly: Content-Length of a static page is the new length, and the ETag no longer names the plain page
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::Page
--- ctl
readonly
--- request
GET /page.html
--- error_code: 200
--- response_headers
Content-Length: 107
!Transfer-Encoding
!Last-Modified
--- response_headers_like
ETag: ^(?:W/)?"[^"]*-upkeep"$
--- response_body eval
$main::PageB



=== TEST 10: readonly: HEAD gets the Content-Length GET would, and no body
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::Page
--- ctl
readonly
--- request
HEAD /page.html
--- error_code: 200
--- response_headers
Content-Length: 107
--- raw_response_like
\r\n\r\n$



=== TEST 11: readonly: an HTTP/1.0 client gets the whole page with a correct Content-Length
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::Page
--- ctl
readonly
--- raw_request eval
"GET /page.html HTTP/1.0\r\nHost: localhost\r\n\r\n"
--- error_code: 200
--- response_headers
Content-Length: 107
--- raw_response_like
^HTTP/1\.1 200 .*\r\n\r\n<!DOCTYPE html>\n<html><head><title>t</title></head>\n<body class="x"><p>B</p>\n<p>content</p>\n</body></html>\n$



=== TEST 12: readonly: two pages on one keep-alive connection both get the banner, framed right
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::Page
--- ctl
readonly
--- raw_request eval
"GET /page.html HTTP/1.1\r\nHost: localhost\r\n\r\nGET /page.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- raw_response_like
^HTTP/1\.1 200 [^\n]*\r\n(?:[^\r\n]+\r\n)*Content-Length: 107\r\n(?:[^\r\n]+\r\n)*\r\n<!DOCTYPE html>\n<html><head><title>t</title></head>\n<body class="x"><p>B</p>\n<p>content</p>\n</body></html>\nHTTP/1\.1 200 [^\n]*\r\n(?:[^\r\n]+\r\n)*Content-Length: 107\r\n(?:[^\r\n]+\r\n)*\r\n<!DOCTYPE html>\n<html><head><title>t</title></head>\n<body class="x"><p>B</p>\n<p>content</p>\n</body></html>\n$



=== TEST 13: readonly: a Range request gets the plain page's bytes (206), no banner
--- user_files eval
$main::Page
--- ctl
readonly
--- request
GET /page.html
--- more_headers
Range: bytes=52-67
--- error_code: 206
--- response_headers
Content-Range: bytes 52-67/99
Content-Length: 16
--- response_body chomp
<body class="x">



=== TEST 14: readonly: a CGI that sends "<bo" and "dy>" with pauses between gets the banner in its chunked page
--- config
UpkeepBanner "<p>B</p>"
--- user_files
>>> cgi-bin/split.cgi
#!/usr/bin/perl
$| = 1;
print "Content-Type: text/html; charset=utf-8\r\n\r\n";
print "<html><head><title>t</title></head><bo";
select(undef, undef, undef, 0.2);
print "dy onload=\"f('>')\"";
select(undef, undef, undef, 0.2);
print ">";
select(undef, undef, undef, 0.2);
print "<p>rest</p></body></html>\n";
--- ctl
readonly
--- request
GET /cgi-bin/split.cgi
--- error_code: 200
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- response_body
<html><head><title>t</title></head><body onload="f('>')"><p>B</p><p>rest</p></body></html>



=== TEST 15: readonly: a page a CGI already gzipped goes out untouched
--- config
UpkeepBanner "<p>B</p>"
--- user_files
>>> cgi-bin/gz.cgi
#!/usr/bin/perl
use IO::Compress::Gzip qw(gzip);
my $page = "<html><head></head><body><p>zipped</p></body></html>\n";
gzip(\$page => \my $gz) or die;
binmode STDOUT;
print "Content-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: " . length($gz) . "\r\n\r\n$gz";
--- ctl
readonly
--- curl: --compressed
--- curl_path: /cgi-bin/gz.cgi
--- error_code: 200
--- response_headers
Content-Encoding: gzip
--- response_body
<html><head></head><body><p>zipped</p></body></html>



=== TEST 16: readonly: with mod_deflate, the banner is inserted before compression
--- main_config
LoadModule deflate_module /usr/lib/apache2/modules/mod_deflate.so
--- config
UpkeepBanner "<p>B</p>"
<Location /page.html>
    SetOutputFilter DEFLATE
</Location>
--- user_files eval
$main::Page
--- ctl
readonly
--- curl: --compressed
--- curl_path: /page.html
--- error_code: 200
--- response_headers
Content-Encoding: gzip
--- response_headers_like
ETag: -upkeep-gzip"$
--- response_body eval
$main::PageB



=== TEST 17: readonly: with AddOutputFilterByType DEFLATE (mod_filter), the banner is inside the compressed page
--- main_config
LoadModule deflate_module /usr/lib/apache2/modules/mod_deflate.so
LoadModule filter_module /usr/lib/apache2/modules/mod_filter.so
--- config
UpkeepBanner "<p>B</p>"
AddOutputFilterByType DEFLATE text/html
--- user_files eval
$main::SplitCgi
--- ctl
readonly
--- curl: --compressed
--- curl_path: /cgi-bin/split.cgi
--- error_code: 200
--- response_headers
Content-Encoding: gzip
--- response_body
<html><head><title>t</title></head><body><p>B</p><p>rest</p></body></html>



=== TEST 18: readonly: a <body> tag split byte by byte across brigades (mod_bucketeer) gets the banner once, after its real end
--- main_config
LoadModule bucketeer_module /usr/lib/apache2/modules/mod_bucketeer.so
--- config
UpkeepBanner "<p>B</p>"
<Location /split.html>
    SetOutputFilter BUCKETEER
</Location>
--- user_files eval
">>> split.html\n<html><head><!-- <body> --></head>"
    . CORE::join("\x10", split //, q{<body data-a="x>y" class='c'>}) . "\x10<p>rest</p></body></html>\n"
--- ctl
readonly
--- request
GET /split.html
--- error_code: 200
--- response_body
<html><head><!-- <body> --></head><body data-a="x>y" class='c'><p>B</p><p>rest</p></body></html>



=== TEST 19: readonly: the same tag split byte by byte across buckets of one brigade
--- main_config
LoadModule bucketeer_module /usr/lib/apache2/modules/mod_bucketeer.so
--- config
UpkeepBanner "<p>B</p>"
<Location /split.html>
    SetOutputFilter BUCKETEER
</Location>
--- user_files eval
">>> split.html\n<html><head><!-- <body> --></head>"
    . CORE::join("\x02", split //, q{<BODY data-a="x>y" class='c'>}) . "\x02<p>rest</p></body></html>\n"
--- ctl
readonly
--- request
GET /split.html
--- error_code: 200
--- response_body
<html><head><!-- <body> --></head><BODY data-a="x>y" class='c'><p>B</p><p>rest</p></body></html>



=== TEST 20: readonly: a proxied backend streaming "<bo" and "dy>" in separate reads gets the banner once
--- config
UpkeepBanner "<p>B</p>"
ProxyPass /app/ http://127.0.0.1:$ServerPort/cgi-bin/
<Location /cgi-bin>
    UpkeepBanner off
</Location>
--- user_files eval
$main::SplitCgi
--- ctl
readonly
--- request
GET /app/split.cgi
--- error_code: 200
--- response_body
<html><head><title>t</title></head><body><p>B</p><p>rest</p></body></html>
--- no_error_log
[error]



=== TEST 21: UpkeepBanner off in a <Location> leaves its pages alone
--- config
<Location /plain>
    UpkeepBanner off
</Location>
--- user_files
>>> plain/page.html
<html><body><p>content</p></body></html>
--- ctl
readonly
--- request
GET /plain/page.html
--- error_code: 200
--- response_headers
Content-Length: 41
--- response_body
<html><body><p>content</p></body></html>



=== TEST 22: UpkeepBanner of an inner <Location> wins over the virtual host's
--- config
UpkeepBanner "<p>outer</p>"
<Location /inner>
    UpkeepBanner '<p class="in">inner {{mode}}</p>'
</Location>
--- user_files
>>> inner/page.html
<html><body><p>content</p></body></html>
--- ctl
readonly
--- request
GET /inner/page.html
--- error_code: 200
--- response_body
<html><body><p class="in">inner readonly</p><p>content</p></body></html>



=== TEST 23: a banner file (relative to ServerRoot) fills in mode, reason, scope and until, HTML-escaped
--- config
UpkeepBanner conf/banner.html
--- user_files
>>> conf/banner.html
<aside role="status">{{mode}} of {{scope}}: {{reason}}, until {{until}} ({{until_http}})</aside>
>>> page.html
<html><body><p>content</p></body></html>
--- ctl
readonly --reason "Schema <v2> & more" --for 1h
--- request
GET /page.html
--- error_code: 200
--- response_body_like
^<html><body><aside role="status">readonly of default: Schema &lt;v2&gt; &amp; more, until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\)</aside>\n<p>content</p></body></html>\n$



=== TEST 24: a missing banner file refuses to start, naming the file and how text is told apart
--- must_die
--- config
UpkeepBanner conf/missing-banner.html
--- startup_error_like
UpkeepBanner: cannot read /\S+/t/servroot[^/]*/conf/missing-banner\.html: No such file.*\(a banner given as text must start with '<'\)



=== TEST 25: a banner file with an unknown placeholder refuses to start, naming the file and the line
--- must_die
--- user_files
>>> conf/bad-banner.html
<div>
{{reason}} {{nope}}
</div>
--- config
UpkeepBanner conf/bad-banner.html
--- startup_error_like
UpkeepBanner: /\S+/conf/bad-banner\.html line 2: unknown placeholder \{\{nope\}\}



=== TEST 26: a banner text with an unknown placeholder refuses to start
--- must_die
--- config
UpkeepBanner "<p>{{whenever}}</p>"
--- startup_error_like
UpkeepBanner: inline text line 1: unknown placeholder \{\{whenever\}\}



=== TEST 27: UpkeepBanner takes one argument
--- must_die
--- config
UpkeepBanner <p>two words</p>
--- startup_error_like
UpkeepBanner takes one argument



=== TEST 28: readonly: a page without <body> goes out as it is
--- user_files
>>> fragment.html
<li>an HTML fragment, <b>no body tag</b></li>
--- ctl
readonly
--- request
GET /fragment.html
--- error_code: 200
--- response_headers
Content-Length: 46
--- response_body
<li>an HTML fragment, <b>no body tag</b></li>



=== TEST 29: readonly: no <body> in the first 64 KiB: the page goes out as it is
--- config
UpkeepBanner "<p>B</p>"
--- user_files
>>> cgi-bin/late.cgi
#!/usr/bin/perl
print "Content-Type: text/html\r\n\r\n";
print "<html><head><title>t</title></head>\n", ("x" x 70000), "<body><p>late</p></body></html>\n";
--- ctl
readonly
--- request
GET /cgi-bin/late.cgi
--- error_code: 200
--- response_body_like
x<body><p>late</p></body></html>\n$
--- response_body_unlike
<p>B</p>
--- error_log
UPK0141: no <body> tag in the first 65536 bytes of /cgi-bin/late.cgi



=== TEST 30: readonly: <body> tags in comments, and tags that only start like one (<bodyx>, <body-part>), are skipped
--- config
UpkeepBanner "<p>B</p>"
--- user_files
>>> page.html
<html><head><!-- <body> --><!-- a -- <body> -> --><bodyx><body-part></head><body><p>content</p></body></html>
--- ctl
readonly
--- request
GET /page.html
--- error_code: 200
--- response_body
<html><head><!-- <body> --><!-- a -- <body> -> --><bodyx><body-part></head><body><p>B</p><p>content</p></body></html>



=== TEST 31: readonly: "<!-->" is a whole (empty) comment, as browsers read it: the <body> after it is the real one
--- config
UpkeepBanner "<p>B</p>"
--- user_files
>>> page.html
<html><head><!--></head><body><p>content</p><!-- <body> --></body></html>
--- ctl
readonly
--- request
GET /page.html
--- error_code: 200
--- response_body
<html><head><!--></head><body><p>B</p><p>content</p><!-- <body> --></body></html>



=== TEST 32: readonly: "<body>" in another tag's attribute value, a script, a style, a title, a doctype or a comment (closed by "--!>", as browsers read it) is not the body tag
--- config
UpkeepBanner "<p>B</p>"
--- user_files
>>> page.html
<!DOCTYPE html "<body>"><html><head><title>a <body> b</title><meta name="d" content='<body class="a">'><meta content=x<body>
<style>p::before { content: "<body>" }</style><script>var s = "</scripts><body>";</script ><!-- <body> --!></head><body data-x="1"><p>content</p></body></html>
--- ctl
readonly
--- request
GET /page.html
--- error_code: 200
--- response_body
<!DOCTYPE html "<body>"><html><head><title>a <body> b</title><meta name="d" content='<body class="a">'><meta content=x<body>
<style>p::before { content: "<body>" }</style><script>var s = "</scripts><body>";</script ><!-- <body> --!></head><body data-x="1"><p>B</p><p>content</p></body></html>



=== TEST 33: readonly: application/xhtml+xml pages get the banner
--- config
UpkeepBanner "<p>B</p>"
--- user_files
>>> page.xhtml
<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body><p>content</p></body></html>
--- ctl
readonly
--- request
GET /page.xhtml
--- error_code: 200
--- response_headers
Content-Type: application/xhtml+xml
--- response_body_like
<body><p>B</p><p>content</p>



=== TEST 34: readonly: a response marked Cache-Control: no-transform goes out as it is
--- config
UpkeepBanner "<p>B</p>"
--- user_files
>>> cgi-bin/nt.cgi
#!/usr/bin/perl
print "Content-Type: text/html\r\nCache-Control: public, no-transform\r\n\r\n";
print "<html><body><p>as is</p></body></html>\n";
--- ctl
readonly
--- request
GET /cgi-bin/nt.cgi
--- error_code: 200
--- response_body
<html><body><p>as is</p></body></html>



=== TEST 35: readonly: an error page (404) gets no banner
--- config
UpkeepBanner "<p>B</p>"
--- ctl
readonly
--- request
GET /nothere.html
--- error_code: 404
--- response_body_unlike
<p>B</p>



=== TEST 36: the banner follows the scope of the page: a read-only shop, a normal site
--- config
UpkeepBanner "<p>B</p>"
<Location /shop>
    UpkeepScope shop
</Location>
--- user_files
>>> shop/page.html
<html><body><p>shop</p></body></html>
--- ctl
--scope shop readonly
--- request
GET /shop/page.html
--- error_code: 200
--- response_body
<html><body><p>B</p><p>shop</p></body></html>



=== TEST 37: ... and a page outside the read-only scope gets none
--- config
UpkeepBanner "<p>B</p>"
<Location /shop>
    UpkeepScope shop
</Location>
--- user_files
>>> page.html
<html><body><p>site</p></body></html>
--- ctl
--scope shop readonly
--- request
GET /page.html
--- error_code: 200
--- response_body
<html><body><p>site</p></body></html>



=== TEST 38: readonly: over HTTP/2 (h2c), a CGI's page split across reads gets the banner
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::SplitCgi
--- ctl
readonly
--- curl: --http2-prior-knowledge
--- curl_path: /cgi-bin/split.cgi
--- error_code: 200
--- response_body
<html><head><title>t</title></head><body><p>B</p><p>rest</p></body></html>



=== TEST 39: readonly: a DirectoryIndex page (a sub-request's fast redirect) gets the banner once
--- user_files
>>> dir/index.html
<html><head><title>t</title></head><body>
<p>index</p>
</body></html>
--- ctl
readonly
--- request
GET /dir/
--- error_code: 200
--- response_body_like
\A<html><head><title>t</title></head><body><div id="upkeep-banner"[^>]*>(?:(?!upkeep-banner).)*</div>\n<script>[^<]*</script>\n\n<p>index</p>\n</body></html>\n\z



=== TEST 40: readonly: a page reached by an internal redirect (mod_rewrite in a directory) gets the banner once
--- config
<Directory "$ServRoot/htdocs/old">
    RewriteEngine On
    RewriteRule ^page\.html$ /new/page.html [L]
</Directory>
--- user_files
>>> old/.keep
>>> new/page.html
<html><head><title>t</title></head><body>
<p>new</p>
</body></html>
--- ctl
readonly
--- request
GET /old/page.html
--- error_code: 200
--- response_body_like
\A<html><head><title>t</title></head><body><div id="upkeep-banner"[^>]*>(?:(?!upkeep-banner).)*</div>\n<script>[^<]*</script>\n\n<p>new</p>\n</body></html>\n\z



=== TEST 41: normal mode with no window: no banner, and no banner filter in the chain
--- user_files
>>> dir/index.html
<html><head><title>t</title></head><body>
<p>index</p>
</body></html>
--- request
GET /dir/
--- error_code: 200
--- response_body
<html><head><title>t</title></head><body>
<p>index</p>
</body></html>



=== TEST 42: readonly: a <body> whose '>' is byte 65536 of a static page: the banner right after it
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::Edge
--- ctl
readonly
--- request
GET /edge.html
--- error_code: 200
--- response_body_like
\A<html>x{65524}<body><p>B</p><p>after</p>y{100}TAIL\n\z



=== TEST 43: readonly: the same from a CGI, read in pieces: the banner right after <body>
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::EdgeCgi
--- ctl
readonly
--- request
GET /cgi-bin/edge.cgi
--- error_code: 200
--- response_body_like
\A<html>x{65524}<body><p>B</p><p>after</p>y{20000}TAIL\n\z



=== TEST 44: readonly: a browser revalidating a page it holds (If-None-Match, If-Modified-Since) gets it whole, with the banner
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::DatedCgi
--- ctl
readonly
--- request
GET /cgi-bin/dated.cgi
--- more_headers
Accept: text/html,application/xhtml+xml,*/*;q=0.8
If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT
If-None-Match: *
--- error_code: 200
--- response_headers
!Last-Modified
--- response_body
<html><body><p>B</p><p>x</p></body></html>



=== TEST 45: readonly: other requests (an image's Accept) keep their 304s
--- config
UpkeepBanner "<p>B</p>"
--- user_files eval
$main::DatedCgi
--- ctl
readonly
--- request
GET /cgi-bin/dated.cgi
--- more_headers
Accept: image/avif,image/webp,*/*
If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT
--- error_code: 304



=== TEST 46: readonly: HEAD of a proxied page has the headers GET would (the ETag of the bannered page)
--- config
UpkeepBanner "<p>B</p>"
ProxyPass /app/ http://127.0.0.1:$ServerPort/cgi-bin/
<Location /cgi-bin/>
    UpkeepScope backend
</Location>
--- user_files
>>> cgi-bin/etag.cgi
#!/usr/bin/perl
print "Content-Type: text/html\r\nETag: \"abc\"\r\n\r\n";
print "<html><body><p>x</p></body></html>\n" unless $ENV{REQUEST_METHOD} eq 'HEAD';
--- ctl
readonly
--- request
HEAD /app/etag.cgi
--- error_code: 200
--- response_headers
ETag: "abc-upkeep"



=== TEST 47: readonly: a reason outside ASCII reaches the banner as character references, right in a page of any charset
--- user_files
>>> latin1.html
<html><head><meta charset="iso-8859-1"><title>t</title></head><body><p>x</p></body></html>
--- ctl
readonly --reason "Mise à jour 😀"
--- request
GET /latin1.html
--- error_code: 200
--- response_body_like
<body><div id="upkeep-banner"[^>]*>[^\x80-\xff]*Mise &#xE0; jour &#x1F600;[^\x80-\xff]*</div>\n<script>[^<]*</script>\n\n?<p>x</p>
