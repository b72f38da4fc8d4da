# The refusal pages as text: UpkeepRefresh, the fields and sections of
# UpkeepPage templates, and what the built-in pages never contain.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__

=== TEST 1: the built-in page reloads itself after the Retry-After by default, at most every 60 s
--- config
UpkeepRetryAfter 2m
--- ctl
maintenance --reason "db"
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 120
--- response_body_like
<meta http-equiv="refresh" content="60">.*<p class="when">This page will try again in <span id="countdown" data-left="60">60 seconds</span>\.
--- response_body_unlike
back shortly
--- no_error_log
[error]



=== TEST 2: UpkeepRefresh sets the reload, Retry-After stays
--- config
UpkeepRefresh 30
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 60
--- response_body_like
<meta http-equiv="refresh" content="30">.*try again in <span id="countdown" data-left="30">30 seconds</span>



=== TEST 3: UpkeepRefresh takes durations
--- config
UpkeepRefresh 2m
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
<meta http-equiv="refresh" content="120">



=== TEST 4: UpkeepRefresh off: no reload, no countdown, the Retry-After in words
--- config
UpkeepRefresh off
--- ctl
maintenance --retry-after 90
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 90
--- response_body_like
<p class="when">Please try again in 90 seconds\.</p>
--- response_body_unlike
<meta http-equiv|id="countdown"



=== TEST 5: the reload is never faster than every 5 seconds, whatever the Retry-After
--- ctl
maintenance --retry-after 2
--- request
GET /
--- error_code: 503
--- response_headers
Retry-After: 2
--- response_body_like
<meta http-equiv="refresh" content="5">



=== TEST 6: the inner context's UpkeepRefresh wins (off inside)
--- config
UpkeepRefresh 30
<Location /quiet>
    UpkeepRefresh off
</Location>
--- ctl
maintenance
--- request
GET /quiet/page
--- error_code: 503
--- response_body_unlike
<meta http-equiv



=== TEST 7: the inner context's UpkeepRefresh wins (a number inside)
--- config
UpkeepRefresh off
<Location /busy>
    UpkeepRefresh 15
</Location>
--- ctl
maintenance
--- request
GET /busy
--- error_code: 503
--- response_body_like
<meta http-equiv="refresh" content="15">



=== TEST 8: the outer UpkeepRefresh applies where the inner context says nothing
--- config
UpkeepRefresh 45
<Location /other>
    UpkeepRetryAfter 10
</Location>
--- ctl
maintenance
--- request
GET /other
--- error_code: 503
--- response_headers
Retry-After: 10
--- response_body_like
<meta http-equiv="refresh" content="45">



=== TEST 9: with an end, the page shows it as <time> and counts down to it
--- ctl
maintenance --reason "db" --for 10m
--- request
GET /
--- error_code: 503
--- response_body_like
<meta http-equiv="refresh" content="60">.*Expected back by <time datetime="20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ">\w\w\w, \d\d \w\w\w 20\d\d \d\d:\d\d:\d\d GMT</time>\..*<p class="when" hidden>Time left: <span id="countdown" data-left="(59\d|600)"></span></p>
--- response_body_unlike
back shortly



