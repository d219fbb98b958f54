# ruff: noqa: E501 - a table of sentences reads better unbroken
"""Proactive notice texts per language (Polish first; English, German, Ukrainian), written like a person.

Placeholders: ``{n}`` order number, ``{carrier}``, ``{detail}`` (a reason, a date), ``{point}`` Paczkomat,
``{sent}``/``{total}`` parcels. Polish avoids the Pan/Pani form by speaking about the parcel, not the reader.
"""

TEXTS: dict[str, dict[str, str]] = {
    "pl": {
        "hello": "Dzień dobry!",
        "hello_name": "Dzień dobry, {first}!",
        "late": "Paczka z zamówienia nr {n} jedzie dłużej, niż zakładaliśmy — {carrier} zgłasza opóźnienie. "
        "Pilnujemy jej i odezwiemy się, gdy tylko coś się zmieni.",
        "compensation": " Przepraszamy za kłopot — jeśli opóźnienie pokrzyżowało plany, wystarczy odpisać, "
        "a zaproponujemy rekompensatę.",
        "no_scan": "Paczka z zamówienia nr {n} nie ma nowego skanu u przewoźnika {carrier} od {detail}. "
        "Sprawdzamy to z przewoźnikiem i damy znać, co dalej.",
        "exception": "Przewoźnik {carrier} nie doręczył paczki z zamówienia nr {n}: {detail}. Jeśli trzeba "
        "poprawić adres albo umówić ponowne doręczenie, wystarczy odpisać na tę wiadomość.",
        "exception_reason": "problem z doręczeniem",
        "lost": "Przewoźnik {carrier} zgłosił, że paczka z zamówienia nr {n} zaginęła. Wyjaśniamy to i wrócimy "
        "z propozycją rozwiązania — nie trzeba niczego robić.",
        "pickup": "Paczka z zamówienia nr {n} czeka na odbiór w Paczkomacie {point} do {detail}. Po tym terminie "
        "wróci do nas. Czas odbioru można przedłużyć w aplikacji InPost Mobile.",
        "partial": "Część zamówienia nr {n} ({sent} z {total} paczek) jest już w drodze, reszta wyruszy osobno. "
        "Nie trzeba niczego robić.",
        "refund": "Zleciliśmy zwrot pieniędzy za zamówienie nr {n}. Pieniądze wrócą tą samą drogą, którą zostały "
        "zapłacone; czas księgowania zależy od banku.",
        "refund_partial": "Zleciliśmy częściowy zwrot pieniędzy za zamówienie nr {n}. Pieniądze wrócą tą samą "
        "drogą, którą zostały zapłacone; czas księgowania zależy od banku.",
        "track": "Śledzenie przesyłki: {url}",
        "opt_out": "Nie chcesz takich powiadomień? {url}",
        "when": "%d.%m, godz. %H:%M",
        "carrier": "przewoźnik",
    },
    "en": {
        "hello": "Hello,",
        "hello_name": "Hello {first},",
        "late": "The parcel with order {n} is taking longer than we expected — {carrier} reports a delay. "
        "We are keeping an eye on it and will get back to you as soon as anything changes.",
        "compensation": " We are sorry for the trouble — if the delay upset your plans, just reply "
        "and we will offer something to make up for it.",
        "no_scan": "The parcel with order {n} has had no new scan from {carrier} since {detail}. "
        "We are checking with the carrier and will let you know what happens next.",
        "exception": "{carrier} could not deliver the parcel with order {n}: {detail}. If the address needs "
        "correcting or you would like another delivery, just reply to this message.",
        "exception_reason": "a delivery problem",
        "lost": "{carrier} has reported the parcel with order {n} as lost. We are looking into it and will "
        "come back with a solution — there is nothing you need to do.",
        "pickup": "The parcel with order {n} is waiting in Paczkomat {point} until {detail}. After that it "
        "comes back to us. You can extend the pickup time in the InPost Mobile app.",
        "partial": "Part of order {n} ({sent} of {total} parcels) is on its way; the rest will follow "
        "separately. There is nothing you need to do.",
        "refund": "We have issued a refund for order {n}. The money goes back the way it was paid; how long it "
        "takes to show depends on your bank.",
        "refund_partial": "We have issued a partial refund for order {n}. The money goes back the way it was "
        "paid; how long it takes to show depends on your bank.",
        "track": "Track the parcel: {url}",
        "opt_out": "Prefer not to get these updates? {url}",
        "when": "%d %b, %H:%M",
        "carrier": "the carrier",
    },
    "de": {
        "hello": "Guten Tag,",
        "hello_name": "Guten Tag {first},",
        "late": "Das Paket zu Bestellung {n} ist länger unterwegs als geplant — {carrier} meldet eine "
        "Verzögerung. Wir behalten es im Blick und melden uns, sobald sich etwas ändert.",
        "compensation": " Entschuldigen Sie die Unannehmlichkeiten — wenn die Verspätung Ihre Pläne "
        "durchkreuzt hat, antworten Sie einfach, und wir bieten Ihnen einen Ausgleich an.",
        "no_scan": "Das Paket zu Bestellung {n} wurde seit {detail} von {carrier} nicht mehr gescannt. "
        "Wir klären das mit dem Versanddienst und sagen Ihnen, wie es weitergeht.",
        "exception": "{carrier} konnte das Paket zu Bestellung {n} nicht zustellen: {detail}. Wenn die Adresse "
        "korrigiert oder eine neue Zustellung vereinbart werden soll, antworten Sie einfach auf diese Nachricht.",
        "exception_reason": "ein Zustellproblem",
        "lost": "{carrier} meldet das Paket zu Bestellung {n} als verloren. Wir klären das und kommen mit einer "
        "Lösung auf Sie zu — Sie müssen nichts tun.",
        "pickup": "Das Paket zu Bestellung {n} liegt bis {detail} im Paczkomat {point} zur Abholung bereit. "
        "Danach geht es an uns zurück. Die Abholfrist lässt sich in der App InPost Mobile verlängern.",
        "partial": "Ein Teil der Bestellung {n} ({sent} von {total} Paketen) ist schon unterwegs, der Rest folgt "
        "separat. Sie müssen nichts tun.",
        "refund": "Wir haben die Erstattung für Bestellung {n} veranlasst. Das Geld geht auf dem Zahlungsweg "
        "zurück; wann es gutgeschrieben wird, hängt von Ihrer Bank ab.",
        "refund_partial": "Wir haben eine Teilerstattung für Bestellung {n} veranlasst. Das Geld geht auf dem "
        "Zahlungsweg zurück; wann es gutgeschrieben wird, hängt von Ihrer Bank ab.",
        "track": "Sendungsverfolgung: {url}",
        "opt_out": "Keine solchen Hinweise mehr? {url}",
        "when": "%d.%m., %H:%M Uhr",
        "carrier": "der Versanddienst",
    },
    "uk": {
        "hello": "Добрий день!",
        "hello_name": "Добрий день, {first}!",
        "late": "Посилка із замовлення № {n} їде довше, ніж ми розраховували — {carrier} повідомляє про "
        "затримку. Ми стежимо за нею й напишемо, щойно щось зміниться.",
        "compensation": " Перепрошуємо за незручності — якщо затримка зіпсувала плани, просто дайте відповідь, "
        "і ми запропонуємо компенсацію.",
        "no_scan": "Посилка із замовлення № {n} не має нового сканування в {carrier} з {detail}. "
        "Ми з'ясовуємо це з перевізником і повідомимо, що далі.",
        "exception": "{carrier} не зміг доставити посилку із замовлення № {n}: {detail}. Якщо потрібно "
        "виправити адресу або домовитися про повторну доставку, просто дайте відповідь на це повідомлення.",
        "exception_reason": "проблема з доставкою",
        "lost": "{carrier} повідомив, що посилка із замовлення № {n} загубилася. Ми з'ясовуємо це й запропонуємо "
        "рішення — нічого робити не потрібно.",
        "pickup": "Посилка із замовлення № {n} чекає в пачкоматі {point} до {detail}. Після цього вона "
        "повернеться до нас. Термін отримання можна продовжити в застосунку InPost Mobile.",
        "partial": "Частина замовлення № {n} ({sent} з {total} посилок) уже в дорозі, решта вирушить окремо. "
        "Нічого робити не потрібно.",
        "refund": "Ми оформили повернення коштів за замовлення № {n}. Гроші повернуться тим самим способом, "
        "яким було сплачено; строк зарахування залежить від банку.",
        "refund_partial": "Ми оформили часткове повернення коштів за замовлення № {n}. Гроші повернуться тим "
        "самим способом, яким було сплачено; строк зарахування залежить від банку.",
        "track": "Відстеження посилки: {url}",
        "opt_out": "Не бажаєте отримувати такі повідомлення? {url}",
        "when": "%d.%m о %H:%M",
        "carrier": "перевізник",
    },
}
LANGUAGES = tuple(TEXTS)
