# The built-in pages, refusal pages and banners in the visitor's language:
# Accept-Language (q-values, prefixes, *), Content-Language and
# Vary: Accept-Language, UpkeepLanguage, {{lang}}, {{site}} and
# UpkeepSiteName, the reason as written, the reload at most every 60 s.
# JSON and plain-text refusals stay English (for programs) and do not
# vary on Accept-Language.
use lib 't/lib';
use Test::Upkeep;
run_tests();
__DATA__
=== TEST 1: each of the ten languages, picked by Accept-Language (region subtags and q-values as browsers send them)
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- rows
more_headers                             | response_headers                                                  | response_body_like
Accept-Language: en-US,en;q=0.9          | Content-Language: en\nContent-Type: text/html; charset=utf-8      | <html lang="en" dir="ltr">.*<title>Down for maintenance</title>.*<h1>We&#39;ll be back soon</h1>
Accept-Language: de-DE,de;q=0.9,en;q=0.8 | Content-Language: de\nContent-Type: text/html; charset=utf-8      | <html lang="de" dir="ltr">.*<title>Wartungsarbeiten</title>.*<h1>Wir sind gleich wieder da</h1>
Accept-Language: fr-FR,fr;q=0.9          | Content-Language: fr\nContent-Type: text/html; charset=utf-8      | <html lang="fr" dir="ltr">.*<title>Maintenance en cours</title>.*<h1>Nous revenons très vite</h1>
Accept-Language: es-ES                   | Content-Language: es\nContent-Type: text/html; charset=utf-8      | <html lang="es" dir="ltr">.*<title>En mantenimiento</title>.*<h1>Volvemos enseguida</h1>
Accept-Language: it                      | Content-Language: it\nContent-Type: text/html; charset=utf-8      | <html lang="it" dir="ltr">.*<title>Manutenzione in corso</title>.*<h1>Torniamo presto</h1>
Accept-Language: pt-BR,pt;q=0.9          | Content-Language: pt\nContent-Type: text/html; charset=utf-8      | <html lang="pt" dir="ltr">.*<title>Em manutenção</title>.*<h1>Voltamos em breve</h1>
Accept-Language: nl-NL                   | Content-Language: nl\nContent-Type: text/html; charset=utf-8      | <html lang="nl" dir="ltr">.*<title>Onderhoud</title>.*<h1>We zijn zo terug</h1>
Accept-Language: pl                      | Content-Language: pl\nContent-Type: text/html; charset=utf-8      | <html lang="pl" dir="ltr">.*<title>Przerwa techniczna</title>.*<h1>Zaraz wracamy</h1>
Accept-Language: ja-JP                   | Content-Language: ja\nContent-Type: text/html; charset=utf-8      | <html lang="ja" dir="ltr">.*<title>メンテナンス中</title>.*<h1>まもなく再開します</h1>
Accept-Language: zh-CN,zh;q=0.9          | Content-Language: zh-Hans\nContent-Type: text/html; charset=utf-8 | <html lang="zh-Hans" dir="ltr">.*<title>维护中</title>.*<h1>我们很快回来</h1>


=== TEST 11: no Accept-Language: English, and the response still varies on it
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_headers
Content-Language: en
Vary: Accept,Accept-Language
--- response_body_like
<html lang="en" dir="ltr">.*<h1>We&#39;ll be back soon</h1>



=== TEST 12: q-values decide, not the order
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: fr;q=0.3, de;q=0.8, it;q=0.5
--- error_code: 503
--- response_headers
Content-Language: de
--- response_body_like
<h1>Wir sind gleich wieder da</h1>



=== TEST 13: at the same q, the language named first wins; q=0 refuses one
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: nl;q=0, es, pt
--- error_code: 503
--- response_headers
Content-Language: es



=== TEST 14: a range is cut back to a language we speak (de-AT-x-foo -> de), case-insensitively
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: DE-at-x-foo
--- error_code: 503
--- response_headers
Content-Language: de



=== TEST 15: "zh" and "zh-Hans-CN" mean Simplified Chinese; Traditional Chinese falls back to English
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: zh-TW, zh-Hant;q=0.9, zh-Hans-CN;q=0.5
--- error_code: 503
--- response_headers
Content-Language: zh-Hans
--- response_body_like
<h1>我们很快回来</h1>



=== TEST 16: unknown languages fall back to English
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: sv-SE, fi;q=0.8, zh-TW;q=0.5
--- error_code: 503
--- response_headers
Content-Language: en
Vary: Accept,Accept-Language
--- response_body_like
<h1>We&#39;ll be back soon</h1>



=== TEST 17: "*" takes the fallback, a language named with a higher q beats it
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: *;q=0.5, pl
--- error_code: 503
--- response_headers
Content-Language: pl



