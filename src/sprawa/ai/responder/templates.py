# ruff: noqa: E501 - reply texts read better unbroken
"""Reply templates in Polish, English, Ukrainian and German.

Every number, date, status and name in a reply is a placeholder filled from shop data or shop policy;
the texts themselves promise nothing the shop has not said. Polish avoids gendered first-person forms
(the assistant is neither "sprawdziłem" nor "sprawdziłam").
"""

from typing import Any

LANGUAGES = ("pl", "en", "uk", "de")
TEMPLATE_VERSION = "t-2026-11-23"

T: dict[str, dict[str, str]] = {
    "disclosure": {
        "pl": "Tu automatyczny asystent sklepu {shop} — odpowiadam od razu, a w każdej chwili można "
        "poprosić o konsultanta (wystarczy napisać „konsultant”).",
        "en": "This is {shop}'s automated assistant — I answer straight away, and you can ask for a person "
        "at any time (just write “agent”).",
        "uk": "Це автоматичний помічник магазину {shop} — відповідаю одразу, а будь-коли можна попросити "
        "консультанта (просто напишіть «консультант»).",
        "de": "Hier schreibt der automatische Assistent von {shop} — ich antworte sofort, und Sie können "
        "jederzeit nach einem Menschen fragen (schreiben Sie einfach „Mitarbeiter“).",
    },
    "hello": {
        "pl": "Dzień dobry{name}!",
        "en": "Hello{name}!",
        "uk": "Добрий день{name}!",
        "de": "Guten Tag{name}!",
    },
    "how_can_i_help": {
        "pl": "W czym mogę pomóc? Mogę sprawdzić zamówienie i przesyłkę, przyjąć zwrot albo reklamację.",
        "en": "How can I help? I can check an order or a parcel and take a return or a complaint.",
        "uk": "Чим можу допомогти? Можу перевірити замовлення й посилку, прийняти повернення або рекламацію.",
        "de": "Wie kann ich helfen? Ich kann Bestellungen und Sendungen prüfen sowie Rücksendungen und "
        "Reklamationen aufnehmen.",
    },
    "thanks": {
        "pl": "Dziękuję za wiadomość! Gdyby pojawiło się jeszcze jakieś pytanie, jestem tutaj.",
        "en": "Thank you! If anything else comes up, I'm here.",
        "uk": "Дякую за повідомлення! Якщо виникнуть ще питання, я тут.",
        "de": "Vielen Dank! Wenn noch etwas ist, bin ich hier.",
    },
    "clarify": {
        "pl": "Chcę dobrze zrozumieć, o co chodzi — czy pytanie dotyczy statusu zamówienia, zwrotu, "
        "reklamacji, czy czegoś innego?",
        "en": "I'd like to get this right — is it about the status of an order, a return, a complaint, or "
        "something else?",
        "uk": "Хочу правильно зрозуміти — питання стосується статусу замовлення, повернення, рекламації "
        "чи чогось іншого?",
        "de": "Damit ich richtig helfe: Geht es um den Status einer Bestellung, eine Rücksendung, eine "
        "Reklamation oder etwas anderes?",
    },
    "offer_person": {
        "pl": "Jeśli wygodniej będzie porozmawiać z człowiekiem, wystarczy napisać „konsultant”.",
        "en": "If you'd rather talk to a person, just write “agent”.",
        "uk": "Якщо зручніше поговорити з людиною, просто напишіть «консультант».",
        "de": "Wenn Sie lieber mit einem Menschen sprechen möchten, schreiben Sie einfach „Mitarbeiter“.",
    },
    # --- identification -------------------------------------------------------------------------------
    "ask_verification": {
        "pl": "Chętnie sprawdzę. Proszę podać numer zamówienia oraz adres e-mail albo kod pocztowy, "
        "które były podane przy zakupie — to dla bezpieczeństwa Pani/Pana danych.",
        "en": "Happy to check. Please send the order number and the e-mail address or postcode used for "
        "the order — this keeps your data safe.",
        "uk": "Залюбки перевірю. Будь ласка, надішліть номер замовлення та e-mail або поштовий індекс, "
        "вказані під час покупки, — це для безпеки ваших даних.",
        "de": "Gern prüfe ich das. Bitte senden Sie die Bestellnummer und die bei der Bestellung "
        "angegebene E-Mail-Adresse oder Postleitzahl — zum Schutz Ihrer Daten.",
    },
    "ask_order_number": {
        "pl": "Którego zamówienia to dotyczy? Proszę podać jego numer.",
        "en": "Which order is it about? Please send its number.",
        "uk": "Якого замовлення це стосується? Будь ласка, вкажіть його номер.",
        "de": "Um welche Bestellung geht es? Bitte nennen Sie die Bestellnummer.",
    },
    "verification_failed": {
        "pl": "Niestety te dane do siebie nie pasują. Proszę sprawdzić numer zamówienia i e-mail (albo kod "
        "pocztowy) z potwierdzenia zamówienia.",
        "en": "Sorry, these details don't match. Please check the order number and the e-mail address (or "
        "postcode) in your order confirmation.",
        "uk": "На жаль, ці дані не збігаються. Перевірте номер замовлення та e-mail (або індекс) у "
        "підтвердженні замовлення.",
        "de": "Leider passen diese Angaben nicht zusammen. Bitte prüfen Sie Bestellnummer und E-Mail-Adresse "
        "(oder Postleitzahl) in Ihrer Bestellbestätigung.",
    },
    "order_not_theirs": {
        "pl": "Nie widzę zamówienia {number} wśród zamówień na Pani/Pana dane. Proszę sprawdzić numer w e-mailu z potwierdzeniem zamówienia.",
        "en": "I can't see order {number} among your orders. Please check the number in your order confirmation e-mail.",
        "uk": "Не бачу замовлення {number} серед ваших замовлень. Перевірте, будь ласка, номер у листі з підтвердженням.",
        "de": "Ich finde die Bestellung {number} nicht unter Ihren Bestellungen. Bitte prüfen Sie die Nummer in der Bestellbestätigung.",
    },
    "choose_order": {
        "pl": "Widzę kilka zamówień: {orders}. Którego dotyczy pytanie?",
        "en": "I can see several orders: {orders}. Which one is it about?",
        "uk": "Бачу кілька замовлень: {orders}. Якого стосується питання?",
        "de": "Ich sehe mehrere Bestellungen: {orders}. Um welche geht es?",
    },
    # --- WISMO ----------------------------------------------------------------------------------------
    "wismo_moving": {
        "pl": "Paczka z zamówienia {number} jest w drodze ({carrier}): {state}. Ostatni skan: {event}, {when}.",
        "en": "The parcel of order {number} is on its way ({carrier}): {state}. Last scan: {event}, {when}.",
        "uk": "Посилка із замовлення {number} у дорозі ({carrier}): {state}. Останнє сканування: {event}, {when}.",
        "de": "Das Paket der Bestellung {number} ist unterwegs ({carrier}): {state}. Letzter Scan: {event}, {when}.",
    },
    "wismo_eta": {
        "pl": "Przewoźnik przewiduje doręczenie {eta}.",
        "en": "The carrier expects to deliver it {eta}.",
        "uk": "Перевізник планує доставку {eta}.",
        "de": "Der Versanddienstleister erwartet die Zustellung am {eta}.",
    },
    "wismo_pickup": {
        "pl": "Paczka czeka na odbiór w Paczkomacie {point}{deadline}. Kod odbioru przewoźnik wysyła SMS-em "
        "i e-mailem.",
        "en": "The parcel is waiting in Paczkomat {point}{deadline}. The carrier sends the pickup code by "
        "text and e-mail.",
        "uk": "Посилка чекає в пакоматі {point}{deadline}. Код отримання перевізник надсилає SMS та e-mail.",
        "de": "Das Paket liegt im Paczkomat {point} zur Abholung bereit{deadline}. Den Abholcode sendet der "
        "Versanddienstleister per SMS und E-Mail.",
    },
    "pickup_deadline": {
        "pl": " (do {date})",
        "en": " (until {date})",
        "uk": " (до {date})",
        "de": " (bis {date})",
    },
    "wismo_point": {
        "pl": "Paczka jedzie do Paczkomatu {point}.",
        "en": "It is going to Paczkomat {point}.",
        "uk": "Посилка їде до пакомату {point}.",
        "de": "Es geht an den Paczkomat {point}.",
    },
    "wismo_delivered": {
        "pl": "Według przewoźnika ({carrier}) paczka z zamówienia {number} została doręczona {when}.",
        "en": "According to the carrier ({carrier}), the parcel of order {number} was delivered {when}.",
        "uk": "За даними перевізника ({carrier}), посилку із замовлення {number} доставлено {when}.",
        "de": "Laut Versanddienstleister ({carrier}) wurde das Paket der Bestellung {number} am {when} "
        "zugestellt.",
    },
    "wismo_problem": {
        "pl": "Przewoźnik ({carrier}) zgłasza problem z paczką z zamówienia {number}: {event} ({when}).",
        "en": "The carrier ({carrier}) reports a problem with the parcel of order {number}: {event} ({when}).",
        "uk": "Перевізник ({carrier}) повідомляє про проблему з посилкою замовлення {number}: {event} ({when}).",
        "de": "Der Versanddienstleister ({carrier}) meldet ein Problem mit dem Paket der Bestellung {number}: "
        "{event} ({when}).",
    },
    "wismo_not_shipped": {
        "pl": "Zamówienie {number} ma status „{status}” — nie zostało jeszcze nadane, więc nie ma jeszcze "
        "numeru przesyłki.",
        "en": "Order {number} is “{status}” — it has not been handed to the carrier yet, so there is no "
        "tracking number yet.",
        "uk": "Замовлення {number} має статус «{status}» — його ще не передано перевізнику, тому номера "
        "відстеження поки немає.",
        "de": "Die Bestellung {number} hat den Status „{status}“ — sie wurde noch nicht versandt, daher gibt "
        "es noch keine Sendungsnummer.",
    },
    "wismo_status": {
        "pl": "Zamówienie {number} ma status „{status}”.",
        "en": "Order {number} is “{status}”.",
        "uk": "Замовлення {number} має статус «{status}».",
        "de": "Die Bestellung {number} hat den Status „{status}“.",
    },
    "tracking": {
        "pl": "Śledzenie przesyłki {tracking}: {url}",
        "en": "Tracking {tracking}: {url}",
        "uk": "Відстеження {tracking}: {url}",
        "de": "Sendungsverfolgung {tracking}: {url}",
    },
    "tracking_number": {
        "pl": "Numer przesyłki: {tracking}.",
        "en": "Tracking number: {tracking}.",
        "uk": "Номер відправлення: {tracking}.",
        "de": "Sendungsnummer: {tracking}.",
    },
    # --- returns --------------------------------------------------------------------------------------
    "return_confirm": {
        "pl": "Zamówienie {number} można zwrócić — termin mija {deadline}. Zgłoszę zwrot tych produktów: "
        "{items}. Pieniądze wrócą na metodę płatności użytą przy zakupie. Czy zgłosić zwrot? Proszę "
        "odpisać „tak”.",
        "en": "Order {number} can be returned — the deadline is {deadline}. I will register a return of: "
        "{items}. The money goes back to the payment method used for the order. Shall I go ahead? Please "
        "reply “yes”.",
        "uk": "Замовлення {number} можна повернути — термін спливає {deadline}. Я оформлю повернення таких "
        "товарів: {items}. Гроші повернуться на спосіб оплати, використаний під час покупки. Оформити "
        "повернення? Будь ласка, відповідайте «так».",
        "de": "Die Bestellung {number} kann zurückgegeben werden — die Frist endet am {deadline}. Ich melde "
        "die Rücksendung dieser Artikel an: {items}. Das Geld geht auf die ursprüngliche Zahlungsart "
        "zurück. Soll ich das tun? Bitte antworten Sie mit „ja“.",
    },
    "return_done": {
        "pl": "Gotowe — zwrot nr {return_number} z zamówienia {number} jest zgłoszony. Produkty trzeba "
        "odesłać w ciągu 14 dni; instrukcję wyślemy e-mailem. Kwota do zwrotu: {amount}.",
        "en": "Done — return {return_number} for order {number} is registered. Please send the items back "
        "within 14 days; we will e-mail the instructions. Amount to be refunded: {amount}.",
        "uk": "Готово — повернення № {return_number} із замовлення {number} оформлено. Товари треба "
        "надіслати протягом 14 днів; інструкцію надішлемо e-mail. Сума до повернення: {amount}.",
        "de": "Erledigt — die Rücksendung {return_number} zur Bestellung {number} ist angemeldet. Bitte "
        "senden Sie die Artikel innerhalb von 14 Tagen zurück; die Anleitung kommt per E-Mail. "
        "Erstattungsbetrag: {amount}.",
    },
    "return_window_closed": {
        "pl": "Zamówienie {number} zostało doręczone {delivered}, a termin na zwrot ({window} dni) minął "
        "{deadline}, więc zwrotu nie mogę przyjąć. Jeśli produkt ma wadę, można złożyć reklamację — na "
        "to są 2 lata od doręczenia.",
        "en": "Order {number} was delivered on {delivered} and the {window}-day return period ended on "
        "{deadline}, so I can't accept a return. If the item is faulty, you can make a complaint — that is "
        "possible for 2 years after delivery.",
        "uk": "Замовлення {number} доставлено {delivered}, а термін повернення ({window} днів) сплив "
        "{deadline}, тож прийняти повернення я не можу. Якщо товар має дефект, можна подати рекламацію — "
        "на це є 2 роки від доставки.",
        "de": "Die Bestellung {number} wurde am {delivered} zugestellt, die Rückgabefrist von {window} Tagen "
        "endete am {deadline}, daher kann ich keine Rücksendung annehmen. Ist der Artikel mangelhaft, "
        "können Sie innerhalb von 2 Jahren nach Zustellung reklamieren.",
    },
    "return_excepted": {
        "pl": "Uwaga: {items} nie podlega zwrotowi bez podania przyczyny (art. 38 ustawy o prawach konsumenta).",
        "en": "Please note: {items} cannot be returned without a reason (art. 38 of the Consumer Rights Act).",
        "uk": "Зверніть увагу: {items} не підлягає поверненню без причини (ст. 38 закону про права "
        "споживачів).",
        "de": "Hinweis: {items} ist vom Widerrufsrecht ausgenommen (Art. 38 des polnischen "
        "Verbraucherrechtegesetzes).",
    },
    "return_sealed": {
        "pl": "Uwaga: {items} można zwrócić tylko w nienaruszonym, zapieczętowanym opakowaniu (art. 38 ustawy "
        "o prawach konsumenta).",
        "en": "Please note: {items} can be returned only in its unopened, sealed packaging (art. 38 of the "
        "Consumer Rights Act).",
        "uk": "Зверніть увагу: {items} можна повернути лише в неушкодженій запечатаній упаковці (ст. 38 закону "
        "про права споживачів).",
        "de": "Hinweis: {items} kann nur in der ungeöffneten, versiegelten Verpackung zurückgegeben werden "
        "(Art. 38 des polnischen Verbraucherrechtegesetzes).",
    },
    # --- cancellation and changes ---------------------------------------------------------------------
    "cancel_confirm": {
        "pl": "Zamówienie {number} ({items}) można jeszcze anulować. Czy na pewno anulować? Proszę odpisać „tak”.",
        "en": "Order {number} ({items}) can still be cancelled. Are you sure? Please reply “yes”.",
        "uk": "Замовлення {number} ({items}) ще можна скасувати. Скасувати? Будь ласка, відповідайте «так».",
        "de": "Die Bestellung {number} ({items}) kann noch storniert werden. Sind Sie sicher? Bitte "
        "antworten Sie mit „ja“.",
    },
    "cancel_done": {
        "pl": "Zamówienie {number} jest anulowane.{refund}",
        "en": "Order {number} is cancelled.{refund}",
        "uk": "Замовлення {number} скасовано.{refund}",
        "de": "Die Bestellung {number} ist storniert.{refund}",
    },
    "refund_line": {
        "pl": " Zwrot {amount} trafi na metodę płatności użytą przy zakupie.",
        "en": " {amount} will be refunded to the payment method you used.",
        "uk": " {amount} повернуться на спосіб оплати, яким ви платили.",
        "de": " {amount} werden auf die verwendete Zahlungsart erstattet.",
    },
    "ask_new_address": {
        "pl": "Adres zamówienia {number} można jeszcze zmienić. Proszę podać nowy adres: ulica z numerem, "
        "kod pocztowy i miejscowość (albo kod Paczkomatu).",
        "en": "The address of order {number} can still be changed. Please send the new address: street and "
        "number, postcode and town (or a Paczkomat code).",
        "uk": "Адресу замовлення {number} ще можна змінити. Надішліть нову адресу: вулиця з номером, індекс "
        "і місто (або код пакомату).",
        "de": "Die Adresse der Bestellung {number} kann noch geändert werden. Bitte senden Sie die neue "
        "Adresse: Straße und Hausnummer, Postleitzahl und Ort (oder einen Paczkomat-Code).",
    },
    "address_confirm": {
        "pl": "Zmienię adres dostawy zamówienia {number} na: {address}. Czy się zgadza? Proszę odpisać „tak”.",
        "en": "I will change the delivery address of order {number} to: {address}. Is that right? Please "
        "reply “yes”.",
        "uk": "Я зміню адресу доставки замовлення {number} на: {address}. Усе правильно? Відповідайте «так».",
        "de": "Ich ändere die Lieferadresse der Bestellung {number} auf: {address}. Stimmt das? Bitte "
        "antworten Sie mit „ja“.",
    },
    "address_done": {
        "pl": "Gotowe — zamówienie {number} pojedzie na adres: {address}.",
        "en": "Done — order {number} will go to: {address}.",
        "uk": "Готово — замовлення {number} буде доставлено за адресою: {address}.",
        "de": "Erledigt — die Bestellung {number} geht an: {address}.",
    },
    "address_unreadable": {
        "pl": "Nie umiem odczytać tego adresu. Proszę napisać go w jednej linii, np. „ul. Leśna 5/2, 30-001 Kraków”.",
        "en": "I couldn't read this address. Please write it on one line, e.g. “ul. Leśna 5/2, 30-001 Kraków”.",
        "uk": "Не вдалося розпізнати адресу. Напишіть її одним рядком, напр. «ul. Leśna 5/2, 30-001 Kraków».",
        "de": "Ich konnte die Adresse nicht lesen. Bitte in einer Zeile, z. B. „ul. Leśna 5/2, 30-001 Kraków“.",
    },
    "variant_confirm": {
        "pl": "W zamówieniu {number} zmienię produkt na: {item} (cena {price}). Czy się zgadza? Proszę odpisać „tak”.",
        "en": "In order {number} I will change the item to: {item} (price {price}). Is that right? Please reply “yes”.",
        "uk": "У замовленні {number} я зміню товар на: {item} (ціна {price}). Усе правильно? Відповідайте «так».",
        "de": "In der Bestellung {number} ändere ich den Artikel auf: {item} (Preis {price}). Stimmt das? Bitte antworten Sie mit „ja“.",
    },
    "variant_unclear": {
        "pl": "Na jaki rozmiar lub kolor zmienić produkt w zamówieniu {number}? Proszę podać dokładnie, np. „rozmiar M”.",
        "en": "Which size or colour should the item in order {number} be changed to? Please name it, e.g. “size M”.",
        "uk": "На який розмір або колір змінити товар у замовленні {number}? Вкажіть, будь ласка, напр. «розмір M».",
        "de": "Auf welche Größe oder Farbe soll der Artikel in der Bestellung {number} geändert werden? Z. B. „Größe M“.",
    },
    "items_done": {
        "pl": "Gotowe — zmieniliśmy produkt w zamówieniu {number} na: {item}.",
        "en": "Done — the item in order {number} is now: {item}.",
        "uk": "Готово — товар у замовленні {number} змінено на: {item}.",
        "de": "Erledigt — der Artikel in der Bestellung {number} ist jetzt: {item}.",
    },
    "declined": {
        "pl": "Dobrze, niczego nie zmieniam. W czym jeszcze mogę pomóc?",
        "en": "All right, I won't change anything. Is there anything else I can help with?",
        "uk": "Добре, нічого не змінюю. Чим ще можу допомогти?",
        "de": "In Ordnung, ich ändere nichts. Kann ich sonst noch helfen?",
    },
    "confirm_again": {
        "pl": "Czekam na potwierdzenie: proszę odpisać „tak”, żeby to zrobić, albo „nie”, żeby zrezygnować.",
        "en": "I'm waiting for your confirmation: reply “yes” to go ahead or “no” to stop.",
        "uk": "Чекаю на підтвердження: відповідайте «так», щоб продовжити, або «ні», щоб скасувати.",
        "de": "Ich warte auf Ihre Bestätigung: Antworten Sie „ja“, um fortzufahren, oder „nein“.",
    },
    "denied": {
        "pl": "{reason}",
        "en": "{reason}",
        "uk": "{reason}",
        "de": "{reason}",
    },
    # --- complaints -----------------------------------------------------------------------------------
    "complaint_received": {
        "pl": "Bardzo mi przykro, że jest problem{item}. Zgłoszenie reklamacyjne{order} jest przyjęte{photos}. "
        "O reklamacji decyduje nasz konsultant — odpowiedź dostanie Pani/Pan najpóźniej {due}.",
        "en": "I'm sorry there is a problem{item}. Your complaint{order} is received{photos}. One of our team "
        "decides on complaints — you will have an answer by {due} at the latest.",
        "uk": "Дуже шкода, що виникла проблема{item}. Рекламацію{order} прийнято{photos}. Рішення ухвалює наш "
        "консультант — відповідь ви отримаєте не пізніше {due}.",
        "de": "Es tut mir leid, dass es ein Problem gibt{item}. Ihre Reklamation{order} ist eingegangen"
        "{photos}. Über Reklamationen entscheidet unser Team — Sie erhalten spätestens am {due} eine Antwort.",
    },
    "complaint_missing": {
        "pl": "Żeby przyspieszyć sprawę, proszę jeszcze {missing}.",
        "en": "To speed things up, please also {missing}.",
        "uk": "Щоб пришвидшити розгляд, будь ласка, ще {missing}.",
        "de": "Damit es schneller geht, bitte noch {missing}.",
    },
    "missing_photos": {
        "pl": "dołączyć zdjęcia wady",
        "en": "attach photos of the fault",
        "uk": "додати фото дефекту",
        "de": "Fotos des Mangels anhängen",
    },
    "missing_order": {
        "pl": "podać numer zamówienia",
        "en": "send the order number",
        "uk": "вказати номер замовлення",
        "de": "die Bestellnummer nennen",
    },
    "missing_remedy": {
        "pl": "napisać, czy woli Pani/Pan naprawę, wymianę, obniżenie ceny czy zwrot pieniędzy",
        "en": "tell us whether you prefer a repair, a replacement, a price reduction or a refund",
        "uk": "написати, що ви обираєте: ремонт, заміну, зниження ціни чи повернення коштів",
        "de": "mitteilen, ob Sie Reparatur, Ersatz, Preisminderung oder Erstattung wünschen",
    },
    "photos_part": {
        "pl": " (zdjęcia: {n})",
        "en": " (photos: {n})",
        "uk": " (фото: {n})",
        "de": " (Fotos: {n})",
    },
    "and": {"pl": " i ", "en": " and ", "uk": " і ", "de": " und "},
    # --- hand-off -------------------------------------------------------------------------------------
    "handoff_human": {
        "pl": "Oczywiście — przekazuję rozmowę konsultantowi.",
        "en": "Of course — I'm passing the conversation to a person.",
        "uk": "Звісно — передаю розмову консультанту.",
        "de": "Natürlich — ich gebe das Gespräch an einen Mitarbeiter weiter.",
    },
    "handoff_sorry": {
        "pl": "Bardzo przepraszam za kłopot i rozumiem, że to frustrujące. Sprawą zajmie się teraz osobiście "
        "nasz konsultant.",
        "en": "I'm really sorry for the trouble, and I understand how frustrating this is. A member of our "
        "team will now handle it personally.",
        "uk": "Дуже перепрошую за незручності, розумію, що це неприємно. Далі справою особисто займеться наш "
        "консультант.",
        "de": "Das tut mir wirklich leid, und ich verstehe Ihren Ärger. Ein Mitarbeiter kümmert sich jetzt "
        "persönlich darum.",
    },
    "handoff_serious": {
        "pl": "To ważna sprawa, dlatego od razu przekazuję ją konsultantowi.",
        "en": "This is important, so I'm passing it to a member of our team right away.",
        "uk": "Це важлива справа, тому одразу передаю її консультанту.",
        "de": "Das ist wichtig, daher gebe ich es sofort an einen Mitarbeiter weiter.",
    },
    "handoff_unknown": {
        "pl": "Nie chcę zgadywać — tę sprawę lepiej oceni konsultant, więc przekazuję mu rozmowę.",
        "en": "I don't want to guess — a person will judge this better, so I'm passing the conversation on.",
        "uk": "Не хочу вгадувати — краще це оцінить консультант, тож передаю йому розмову.",
        "de": "Ich möchte nicht raten — ein Mitarbeiter kann das besser beurteilen, ich leite Sie weiter.",
    },
    "handoff_failed": {
        "pl": "Nie udało się tego załatwić automatycznie ({reason}), więc przekazuję sprawę konsultantowi.",
        "en": "I couldn't complete this automatically ({reason}), so I'm passing it to a person.",
        "uk": "Не вдалося виконати це автоматично ({reason}), тож передаю справу консультанту.",
        "de": "Das ließ sich nicht automatisch erledigen ({reason}), daher gebe ich es an einen Mitarbeiter.",
    },
    "handoff_approval": {
        "pl": "{reason} Przekazuję sprawę konsultantowi do decyzji.",
        "en": "{reason} I'm passing it to a person to decide.",
        "uk": "{reason} Передаю справу консультанту для рішення.",
        "de": "{reason} Ich gebe es zur Entscheidung an einen Mitarbeiter weiter.",
    },
    "when_open": {
        "pl": "Konsultant odpisze tutaj, zwykle w ciągu {minutes} min.",
        "en": "They will reply here, usually within {minutes} minutes.",
        "uk": "Консультант відповість тут, зазвичай протягом {minutes} хв.",
        "de": "Die Antwort kommt hier, meist innerhalb von {minutes} Minuten.",
    },
    "when_closed": {
        "pl": "Teraz jesteśmy poza godzinami pracy — konsultant odpisze tutaj {next_open}.",
        "en": "We are outside opening hours right now — a person will reply here {next_open}.",
        "uk": "Зараз неробочий час — консультант відповість тут {next_open}.",
        "de": "Wir sind gerade außerhalb der Geschäftszeiten — eine Antwort kommt hier {next_open}.",
    },
    "next_open": {"pl": "od {when}", "en": "from {when}", "uk": "з {when}", "de": "ab {when}"},
    # --- knowledge ------------------------------------------------------------------------------------
    "knowledge": {
        "pl": "{passage}\n\n(Źródło: „{title}”)",
        "en": "{passage}\n\n(Source: “{title}”)",
        "uk": "{passage}\n\n(Джерело: «{title}»)",
        "de": "{passage}\n\n(Quelle: „{title}“)",
    },
    "product": {
        "pl": "{name}: {availability}, cena {price}.",
        "en": "{name}: {availability}, price {price}.",
        "uk": "{name}: {availability}, ціна {price}.",
        "de": "{name}: {availability}, Preis {price}.",
    },
    "available": {"pl": "dostępny", "en": "in stock", "uk": "є в наявності", "de": "verfügbar"},
    "unavailable": {
        "pl": "obecnie niedostępny",
        "en": "currently out of stock",
        "uk": "наразі немає в наявності",
        "de": "derzeit nicht verfügbar",
    },
    "refund_status": {
        "pl": "W zamówieniu {number} zwrot {amount} ma status: {status} ({when}).",
        "en": "For order {number}, the refund of {amount} is: {status} ({when}).",
        "uk": "Для замовлення {number} повернення {amount} має статус: {status} ({when}).",
        "de": "Für die Bestellung {number} hat die Erstattung von {amount} den Status: {status} ({when}).",
    },
    "refund_completed": {"pl": "zlecony", "en": "sent", "uk": "надіслано", "de": "veranlasst"},
    "refund_pending": {"pl": "w realizacji", "en": "in progress", "uk": "в обробці", "de": "in Bearbeitung"},
    "no_refund": {
        "pl": "W zamówieniu {number} nie ma jeszcze zleconego zwrotu pieniędzy (status zamówienia: „{status}”).",
        "en": "There is no refund on order {number} yet (order status: “{status}”).",
        "uk": "Для замовлення {number} ще немає повернення коштів (статус: «{status}»).",
        "de": "Für die Bestellung {number} gibt es noch keine Erstattung (Status: „{status}“).",
    },
}