=== TEST 10: the built-in maintenance page links to nothing outside
--- ctl
maintenance --reason "db" --for 10m
--- request
GET /
--- error_code: 503
--- response_body_unlike
(?i)https?:|\b(src|href|srcset|action|data)\s*=|url\(|@import



=== TEST 11: the built-in read-only page links to nothing and never reloads itself
--- ctl
readonly --reason "disks" --for 10m
--- request
POST /
a=b
--- error_code: 503
--- response_body_like
<title>Read-only mode</title>.*<p class="reason">disks</p>.*<time datetime="20\d\d-.*id="countdown"
--- response_body_unlike
(?i)https?:|\b(src|href|srcset|action|data)\s*=|url\(|@import|<meta http-equiv



=== TEST 12: a template gets every field, {{refresh}} included, in another scope
--- user_files
>>> conf/all.html
mode={{mode}} scope={{scope}} reason={{reason}} retry={{retry_after}}
until={{until}} http={{until_http}} since={{since}} refresh={{refresh}}
--- config
<Location /shop>
    UpkeepScope shop
    UpkeepPage conf/all.html
    UpkeepRefresh 20
</Location>
--- ctl
--scope shop maintenance --reason "a < b" --for 1h
--- request
GET /shop/cart
--- error_code: 503
--- response_body_like
^mode=maintenance scope=shop reason=a &lt; b retry=3[56]\d\d\nuntil=20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ http=\w\w\w, \d\d \w\w\w 20\d\d \d\d:\d\d:\d\d GMT since=20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ refresh=20$



=== TEST 13: sections show what is set: an end, a reason, a reload
--- user_files
>>> conf/sections.html
[{{#until}}ends {{until}}{{/until}}{{^until}}no end{{/until}}]
[{{#reason}}why: {{reason}}{{/reason}}{{^reason}}no reason{{/reason}}]
[{{#refresh}}<meta http-equiv="refresh" content="{{refresh}}">{{/refresh}}{{^refresh}}no reload{{/refresh}}]
--- config
UpkeepPage conf/sections.html
--- ctl
maintenance --reason "db" --for 1h
--- request
GET /
--- error_code: 503
--- response_body_like
^\[ends 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ\]\n\[why: db\]\n\[<meta http-equiv="refresh" content="60">\]$



=== TEST 14: sections hide what is not set (and {{reason}} alone has a default)
--- user_files
>>> conf/sections2.html
[{{#until}}ends {{until}}{{/until}}{{^until}}no end{{/until}}]
[{{#reason}}why: {{reason}}{{/reason}}{{^reason}}no reason{{/reason}}] {{reason}}
[{{#refresh}}reload {{refresh}}{{/refresh}}{{^refresh}}no reload{{/refresh}}] [{{refresh}}]
--- config
UpkeepPage conf/sections2.html
UpkeepRefresh off
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
^\[no end\]\n\[no reason\] Scheduled maintenance is in progress\.\n\[no reload\] \[\]$



=== TEST 15: sections nest
--- user_files
>>> conf/nested.html
{{#until}}A{{#reason}}B{{^refresh}}C{{/refresh}}{{/reason}}D{{/until}}E
--- config
UpkeepPage conf/nested.html
--- ctl
maintenance --reason "r" --for 1h
--- request
GET /
--- error_code: 503
--- response_body_like
^ABDE$



=== TEST 16: UpkeepRefresh below 5 seconds refuses to start, naming the floor
--- must_die
--- config
UpkeepRefresh 4
--- startup_error_like
UpkeepRefresh: '4' must be off or between 5s and 1d



=== TEST 17: UpkeepRefresh above a day refuses to start
--- must_die
--- config
UpkeepRefresh 2d
--- startup_error_like
UpkeepRefresh: '2d' must be off or between 5s and 1d



=== TEST 18: UpkeepRefresh with a word refuses to start
--- must_die
--- config
UpkeepRefresh never
--- startup_error_like
UpkeepRefresh: 'never' is not a duration



=== TEST 19: UpkeepRefresh with two values refuses to start
--- must_die
--- config
UpkeepRefresh 30 60
--- startup_error_like
UpkeepRefresh takes one argument



=== TEST 20: a section left open refuses to start, naming the file and its line
--- must_die
--- user_files
>>> conf/open.html
<p>
{{#until}}until {{until}}
</p>
--- config
UpkeepPage conf/open.html
--- startup_error_like
UpkeepPage: /\S+/conf/open\.html line 2: \{\{#until\}\} is not closed \(with \{\{/until\}\}\)



=== TEST 21: a section closed by another name refuses to start, naming both lines
--- must_die
--- user_files
>>> conf/cross.html
{{^until}}
no end
{{/reason}}
--- config
UpkeepPage conf/cross.html
--- startup_error_like
UpkeepPage: /\S+/conf/cross\.html line 3: \{\{/reason\}\} does not close \{\{\^until\}\} of line 1



=== TEST 22: a section end without a start refuses to start
--- must_die
--- user_files
>>> conf/stray.html
x
y {{/mode}}
--- config
UpkeepPage conf/stray.html
--- startup_error_like
UpkeepPage: /\S+/conf/stray\.html line 2: \{\{/mode\}\} closes no section



=== TEST 23: a section of an unknown field refuses to start
--- must_die
--- user_files
>>> conf/unknown.html
{{#when}}x{{/when}}
--- config
UpkeepPage conf/unknown.html
--- startup_error_like
UpkeepPage: /\S+/conf/unknown\.html line 1: unknown placeholder \{\{when\}\}