=== TEST 18: the read-only refusal page in the visitor's language, Vary merged with Accept
--- ctl
readonly --reason "Datenbank-Upgrade"
--- request
POST /form
x=1
--- more_headers
Accept-Language: de
--- error_code: 503
--- response_headers
Content-Language: de
Vary: Accept,Accept-Language
--- response_body_like
<html lang="de" dir="ltr">.*<title>Nur-Lese-Modus</title>.*<h1>Änderungen sind gerade nicht möglich</h1>.*<p class="reason">Datenbank-Upgrade</p>



=== TEST 19: the operator's reason is shown as written, never translated
--- ctl
maintenance --reason "Upgrading the database <v2>"
--- request
GET /
--- more_headers
Accept-Language: ja
--- error_code: 503
--- response_body_like
<h1>まもなく再開します</h1>\n<p class="reason">Upgrading the database &lt;v2&gt;</p>



=== TEST 20: without a reason, the default reason is in the visitor's language
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: fr
--- error_code: 503
--- response_body_like
<p class="reason">Une maintenance programmée est en cours\.</p>



=== TEST 21: JSON refusals stay English and do not vary on Accept-Language
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept: application/json
Accept-Language: de
--- error_code: 503
--- response_headers
Content-Type: application/problem+json
Vary: Accept
!Content-Language
--- response_body_like
"title":"Down for maintenance","status":503,"detail":"Scheduled maintenance is in progress\."



=== TEST 22: text refusals stay English too
--- ctl
readonly
--- request
POST /x
a=1
--- more_headers
Accept: text/plain
Accept-Language: es
--- error_code: 503
--- response_headers
Vary: Accept
!Content-Language
--- response_body_like
^Read-only mode: changes are paused\nChanges are paused while we upgrade\.



=== TEST 23: UpkeepLanguage with one language pins it: no Vary on Accept-Language
--- config
UpkeepLanguage nl
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: de, en
--- error_code: 503
--- response_headers
Content-Language: nl
Vary: Accept
--- response_body_like
<h1>We zijn zo terug</h1>



=== TEST 24: UpkeepLanguage with a list limits the set
--- config
UpkeepLanguage fr de
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: it, de;q=0.5
--- error_code: 503
--- response_headers
Content-Language: de
Vary: Accept,Accept-Language



=== TEST 25: UpkeepLanguage with a list: the first listed is the fallback
--- config
UpkeepLanguage fr de
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: en-GB, it
--- error_code: 503
--- response_headers
Content-Language: fr



=== TEST 26: UpkeepLanguage in a directory overrides the server's, and auto restores the default
--- config
UpkeepLanguage pt
<Location /auto>
    UpkeepLanguage auto
</Location>
--- ctl
maintenance
--- request
GET /auto/x
--- more_headers
Accept-Language: pl
--- error_code: 503
--- response_headers
Content-Language: pl



=== TEST 27: UpkeepLanguage with an unknown code refuses to start, naming it and the known ones
--- must_die
--- config
UpkeepLanguage de xx-YY
--- startup_error_like
UpkeepLanguage: unknown language 'xx-YY' \(known: en, de, fr, es, it, pt, nl, pl, ja, zh-Hans; or auto\)



=== TEST 27a: UpkeepLanguage with a language twice (or under two names) refuses to start
--- must_die
--- config
UpkeepLanguage de en zh zh-CN
--- startup_error_like
UpkeepLanguage: 'zh-CN' is listed twice \(or under two names\)



=== TEST 27b: UpkeepLanguage with every language and more names than there are languages: refused, never past the table
--- must_die
--- config
UpkeepLanguage en de fr es it pt nl pl ja zh-Hans en
--- startup_error_like
UpkeepLanguage: 'en' is listed twice



=== TEST 28: UpkeepLanguage auto with a language refuses to start
--- must_die
--- config
UpkeepLanguage auto de
--- startup_error_like
UpkeepLanguage: auto stands alone



=== TEST 29: the built-in page names the site (ServerName) once, and says "back" once
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
<p class="site">localhost</p>\n<h1>We&#39;ll be back soon</h1>\n<p class="reason">Scheduled maintenance is in progress\.</p>\n<p class="when">This page will try again in <span id="countdown" data-left="60">60 seconds</span>\.</p>
--- response_body_unlike
back shortly



=== TEST 30: UpkeepSiteName names the site instead, escaped
--- config
UpkeepSiteName "Shop & Co <EU>"
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
<p class="site">Shop &amp; Co &lt;EU&gt;</p>



=== TEST 31: templates get {{lang}}, {{dir}} and {{site}}
--- user_files
>>> conf/lang.html
<html lang="{{lang}}" dir="{{dir}}"><p>{{site}}: {{reason}}</p></html>
--- config
UpkeepPage conf/lang.html
UpkeepSiteName shop.example
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: it-IT
--- error_code: 503
--- response_headers
Content-Language: it
Vary: Accept,Accept-Language
--- response_body_like
^<html lang="it" dir="ltr"><p>shop\.example: Stiamo effettuando una manutenzione programmata\.</p></html>$



