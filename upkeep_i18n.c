/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * upkeep_i18n.c: the words of the built-in pages and banners, in every
 * language they speak, and the choice of one from Accept-Language.  A
 * leaf: APR only, nothing of httpd or of the other files, so that the
 * fuzz targets link it as it is.
 *
 * The strings are HTML fragments (trusted constants) that may hold the
 * placeholders of templates ({{retry_after}}, {{until}}...): the built-in
 * templates are put together from them at startup, once per language.
 * Written as people of each language write a notice on a web site:
 * short, friendly and plain; the operator's --reason is shown as given.
 */

#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "upkeep_private.h"

/* The end of a window, as a readable HTTP-date the script turns into the
 * visitor's local time. */
#define UNTIL  "<time datetime=\"{{until}}\">{{until_http}}</time>"
#define STARTS "<time datetime=\"{{starts}}\">{{starts_http}}</time>"
/* The countdown of the maintenance page's reload (its unit follows). */
#define COUNTDOWN "<span id=\"countdown\" data-left=\"{{refresh}}\">"
#define REASON(open, close) "{{#reason}}" open "{{reason}}" close \
    "{{/reason}}"

const upkeep_lang_t upkeep_langs[UPKEEP_LANG_COUNT] = {
    {
        "en", NULL, "ltr", "d|h|min|s|second|seconds",
        "Down for maintenance",
        "We&#39;ll be back soon",
        "Scheduled maintenance is in progress.",
        "Expected back by " UNTIL ".",
        "This page will try again in " COUNTDOWN "{{refresh}} seconds"
        "</span>.",
        "Please try again in {{retry_after}} seconds.",
        "Time left:",
        "Read-only mode",
        "Changes are paused",
        "The site is read-only for a short while, so this change was not "
        "saved. Please try again in {{retry_after}} seconds.",
        "Changes are paused while we upgrade.",
        "Changes are expected to work again by " UNTIL ".",
        {
            "<strong>Changes are paused</strong>" REASON(" (", ")")
            ". You can keep browsing; saving is back"
            "{{#until}} at " UNTIL "{{/until}}{{^until}} soon{{/until}}.",
            "<strong>Saving may take a few seconds</strong>"
            REASON(" (", ")") ": changes wait a moment, then go through."
            "{{#until}} Until " UNTIL ".{{/until}}",
        },
        {
            "<strong>Scheduled maintenance:</strong> this site will be "
            "unavailable from " STARTS "{{#until}} until " UNTIL
            "{{/until}}." REASON(" (", ")"),
            "<strong>Scheduled maintenance:</strong> changes will be paused "
            "from " STARTS "{{#until}} until " UNTIL "{{/until}}."
            REASON(" (", ")"),
        },
    },
    {
        "de", NULL, "ltr", "Tg.|Std.|Min.|Sek.|Sekunde|Sekunden",
        "Wartungsarbeiten",
        "Wir sind gleich wieder da",
        "Wir führen gerade geplante Wartungsarbeiten durch.",
        "Voraussichtlich wieder erreichbar ab " UNTIL ".",
        "Diese Seite wird in " COUNTDOWN "{{refresh}} Sekunden</span> "
        "neu geladen.",
        "Bitte versuchen Sie es in {{retry_after}} Sekunden noch einmal.",
        "Verbleibende Zeit:",
        "Nur-Lese-Modus",
        "Änderungen sind gerade nicht möglich",
        "Die Website ist für kurze Zeit schreibgeschützt, deshalb wurde "
        "Ihre Änderung nicht gespeichert. Bitte versuchen Sie es in "
        "{{retry_after}} Sekunden noch einmal.",
        "Während eines Updates sind Änderungen vorübergehend nicht möglich.",
        "Änderungen sind voraussichtlich ab " UNTIL " wieder möglich.",
        {
            "<strong>Änderungen sind gerade nicht möglich</strong>"
            REASON(" (", ")") ". Sie können die Website weiter ansehen und"
            "{{#until}} ab " UNTIL "{{/until}}{{^until}} bald{{/until}} "
            "wieder speichern.",
            "<strong>Speichern kann einige Sekunden dauern</strong>"
            REASON(" (", ")") ": Ihre Änderungen werden kurz "
            "zurückgehalten und dann übernommen.{{#until}} Das gilt bis "
            UNTIL ".{{/until}}",
        },
        {
            "<strong>Geplante Wartung:</strong> Diese Website ist "
            "{{#until}}von{{/until}}{{^until}}ab{{/until}} " STARTS
            "{{#until}} bis " UNTIL "{{/until}} nicht erreichbar."
            REASON(" (", ")"),
            "<strong>Geplante Wartung:</strong> Änderungen sind "
            "{{#until}}von{{/until}}{{^until}}ab{{/until}} " STARTS
            "{{#until}} bis " UNTIL "{{/until}} nicht möglich."
            REASON(" (", ")"),
        },
    },
    {
        "fr", NULL, "ltr", "j|h|min|s|seconde|secondes",
        "Maintenance en cours",
        "Nous revenons très vite",
        "Une maintenance programmée est en cours.",
        "Retour prévu&#160;: " UNTIL ".",
        "Cette page se rechargera dans " COUNTDOWN
        "{{refresh}}&#160;secondes</span>.",
        "Merci de réessayer dans {{retry_after}}&#160;secondes.",
        "Temps restant&#160;:",
        "Mode lecture seule",
        "Modifications suspendues",
        "Le site est en lecture seule pour quelques instants&#160;: votre "
        "modification n’a pas été enregistrée. Merci de réessayer dans "
        "{{retry_after}}&#160;secondes.",
        "Les modifications sont suspendues le temps d’une mise à jour.",
        "Les modifications devraient être de nouveau possibles vers "
        UNTIL ".",
        {
            "<strong>Modifications suspendues</strong>" REASON(" (", ")")
            ". Vous pouvez continuer à naviguer&#160;; l’enregistrement "
            "sera rétabli{{#until}} vers " UNTIL "{{/until}}"
            "{{^until}} très bientôt{{/until}}.",
            "<strong>L’enregistrement peut prendre quelques secondes"
            "</strong>" REASON(" (", ")") "&#160;: vos modifications sont "
            "mises en attente un instant, puis prises en compte."
            "{{#until}} Cela devrait durer jusqu’à " UNTIL ".{{/until}}",
        },
        {
            "<strong>Maintenance programmée&#160;:</strong> ce site sera "
            "indisponible {{#until}}du{{/until}}{{^until}}à partir du"
            "{{/until}} " STARTS "{{#until}} au " UNTIL "{{/until}}."
            REASON(" (", ")"),
            "<strong>Maintenance programmée&#160;:</strong> les "
            "modifications seront suspendues {{#until}}du{{/until}}"
            "{{^until}}à partir du{{/until}} " STARTS "{{#until}} au "
            UNTIL "{{/until}}." REASON(" (", ")"),
        },
    },
    {
        "es", NULL, "ltr", "d|h|min|s|segundo|segundos",
        "En mantenimiento",
        "Volvemos enseguida",
        "Estamos realizando un mantenimiento programado.",
        "Prevemos terminar hacia el " UNTIL ".",
        "Esta página se recargará en " COUNTDOWN "{{refresh}} segundos"
        "</span>.",
        "Vuelva a intentarlo en {{retry_after}} segundos.",
        "Tiempo restante:",
        "Modo de solo lectura",
        "Cambios en pausa",
        "El sitio está temporalmente en modo de solo lectura, así que "
        "este cambio no se ha guardado. Vuelva a intentarlo en "
        "{{retry_after}} segundos.",
        "Los cambios están en pausa mientras actualizamos el sitio.",
        "Podrá volver a hacer cambios hacia el " UNTIL ".",
        {
            "<strong>Cambios en pausa</strong>" REASON(" (", ")")
            ". Puede seguir navegando; podrá volver a guardar"
            "{{#until}} a partir del " UNTIL "{{/until}}"
            "{{^until}} en breve{{/until}}.",
            "<strong>Guardar puede tardar unos segundos</strong>"
            REASON(" (", ")") ": los cambios quedan un momento en espera "
            "y después se aplican.{{#until}} Esto durará hasta el " UNTIL
            ".{{/until}}",
        },
        {
            "<strong>Mantenimiento programado:</strong> este sitio no "
            "estará disponible {{#until}}desde el{{/until}}{{^until}}a "
            "partir del{{/until}} " STARTS "{{#until}} hasta el " UNTIL
            "{{/until}}." REASON(" (", ")"),
            "<strong>Mantenimiento programado:</strong> los cambios "
            "estarán en pausa {{#until}}desde el{{/until}}{{^until}}a "
            "partir del{{/until}} " STARTS "{{#until}} hasta el " UNTIL
            "{{/until}}." REASON(" (", ")"),
        },
    },
    {
        "it", NULL, "ltr", "g|h|min|s|secondo|secondi",
        "Manutenzione in corso",
        "Torniamo presto",
        "Stiamo effettuando una manutenzione programmata.",
        "Prevediamo di terminare i lavori entro " UNTIL ".",
        "Questa pagina si ricaricherà tra " COUNTDOWN "{{refresh}} secondi"
        "</span>.",
        "Riprovare tra {{retry_after}} secondi.",
        "Tempo rimanente:",
        "Modalità di sola lettura",
        "Modifiche sospese",
        "Il sito è temporaneamente in sola lettura, quindi questa "
        "modifica non è stata salvata. Riprovare tra {{retry_after}} "
        "secondi.",
        "Le modifiche sono sospese per un aggiornamento in corso.",
        "Dovrebbe essere di nuovo possibile salvare le modifiche entro "
        UNTIL ".",
        {
            "<strong>Modifiche sospese</strong>" REASON(" (", ")")
            ". È possibile continuare a navigare; il salvataggio tornerà "
            "disponibile{{#until}} entro " UNTIL "{{/until}}"
            "{{^until}} a breve{{/until}}.",
            "<strong>Il salvataggio può richiedere qualche secondo"
            "</strong>" REASON(" (", ")") ": le modifiche restano in "
            "attesa per un momento, poi vengono applicate.{{#until}} "
            "Durerà fino a " UNTIL ".{{/until}}",
        },
        {
            "<strong>Manutenzione programmata:</strong> il sito non sarà "
            "disponibile {{#until}}da{{/until}}{{^until}}a partire da"
            "{{/until}} " STARTS "{{#until}} a " UNTIL "{{/until}}."
            REASON(" (", ")"),
            "<strong>Manutenzione programmata:</strong> le modifiche "
            "saranno sospese {{#until}}da{{/until}}{{^until}}a partire da"
            "{{/until}} " STARTS "{{#until}} a " UNTIL "{{/until}}."
            REASON(" (", ")"),
        },
    },
    {
        "pt", NULL, "ltr", "d|h|min|s|segundo|segundos",
        "Em manutenção",
        "Voltamos em breve",
        "Está em curso uma manutenção programada.",
        "Prevemos concluir os trabalhos até " UNTIL ".",
        "Esta página será recarregada em " COUNTDOWN "{{refresh}} segundos"
        "</span>.",
        "Tente novamente daqui a {{retry_after}} segundos.",
        "Tempo restante:",
        "Modo apenas de leitura",
        "Alterações em pausa",
        "O site está temporariamente em modo apenas de leitura, por isso "
        "esta alteração não foi guardada. Tente novamente daqui a "
        "{{retry_after}} segundos.",
        "As alterações estão em pausa enquanto atualizamos o site.",
        "Deverá voltar a ser possível fazer alterações a partir de "
        UNTIL ".",
        {
            "<strong>Alterações em pausa</strong>" REASON(" (", ")")
            ". Pode continuar a navegar; será possível guardar novamente"
            "{{#until}} a partir de " UNTIL "{{/until}}{{^until}} em breve"
            "{{/until}}.",
            "<strong>Guardar pode demorar alguns segundos</strong>"
            REASON(" (", ")") ": as alterações ficam um momento em espera "
            "e depois são aplicadas.{{#until}} Isto deverá durar até "
            UNTIL ".{{/until}}",
        },
        {
            "<strong>Manutenção programada:</strong> este site ficará "
            "indisponível {{#until}}de{{/until}}{{^until}}a partir de"
            "{{/until}} " STARTS "{{#until}} até " UNTIL "{{/until}}."
            REASON(" (", ")"),
            "<strong>Manutenção programada:</strong> as alterações "
            "ficarão em pausa {{#until}}de{{/until}}{{^until}}a partir de"
            "{{/until}} " STARTS "{{#until}} até " UNTIL "{{/until}}."
            REASON(" (", ")"),
        },
    },
    {
        "nl", NULL, "ltr", "d|u|min|s|seconde|seconden",
        "Onderhoud",
        "We zijn zo terug",
        "We voeren gepland onderhoud uit.",
        "Het onderhoud duurt naar verwachting tot " UNTIL ".",
        "Deze pagina wordt over " COUNTDOWN "{{refresh}} seconden</span> "
        "opnieuw geladen.",
        "Probeer het over {{retry_after}} seconden opnieuw.",
        "Resterende tijd:",
        "Alleen-lezenmodus",
        "Wijzigen is even niet mogelijk",
        "De site staat tijdelijk in alleen-lezenmodus, dus je wijziging is "
        "niet opgeslagen. Probeer het over {{retry_after}} seconden "
        "opnieuw.",
        "Wijzigen is tijdelijk niet mogelijk vanwege een update.",
        "Wijzigen kan naar verwachting weer vanaf " UNTIL ".",
        {
            "<strong>Wijzigen is even niet mogelijk</strong>"
            REASON(" (", ")") ". Je kunt de site gewoon blijven bekijken; "
            "opslaan kan{{#until}} vanaf " UNTIL "{{/until}}{{^until}} "
            "binnenkort{{/until}} weer.",
            "<strong>Opslaan kan een paar seconden duren</strong>"
            REASON(" (", ")") ": je wijzigingen worden even vastgehouden "
            "en daarna verwerkt.{{#until}} Dit duurt tot " UNTIL "."
            "{{/until}}",
        },
        {
            "<strong>Gepland onderhoud:</strong> deze site is "
            "{{#until}}van{{/until}}{{^until}}vanaf{{/until}} " STARTS
            "{{#until}} tot " UNTIL "{{/until}} niet bereikbaar."
            REASON(" (", ")"),
            "<strong>Gepland onderhoud:</strong> "
            "{{#until}}van{{/until}}{{^until}}vanaf{{/until}} " STARTS
            "{{#until}} tot " UNTIL "{{/until}} is wijzigen niet mogelijk."
            REASON(" (", ")"),
        },
    },
    {
        "pl", NULL, "ltr", "d|godz.|min|s|s|s",
        "Przerwa techniczna",
        "Zaraz wracamy",
        "Trwają zaplanowane prace serwisowe.",
        "Przewidywane zakończenie prac: " UNTIL ".",
        "Strona odświeży się za " COUNTDOWN "{{refresh}} s</span>.",
        "Prosimy spróbować ponownie za {{retry_after}} s.",
        "Pozostało:",
        "Tryb tylko do odczytu",
        "Zmiany są wstrzymane",
        "Serwis działa chwilowo w trybie tylko do odczytu, dlatego ta "
        "zmiana nie została zapisana. Prosimy spróbować ponownie za "
        "{{retry_after}} s.",
        "Na czas aktualizacji zapisywanie zmian jest wstrzymane.",
        "Przewidywane wznowienie zapisywania: " UNTIL ".",
        {
            "<strong>Zmiany są wstrzymane</strong>" REASON(" (", ")")
            ". Stronę można nadal przeglądać; zapisywanie zostanie "
            "wznowione{{#until}} (przewidywany termin: " UNTIL ")"
            "{{/until}}{{^until}} wkrótce{{/until}}.",
            "<strong>Zapisywanie może potrwać kilka sekund</strong>"
            REASON(" (", ")") ": zmiany chwilę poczekają w kolejce, a "
            "potem zostaną wprowadzone.{{#until}} Przewidywany koniec: "
            UNTIL ".{{/until}}",
        },
        {
            /* a date after od/do would need the genitive, which the
             * script's weekday (and the HTTP-date) cannot give */
            "<strong>Planowana przerwa techniczna:</strong> serwis będzie "
            "niedostępny. Początek: " STARTS "{{#until}}, koniec: " UNTIL
            "{{/until}}." REASON(" (", ")"),
            "<strong>Planowane prace serwisowe:</strong> zapisywanie zmian "
            "będzie wstrzymane. Początek: " STARTS "{{#until}}, koniec: "
            UNTIL "{{/until}}." REASON(" (", ")"),
        },
    },
    {
        "ja", NULL, "ltr", "日|時間|分|秒|秒|秒",
        "メンテナンス中",
        "まもなく再開します",
        "ただいま計画メンテナンスを実施しています。",
        "メンテナンスの終了予定は " UNTIL " です。",
        COUNTDOWN "{{refresh}} 秒</span>後にこのページを再読み込みします。",
        "{{retry_after}} 秒後にもう一度お試しください。",
        "残り時間：",
        "読み取り専用モード",
        "ただいま変更を保存できません",
        "サイトが一時的に読み取り専用になっているため、この変更は"
        "保存されませんでした。{{retry_after}} 秒後にもう一度お試しください。",
        "アップデートのため、変更の受け付けを一時停止しています。",
        "変更の受け付けは " UNTIL " ごろに再開する予定です。",
        {
            "<strong>変更の受け付けを一時停止しています</strong>"
            REASON("（", "）") "。サイトは引き続きご覧いただけます。保存は"
            "{{#until}} " UNTIL " ごろに{{/until}}{{^until}}まもなく"
            "{{/until}}再開します。",
            "<strong>保存に数秒かかる場合があります</strong>"
            REASON("（", "）") "：変更は少し遅れて反映されます。"
            "{{#until}}（" UNTIL " まで）{{/until}}",
        },
        {
            "<strong>メンテナンスのお知らせ：</strong>" STARTS
            "{{#until}} から " UNTIL " まで{{/until}}{{^until}} から"
            "{{/until}}、このサイトはご利用いただけません。"
            REASON("（", "）"),
            "<strong>メンテナンスのお知らせ：</strong>" STARTS
            "{{#until}} から " UNTIL " まで{{/until}}{{^until}} から"
            "{{/until}}、変更の受け付けを一時停止します。"
            REASON("（", "）"),
        },
    },
    {
        "zh-Hans", "zh-CN zh-SG zh-MY", "ltr", "天|小时|分|秒|秒|秒",
        "维护中",
        "我们很快回来",
        "网站正在进行计划维护。",
        "预计恢复时间：" UNTIL "。",
        "本页面将在 " COUNTDOWN "{{refresh}} 秒</span>后自动刷新。",
        "请在 {{retry_after}} 秒后重试。",
        "剩余时间：",
        "只读模式",
        "暂时无法保存更改",
        "网站目前处于只读状态，因此本次更改未能保存。请在 {{retry_after}} "
        "秒后重试。",
        "系统升级期间，暂停保存更改。",
        "预计 " UNTIL " 起可以再次保存更改。",
        {
            "<strong>暂时无法保存更改</strong>" REASON("（", "）")
            "。您可以继续浏览；保存功能{{#until}}将于 " UNTIL " 恢复"
            "{{/until}}{{^until}}很快就会恢复{{/until}}。",
            "<strong>保存可能需要几秒钟</strong>" REASON("（", "）")
            "：更改将在短暂等待后生效。{{#until}}预计持续至 " UNTIL
            "。{{/until}}",
        },
        {
            "<strong>计划维护：</strong>本网站将于 " STARTS " 起"
            "{{#until}}至 " UNTIL " {{/until}}暂停服务。"
            REASON("（", "）"),
            "<strong>计划维护：</strong>本网站将于 " STARTS " 起"
            "{{#until}}至 " UNTIL " {{/until}}暂停保存更改。"
            REASON("（", "）"),
        },
    },
};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Whether the first n bytes of a and b are the same, ASCII case folded. */
static int same(const char *a, const char *b, apr_size_t n)
{
    for (; n; n--, a++, b++) {
        if (lower((unsigned char)*a) != lower((unsigned char)*b)) {
            return 0;
        }
    }
    return 1;
}