#: Customer-facing names of carriers and shipment states.
CARRIERS = {
    "inpost": "InPost",
    "dpd": "DPD",
    "dhl": "DHL",
    "poczta_polska": "Poczta Polska",
    "allegro": "Allegro One",
}
STATES: dict[str, dict[str, str]] = {
    "created": {
        "pl": "etykieta utworzona",
        "en": "label created",
        "uk": "етикетку створено",
        "de": "Label erstellt",
    },
    "in_transit": {"pl": "w transporcie", "en": "in transit", "uk": "у дорозі", "de": "unterwegs"},
    "out_for_delivery": {
        "pl": "wydana do doręczenia",
        "en": "out for delivery",
        "uk": "передано кур'єру для доставки",
        "de": "in Zustellung",
    },
    "ready_for_pickup": {
        "pl": "gotowa do odbioru",
        "en": "ready for pickup",
        "uk": "готова до отримання",
        "de": "abholbereit",
    },
    "delivered": {"pl": "doręczona", "en": "delivered", "uk": "доставлено", "de": "zugestellt"},
    "exception": {
        "pl": "problem z doręczeniem",
        "en": "delivery problem",
        "uk": "проблема з доставкою",
        "de": "Zustellproblem",
    },
    "returned": {
        "pl": "zwrócona do nadawcy",
        "en": "returned to sender",
        "uk": "повернуто відправнику",
        "de": "an Absender zurück",
    },
    "lost": {"pl": "zaginiona", "en": "lost", "uk": "втрачено", "de": "verloren"},
}
ORDER_STATES: dict[str, dict[str, str]] = {
    "new": {"uk": "прийнято", "de": "eingegangen"},
    "awaiting_payment": {"uk": "очікує оплати", "de": "wartet auf Zahlung"},
    "paid": {"uk": "оплачено, чекає на пакування", "de": "bezahlt, wartet auf Verpackung"},
    "packed": {"uk": "запаковано, чекає на кур'єра", "de": "verpackt, wartet auf Abholung"},
    "shipped": {"uk": "відправлено", "de": "versandt"},
    "delivered": {"uk": "доставлено", "de": "zugestellt"},
    "cancelled": {"uk": "скасовано", "de": "storniert"},
    "return_requested": {"uk": "оформлено повернення", "de": "Rücksendung angemeldet"},
    "exchange_requested": {"uk": "оформлено обмін", "de": "Umtausch angemeldet"},
    "returned": {"uk": "повернуто", "de": "zurückgegeben"},
}


def lang(language: str | None) -> str:
    return language if language in LANGUAGES else "pl"


def say(key: str, language: str | None, **values: Any) -> str:
    return T[key][lang(language)].format(**values)