=== TEST 32: a template's {{lang}} follows UpkeepLanguage too
--- user_files
>>> conf/lang.html
[{{lang}}]
--- config
UpkeepPage conf/lang.html
UpkeepLanguage ja
--- ctl
maintenance
--- request
GET /
--- error_code: 503
--- response_body_like
^\[ja\]$



=== SHARED: an UpkeepPage template written in English, without {{lang}}, asked for by a German visitor
--- define: plain_page
--- user_files
>>> conf/plain.html
<p>We are upgrading.</p>
--- config
UpkeepPage conf/plain.html
--- ctl
maintenance
--- request
GET /
--- more_headers
Accept-Language: de
--- error_code: 503



=== TEST 32a: a template without {{lang}} claims no language: no Content-Language for a German visitor
--- use: plain_page
--- response_headers
!Content-Language
--- response_body_like
^<p>We are upgrading\.</p>$



=== TEST 32b: the same template with its language pinned (UpkeepLanguage en) says it
--- use: plain_page
--- config
UpkeepPage conf/plain.html
UpkeepLanguage en
--- response_headers
Content-Language: en
Vary: Accept



=== TEST 33: --for 30m: the page reloads every 60 s, not every 1800 s; Retry-After stays
--- ctl
maintenance --for 30m
--- request
GET /
--- error_code: 503
--- response_headers_like
Retry-After: 1[78]\d\d
--- response_body_like
<meta http-equiv="refresh" content="60">



=== TEST 34: an explicit UpkeepRefresh still wins over the 60 s cap
--- config
UpkeepRefresh 5m
--- ctl
maintenance --for 30m
--- request
GET /
--- error_code: 503
--- response_body_like
<meta http-equiv="refresh" content="300">



=== TEST 35: a short Retry-After is still the reload, never under 5 s
--- ctl
maintenance --retry-after 20
--- request
GET /
--- error_code: 503
--- response_body_like
<meta http-equiv="refresh" content="20">



=== TEST 36: with an end, the page shows it as a <time> the script puts in local time, in the visitor's language
--- ctl
maintenance --for 10m
--- request
GET /
--- more_headers
Accept-Language: de
--- error_code: 503
--- response_body_like
<p class="when">Voraussichtlich wieder erreichbar ab <time datetime="20\d\d-[^"]+">\w\w\w, \d\d \w\w\w 20\d\d \d\d:\d\d:\d\d GMT</time>\.</p>\n<p class="when" hidden>Verbleibende Zeit: <span id="countdown".*var U='Tg\.\|Std\.\|Min\.\|Sek\.\|Sekunde\|Sekunden'.*toLocaleString\(L,



=== TEST 37: the read-only banner in the visitor's language, declaring it, and Vary
--- user_files
>>> page.html
<html><body>
<p>content</p>
</body></html>
--- ctl
readonly --reason "Wartung"
--- request
GET /page.html
--- more_headers
Accept-Language: de-CH
--- error_code: 200
--- response_headers
Vary: Accept-Language
!Content-Language
--- response_body_like
<body><div id="upkeep-banner" role="status" lang="de" dir="ltr" style="[^"]+"><strong>&#xC4;nderungen sind gerade nicht m&#xF6;glich</strong> \(Wartung\)\. Sie k&#xF6;nnen die Website weiter ansehen und bald wieder speichern\.</div>



=== TEST 38: the hold banner in Japanese (as character references: the page's charset is unknown)
--- user_files
>>> page.html
<html><body>
<p>content</p>
</body></html>
--- ctl
hold
--- request
GET /page.html
--- more_headers
Accept-Language: ja
--- error_code: 200
--- response_body_like
<div id="upkeep-banner" role="status" lang="ja" dir="ltr"[^>]*><strong>&#x4FDD;&#x5B58;



=== TEST 39: the announcement of a scheduled window in the visitor's language
--- user_files
>>> page.html
<html><body>
<p>content</p>
</body></html>
--- ctl
maintenance --at +30m --for 1h --reason "DB"
--- request
GET /page.html
--- more_headers
Accept-Language: es
--- error_code: 200
--- response_headers
Vary: Accept-Language
--- response_body_like
<div id="upkeep-banner" role="status" lang="es" dir="ltr"[^>]*><strong>Mantenimiento programado:</strong> este sitio no estar&#xE1; disponible desde el <time datetime="[^"]+">[^<]+</time> hasta el <time datetime="[^"]+">[^<]+</time>\. \(DB\)</div>



=== TEST 40: UpkeepLanguage pins the banner too (no Vary)
--- user_files
>>> page.html
<html><body>
<p>content</p>
</body></html>
--- config
UpkeepLanguage pl
--- ctl
readonly
--- request
GET /page.html
--- more_headers
Accept-Language: de
--- error_code: 200
--- response_headers
!Vary
--- response_body_like
<strong>Zmiany s&#x105; wstrzymane</strong>\.