/* How a language range (RFC 4647) names tag: 0 not at all, else the more
 * the more specific.  "de-DE" names "de" (lookup: the range is cut back),
 * "zh" names "zh-Hans" (basic filtering), "*" names everything. */
static int range_names_tag(const char *range, apr_size_t len, const char *tag,
                           apr_size_t tlen)
{
    if ((len == tlen && same(range, tag, len))
        || (len > tlen && range[tlen] == '-' && same(range, tag, tlen))
        || (len < tlen && tag[len] == '-' && same(range, tag, len))) {
        return (int)(len < tlen ? len : tlen) + 2;
    }
    return 0;
}

static int range_names(const char *range, apr_size_t len,
                       const upkeep_lang_t *l)
{
    const char *a = l->aliases;
    int best = range_names_tag(range, len, l->code, strlen(l->code));

    if (len == 1 && range[0] == '*') {
        return 1;
    }
    while (a && *a) {
        apr_size_t n = strcspn(a, " ");
        int s = range_names_tag(range, len, a, n);

        if (s > best) {
            best = s;
        }
        a += n;
        a += strspn(a, " ");
    }
    return best;
}

int upkeep_lang_find(const char *code)
{
    int i;

    for (i = 0; i < UPKEEP_LANG_COUNT; i++) {
        const char *a = upkeep_langs[i].aliases;
        apr_size_t len = strlen(code);

        if (strlen(upkeep_langs[i].code) == len
            && same(code, upkeep_langs[i].code, len)) {
            return i;
        }
        while (a && *a) {
            apr_size_t n = strcspn(a, " ");

            if (n == len && same(a, code, n)) {
                return i;
            }
            a += n;
            a += strspn(a, " ");
        }
    }
    /* a bare "zh" names Simplified Chinese, the only one spoken here */
    if (same(code, "zh", 3)) {
        return upkeep_lang_find("zh-Hans");
    }
    return -1;
}

const char *upkeep_lang_known(apr_pool_t *p)
{
    const char *known = upkeep_langs[0].code;
    int i;

    for (i = 1; i < UPKEEP_LANG_COUNT; i++) {
        known = apr_pstrcat(p, known, ", ", upkeep_langs[i].code, NULL);
    }
    return known;
}

/* "q=0.5" -> 500; anything malformed counts as 1. */
static int lang_q(const char *v, const char *end)
{
    int q = 0, scale = 1000;

    if (v == end || *v != '0') {
        return 1000;
    }
    if (++v < end && *v == '.') {
        for (v++; v < end && apr_isdigit(*v) && scale > 1; v++) {
            scale /= 10;
            q += (*v - '0') * scale;
        }
    }
    return q;
}

int upkeep_lang_negotiate(const char *accept, const int *allowed, int n)
{
    int q[UPKEEP_LANG_COUNT], spec[UPKEEP_LANG_COUNT], pos[UPKEEP_LANG_COUNT];
    int i, best = -1, position = 0;
    const char *c = accept;

    if (n <= 0 || n > UPKEEP_LANG_COUNT) {
        n = UPKEEP_LANG_COUNT;      /* the arrays hold one of each */
        allowed = NULL;
    }
    for (i = 0; i < n; i++) {
        q[i] = spec[i] = pos[i] = 0;
    }
    while (c && *c) {
        const char *range, *range_end, *elem_end, *param;
        int this_q = 1000;

        c += strspn(c, " \t,");
        if (!*c) {
            break;
        }
        range = c;
        range_end = range + strcspn(range, ";, \t");
        elem_end = range + strcspn(range, ",");
        for (param = range_end; param < elem_end; ) {
            const char *name = param + strspn(param, "; \t");
            const char *pend = name + strcspn(name, ";,");

            if (pend > elem_end) {
                pend = elem_end;
            }
            if (pend - name >= 2 && lower((unsigned char)name[0]) == 'q'
                && name[1] == '=') {
                this_q = lang_q(name + 2, pend);
            }
            param = pend > name ? pend : name + 1;
        }
        position++;
        for (i = 0; range_end > range && i < n; i++) {
            const upkeep_lang_t *l = &upkeep_langs[allowed ? allowed[i] : i];
            int s = range_names(range, (apr_size_t)(range_end - range), l);

            /* the most specific range that names a language gives its q */
            if (s > spec[i]) {
                spec[i] = s;
                q[i] = this_q;
                pos[i] = position;
            }
        }
        c = elem_end;
    }
    /* the highest q; at the same q, the one the visitor named first;
     * then the configured order (the first is the fallback) */
    for (i = 0; i < n; i++) {
        if (q[i] > 0 && (best < 0 || q[i] > q[best]
                         || (q[i] == q[best] && pos[i] < pos[best]))) {
            best = i;
        }
    }
    if (best < 0) {
        best = 0;
    }
    return allowed ? allowed[best] : best;
}
