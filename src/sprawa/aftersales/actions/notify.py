"""Customer notifications of returns and complaints: one message per status change, in the customer's
language (Polish, English, Ukrainian, German), saying what happened, what comes next and by when.

Every date and amount comes from the record (which took it from the shop's data and policy); nothing here
promises anything else. Messages leave through ``cases.service.do_reply`` (the outbox, on the thread of the
customer's last message), so they reach the customer on the channel they used.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from sprawa.aftersales.models import Return
from sprawa.auth.schemas import Principal
from sprawa.cases.models import Case, CaseStatus, Message
from sprawa.cases.service import do_add_note, do_reply
from sprawa.customers.models import Customer
from sprawa.platform.errors import Conflict
from sprawa.workspaces.models import PolicyKind, Workspace
from sprawa.workspaces.queries import typed_policy
from sprawa.workspaces.schemas import TonePolicy

LANGUAGES = ("pl", "en", "uk", "de")

_WEEKDAYS = {
    "pl": ["poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "uk": ["понеділок", "вівторок", "середа", "четвер", "пʼятниця", "субота", "неділя"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
}
_MONTHS_EN = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip

REFUND_METHODS = {
    "blik": ("BLIK", "BLIK", "BLIK", "BLIK"),
    "bank_transfer": ("przelewem na konto", "bank transfer", "банківський переказ", "Überweisung"),
    "card": ("na kartę płatniczą", "to the payment card", "на платіжну картку", "auf die Zahlungskarte"),
    "cod": ("przelewem na konto", "bank transfer", "банківський переказ", "Überweisung"),
    "paypo": ("przez PayPo", "via PayPo", "через PayPo", "über PayPo"),
    "paypal": ("na konto PayPal", "to PayPal", "на PayPal", "auf PayPal"),
    "gift_card": (
        "na kartę podarunkową",
        "to the gift card",
        "на подарункову картку",
        "auf die Geschenkkarte",
    ),
}


def day_text(day: date, lang: str) -> str:
    """``20.11.2026 (piątek)`` / ``Friday 20 November 2026``: the weekday helps people plan. Polish and
    Ukrainian put it in brackets, so the sentence around the date needs no case ending of the weekday."""
    weekday = _WEEKDAYS.get(lang, _WEEKDAYS["pl"])[day.weekday()]
    if lang == "en":
        return f"{weekday} {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    if lang == "de":
        return f"{weekday}, {day:%d.%m.%Y}"
    return f"{day:%d.%m.%Y} ({weekday})"


def money_text(amount: Decimal, currency: str, lang: str) -> str:
    whole, _, cents = f"{amount.quantize(Decimal('0.01')):,.2f}".partition(".")
    if lang == "en":
        return f"{currency} {amount.quantize(Decimal('0.01')):,.2f}"
    text = f"{whole.replace(',', ' ')},{cents}"
    return f"{text} zł" if currency == "PLN" else f"{text} {currency}"


def refund_text(ret: Return, lang: str) -> str:
    """The refund with its parts when the delivery comes back too: ``261,99 zł (produkty 249,00 zł +
    dostawa 12,99 zł)``; just the amount otherwise."""
    total = money_text(ret.refund_amount, ret.currency, lang)
    if not ret.refund_delivery_amount:
        return total
    items = money_text(ret.refund_items_amount, ret.currency, lang)
    delivery = money_text(ret.refund_delivery_amount, ret.currency, lang)
    return total + fragment("refund_parts", lang, items=items, delivery=delivery)


def refund_method_text(method: str | None, lang: str) -> str:
    labels = REFUND_METHODS.get(method or "bank_transfer", REFUND_METHODS["bank_transfer"])
    return labels[LANGUAGES.index(lang)]


def files_text(count: int, lang: str) -> str:
    if lang == "pl":
        word = (
            "plik" if count == 1 else "pliki" if 2 <= count % 10 <= 4 and count % 100 // 10 != 1 else "plików"
        )
        return f"{count} {word}"
    if lang == "uk":
        word = (
            "файл"
            if count % 10 == 1 and count % 100 != 11
            else ("файли" if 2 <= count % 10 <= 4 and count % 100 // 10 != 1 else "файлів")
        )
        return f"{count} {word}"
    if lang == "de":
        return f"{count} {'Datei' if count == 1 else 'Dateien'}"
    return f"{count} {'file' if count == 1 else 'files'}"


# Greeting, then the body; {signature} closes every message.
GREETING = {"pl": "Dzień dobry,", "en": "Hello {first},", "uk": "Добрий день!", "de": "Guten Tag,"}
CLOSING = {
    "pl": "Pozdrawiamy serdecznie\n{signature}",
    "en": "Kind regards,\n{signature}",
    "uk": "З найкращими побажаннями,\n{signature}",
    "de": "Freundliche Grüße\n{signature}",
}

TEMPLATES: dict[str, dict[str, str]] = {
    "return_review": {
        "pl": "otrzymaliśmy oświadczenie o odstąpieniu od umowy dla zamówienia {order} — zgłoszenie ma numer "
        "{number}.\n\n{why}\n\nDlatego zgłoszenie sprawdzi osoba z naszego zespołu i odpisze w tej rozmowie. "
        "Jeśli produkt jest wadliwy, możemy też przyjąć reklamację — wystarczy o tym napisać.",
        "en": "we have received your withdrawal statement for order {order}; its number is "
        "{number}.\n\n{why}\n\nSo a member of our team will look at it and reply in this conversation. "
        "If the product is faulty, we can also take it as a complaint — just let us know.",
        "uk": "ми отримали вашу заяву про відмову від договору щодо замовлення {order}, номер звернення — "
        "{number}.\n\n{why}\n\nТому звернення перегляне працівник нашої команди й відповість у цій розмові. "
        "Якщо товар має дефект, ми можемо прийняти рекламацію — просто напишіть нам.",
        "de": "wir haben Ihre Widerrufserklärung zur Bestellung {order} erhalten; die Vorgangsnummer lautet "
        "{number}.\n\n{why}\n\nDeshalb prüft eine Person aus unserem Team den Vorgang und antwortet in "
        "diesem Gespräch. Falls der Artikel mangelhaft ist, können wir auch eine Reklamation aufnehmen — "
        "schreiben Sie uns einfach.",
    },
    "return_approved": {
        "pl": "zwrot nr {number} z zamówienia {order} jest przyjęty ({items}).\n\nCo dalej:\n"
        "1. {method}\n2. Prosimy odesłać produkty najpóźniej do {goods_due}.\n"
        "3. Zwrot {amount} ({refund_method}) zlecimy najpóźniej {refund_due}, gdy dotrze do nas paczka "
        "albo potwierdzenie jej nadania.",
        "en": "return {number} for order {order} is accepted ({items}).\n\nWhat happens next:\n"
        "1. {method}\n2. Please send the items back by {goods_due}.\n"
        "3. We will refund {amount} ({refund_method}) by {refund_due}, once the parcel or proof of sending "
        "reaches us.",
        "uk": "повернення № {number} із замовлення {order} прийнято ({items}).\n\nЩо далі:\n"
        "1. {method}\n2. Будь ласка, надішліть товари не пізніше ніж {goods_due}.\n"
        "3. Повернення коштів {amount} ({refund_method}) ми здійснимо не пізніше ніж {refund_due}, щойно "
        "отримаємо посилку або підтвердження її відправлення.",
        "de": "die Rücksendung {number} zur Bestellung {order} ist angenommen ({items}).\n\n"
        "So geht es weiter:\n1. {method}\n2. Bitte senden Sie die Artikel bis {goods_due} zurück.\n"
        "3. Die Erstattung von {amount} ({refund_method}) veranlassen wir spätestens am {refund_due}, sobald "
        "das Paket oder der Versandnachweis bei uns ist.",
    },
    "return_rejected": {
        "pl": "niestety nie możemy przyjąć zwrotu nr {number} z zamówienia {order}. {reason}\n\nJeśli z "
        "produktem jest coś nie tak, chętnie przyjmiemy reklamację — wystarczy odpisać na tę wiadomość.",
        "en": "unfortunately we cannot accept return {number} for order {order}. {reason}\n\nIf something is "
        "wrong with the product, we will gladly take a complaint — just reply to this message.",
        "uk": "на жаль, ми не можемо прийняти повернення № {number} із замовлення {order}. {reason}\n\nЯкщо "
        "з товаром щось не так, ми охоче приймемо рекламацію — просто дайте відповідь на це повідомлення.",
        "de": "leider können wir die Rücksendung {number} zur Bestellung {order} nicht annehmen. {reason}\n\n"
        "Falls mit dem Artikel etwas nicht stimmt, nehmen wir gern eine Reklamation auf — antworten Sie "
        "einfach auf diese Nachricht.",
    },
    "return_received": {
        "pl": "{received} Dziękujemy! Zwrot {amount} ({refund_method}) zlecimy najpóźniej {refund_due}.",
        "en": "{received} Thank you! We will refund {amount} ({refund_method}) by {refund_due}.",
        "uk": "{received} Дякуємо! Повернення коштів {amount} ({refund_method}) здійснимо не пізніше ніж "
        "{refund_due}.",
        "de": "{received} Vielen Dank! Die Erstattung von {amount} ({refund_method}) veranlassen wir "
        "spätestens am {refund_due}.",
    },
    "return_refunded": {
        "pl": "zleciliśmy zwrot {amount} ({refund_method}) za zwrot nr {number} z zamówienia {order}. "
        "To zamyka zwrot — dziękujemy za cierpliwość.",
        "en": "we have sent the refund of {amount} ({refund_method}) for return {number}, order {order}. "
        "That completes the return — thank you for your patience.",
        "uk": "ми здійснили повернення {amount} ({refund_method}) за поверненням № {number}, замовлення "
        "{order}. На цьому повернення завершено — дякуємо за терпіння.",
        "de": "wir haben die Erstattung von {amount} ({refund_method}) für die Rücksendung {number} "
        "(Bestellung {order}) veranlasst. Damit ist die Rücksendung abgeschlossen — danke für Ihre Geduld.",
    },
    "return_cancelled": {
        "pl": "zgodnie z prośbą anulowaliśmy zwrot nr {number}. Zamówienie {order} pozostaje bez zmian.",
        "en": "as requested, we have cancelled return {number}. Order {order} stays as it is.",
        "uk": "на ваше прохання ми скасували повернення № {number}. Замовлення {order} залишається без змін.",
        "de": "wie gewünscht haben wir die Rücksendung {number} storniert. Die Bestellung {order} bleibt "
        "unverändert.",
    },
    "complaint_received": {
        "pl": "dziękujemy za zgłoszenie. Przyjęliśmy reklamację nr {number} dotyczącą „{item}” z zamówienia "
        "{order}{evidence}.\n\nOdpowiemy najpóźniej {due}. Reklamację rozpatruje osoba z naszego zespołu — "
        "jeśli będziemy potrzebować czegoś jeszcze, napiszemy w tej rozmowie.",
        "en": "thank you for letting us know. We have registered complaint {number} about “{item}” from "
        "order {order}{evidence}.\n\nWe will answer by {due} at the latest. A member of our team handles the "
        "complaint — if we need anything else, we will write in this conversation.",
        "uk": "дякуємо за звернення. Ми зареєстрували рекламацію № {number} щодо «{item}» із замовлення "
        "{order}{evidence}.\n\nМи відповімо не пізніше ніж {due}. Рекламацію розглядає працівник нашої "
        "команди — якщо нам знадобиться щось іще, ми напишемо в цій розмові.",
        "de": "danke für Ihre Nachricht. Wir haben die Reklamation {number} zu „{item}“ aus der Bestellung "
        "{order} aufgenommen{evidence}.\n\nWir antworten spätestens am {due}. Eine Person aus unserem Team "
        "bearbeitet die Reklamation — falls wir noch etwas brauchen, melden wir uns in diesem Gespräch.",
    },
    "complaint_withdrawn": {
        "pl": "zgodnie z prośbą zamknęliśmy reklamację nr {number}. Gdyby problem wrócił, wystarczy napisać.",
        "en": "as requested, we have closed complaint {number}. If the problem comes back, just write to us.",
        "uk": "на ваше прохання ми закрили рекламацію № {number}. Якщо проблема повториться, просто "
        "напишіть нам.",
        "de": "wie gewünscht haben wir die Reklamation {number} geschlossen. Falls das Problem wiederkommt, "
        "schreiben Sie uns einfach.",
    },
    "complaint_resolved": {
        "pl": "reklamacja nr {number} jest zakończona: {follow_up}",
        "en": "complaint {number} is now complete: {follow_up}",
        "uk": "рекламацію № {number} завершено: {follow_up}",
        "de": "die Reklamation {number} ist abgeschlossen: {follow_up}",
    },
}

# Fragments filled into the templates above.
FRAGMENTS: dict[str, dict[str, str]] = {
    "refund_parts": {
        "pl": " (produkty {items} + dostawa {delivery})",
        "en": " (items {items} + delivery {delivery})",
        "uk": " (товари {items} + доставка {delivery})",
        "de": " (Artikel {items} + Versand {delivery})",
    },
    "evidence": {
        "pl": " (mamy od Państwa {files})",
        "en": " (we have {files} from you)",
        "uk": " (ми отримали від вас {files})",
        "de": " ({files} liegen uns vor)",
    },
    "why_window_closed": {
        "pl": "Termin na odstąpienie od umowy minął {deadline}.",
        "en": "The withdrawal period ended on {deadline}.",
        "uk": "Строк для відмови від договору минув {deadline}.",
        "de": "Die Widerrufsfrist ist am {deadline} abgelaufen.",
    },
    "why_excepted": {
        "pl": "„{items}” to produkt, którego — zgodnie z art. 38 ustawy o prawach konsumenta — nie obejmuje "
        "prawo odstąpienia od umowy.",
        "en": "“{items}” is a product that the right of withdrawal does not cover (art. 38 of the Polish "
        "Consumer Rights Act).",
        "uk": "«{items}» — товар, на який не поширюється право на відмову від договору (ст. 38 закону Польщі "
        "про права споживачів).",
        "de": "„{items}“ ist ein Artikel, für den das Widerrufsrecht nicht gilt (Art. 38 des polnischen "
        "Verbraucherrechtegesetzes).",
    },
    "why_sealed": {
        "pl": "„{items}” można zwrócić tylko w nienaruszonym zapieczętowanym opakowaniu — jeśli zostało "
        "otwarte po dostarczeniu, prawo odstąpienia od umowy nie przysługuje (art. 38 ustawy o prawach "
        "konsumenta).",
        "en": "“{items}” can be returned only in its unopened sealed packaging — once unsealed after "
        "delivery, the right of withdrawal no longer applies (art. 38 of the Polish Consumer Rights Act).",
        "uk": "«{items}» можна повернути лише в непошкодженій запечатаній упаковці — якщо її відкрито після "
        "доставки, право на відмову від договору не діє (ст. 38 закону Польщі про права споживачів).",
        "de": "„{items}“ kann nur in der ungeöffneten versiegelten Verpackung zurückgegeben werden — wurde "
        "sie nach der Lieferung geöffnet, gilt das Widerrufsrecht nicht (Art. 38 des polnischen "
        "Verbraucherrechtegesetzes).",
    },
    "why_not_delivered": {
        "pl": "Nie widzimy jeszcze doręczenia całego zamówienia, więc nie możemy wyliczyć terminu zwrotu.",
        "en": "We cannot see the whole order as delivered yet, so we cannot work out the return period.",
        "uk": "Ми ще не бачимо доставки всього замовлення, тож не можемо визначити строк повернення.",
        "de": "Wir sehen die Bestellung noch nicht als vollständig zugestellt und können die Frist daher "
        "nicht berechnen.",
    },
    "why_business": {
        "pl": "Zamówienie złożono na firmę, a prawo odstąpienia od umowy bez podania przyczyny mają "
        "konsumenci oraz przedsiębiorcy kupujący na prawach konsumenta (zakup niezwiązany z zawodem).",
        "en": "The order was placed for a company; the right to withdraw without giving a reason belongs to "
        "consumers and to sole traders buying outside their profession.",
        "uk": "Замовлення оформлено на компанію, а право відмовитися від договору без пояснення причин мають "
        "споживачі та підприємці, які купують не для професійної діяльності.",
        "de": "Die Bestellung wurde für ein Unternehmen aufgegeben; das Widerrufsrecht ohne Angabe von "
        "Gründen haben Verbraucher und Einzelunternehmer, die nicht für ihre berufliche Tätigkeit kaufen.",
    },
    "why_other": {
        "pl": "Tego zgłoszenia nie możemy przyjąć automatycznie.",
        "en": "We cannot accept this request automatically.",
        "uk": "Ми не можемо прийняти це звернення автоматично.",
        "de": "Diesen Antrag können wir nicht automatisch annehmen.",
    },
    "method_paczkomat": {
        "pl": "Paczkę można nadać w dowolnym Paczkomacie InPost, wpisując kod zwrotu {code} — etykieta nie "
        "jest potrzebna.",
        "en": "You can drop the parcel at any InPost Paczkomat using return code {code} — no label needed.",
        "uk": "Посилку можна відправити з будь-якого паккомату InPost, ввівши код повернення {code} — "
        "етикетка не потрібна.",
        "de": "Sie können das Paket an jeder InPost-Paketstation (Paczkomat) mit dem Rücksendecode {code} "
        "abgeben — ohne Etikett.",
    },
    "method_courier": {
        "pl": "Paczkę odbierze kurier — etykietę można pobrać tutaj: {label}. Adres zwrotu: {address}.",
        "en": "A courier will collect the parcel — the label is here: {label}. Return address: {address}.",
        "uk": "Посилку забере кур’єр — етикетку можна завантажити тут: {label}. Адреса повернення: "
        "{address}.",
        "de": "Ein Kurier holt das Paket ab — das Etikett finden Sie hier: {label}. Rücksendeadresse: "
        "{address}.",
    },
    "method_in_store": {
        "pl": "Produkty można oddać w naszym sklepie: {store}.",
        "en": "You can bring the items to our shop: {store}.",
        "uk": "Товари можна принести до нашого магазину: {store}.",
        "de": "Sie können die Artikel in unserem Geschäft abgeben: {store}.",
    },
    "goods_received": {
        "pl": "paczka ze zwrotem nr {number} do nas dotarła.",
        "en": "the parcel for return {number} has reached us.",
        "uk": "посилка з поверненням № {number} надійшла до нас.",
        "de": "das Paket zur Rücksendung {number} ist bei uns angekommen.",
    },
    "proof_received": {
        "pl": "mamy potwierdzenie nadania paczki ze zwrotem nr {number}.",
        "en": "we have the proof of sending for return {number}.",
        "uk": "ми отримали підтвердження відправлення посилки з поверненням № {number}.",
        "de": "der Versandnachweis zur Rücksendung {number} liegt uns vor.",
    },
    "follow_up_replacement": {
        "pl": "wysłaliśmy nowy produkt{reference}.",
        "en": "we have sent you a replacement{reference}.",
        "uk": "ми надіслали вам новий товар{reference}.",
        "de": "wir haben Ihnen einen Ersatzartikel geschickt{reference}.",
    },
    "follow_up_refund": {
        "pl": "zleciliśmy zwrot {amount}{reference}.",
        "en": "we have sent the refund of {amount}{reference}.",
        "uk": "ми здійснили повернення {amount}{reference}.",
        "de": "wir haben die Erstattung von {amount} veranlasst{reference}.",
    },
    "follow_up_repair": {
        "pl": "naprawiony produkt jest w drodze do Państwa{reference}.",
        "en": "the repaired product is on its way back to you{reference}.",
        "uk": "відремонтований товар уже їде до вас{reference}.",
        "de": "der reparierte Artikel ist auf dem Weg zu Ihnen{reference}.",
    },
    "reference": {
        "pl": " (numer: {reference})",
        "en": " (reference: {reference})",
        "uk": " (номер: {reference})",
        "de": " (Referenz: {reference})",
    },
}


def fragment(key: str, lang: str, **values: Any) -> str:
    return FRAGMENTS[key][lang].format(**values)


def is_sealed(exception: str | None) -> bool:
    """Art. 38 ust. 1 pkt 5 and 9: sealed goods (hygiene, recordings, software) are excepted only once
    unsealed after delivery; the other categories (made to order, perishable...) always are."""
    return bool(exception and exception.startswith("sealed"))


def excepted_why(names_by_exception: list[tuple[str, str]], lang: str) -> str:
    """Why art. 38 goods wait for a person: the always-excepted ones, else the seal a person checks."""
    always = [name for name, exception in names_by_exception if not is_sealed(exception)]
    if always:
        return fragment("why_excepted", lang, items=", ".join(always))
    return fragment("why_sealed", lang, items=", ".join(name for name, _ in names_by_exception))


def customer_language(session: Session, case: Case) -> str:
    """The case's language, else the customer's, else the shop's; Polish when none of them is supported."""
    customer = session.get(Customer, case.customer_id)
    workspace = session.get(Workspace, case.workspace_id)
    for lang in (
        case.language,
        customer.language if customer else None,
        workspace.default_language if workspace else None,
    ):
        if lang in LANGUAGES:
            return lang
    return "pl"


def compose(session: Session, case: Case, kind: str, lang: str, **values: Any) -> str:
    """The whole message: greeting, the ``kind`` template in ``lang``, closing with the shop's signature."""
    customer = session.get(Customer, case.customer_id)
    workspace = session.get(Workspace, case.workspace_id)
    tone = typed_policy(session, case.workspace_id, PolicyKind.TONE)
    assert isinstance(tone, TonePolicy)
    signature = tone.signature or (workspace.name if workspace else "")
    first = ((customer.name if customer else None) or "").split(" ")[0]
    greeting = GREETING[lang].format(first=first).replace(" ,", ",")
    if lang == "en" and not first:
        greeting = "Hello,"
    body = TEMPLATES[kind][lang].format(**values)
    # Polish and German letters go on in lower case after "Dzień dobry," / "Guten Tag,".
    if lang in ("en", "uk"):
        body = body[0].upper() + body[1:]
    return f"{greeting}\n\n{body}\n\n{CLOSING[lang].format(signature=signature)}".strip()


def send(session: Session, case: Case, text: str) -> Message | None:
    """Send ``text`` to the customer through the outbox; a closed case gets a note for the agents instead.

    A closed case takes no replies (the customer's next message opens a new one), and a status change must
    never fail because a notification cannot go out.
    """
    system = Principal.system(case.workspace_id)
    if case.status == CaseStatus.CLOSED:
        do_add_note(session, system, case, f"Powiadomienie nie zostało wysłane (sprawa zamknięta):\n\n{text}")
        return None
    try:
        return do_reply(session, system, case, text)
    except Conflict:
        do_add_note(session, system, case, f"Powiadomienie nie zostało wysłane (brak rozmowy):\n\n{text}")
        return None


# Answers the decision form offers (the person edits them before sending): Polish and English.
ANSWERS: list[dict[str, str]] = [
    {
        "key": "accept_replacement",
        "label": "Uznana — wymiana",
        "decision": "accepted",
        "remedy": "replacement",
        "pl": "Dzień dobry,\n\nreklamację nr {number} dotyczącą „{item}” (zamówienie {order}) uznajemy. "
        "Wyślemy nowy produkt — numer przesyłki podamy, gdy tylko paczka wyjedzie. Wadliwego egzemplarza "
        "nie trzeba odsyłać, dopóki o to nie poprosimy.\n\nPrzepraszamy za kłopot.",
        "en": "Hello,\n\nwe accept complaint {number} about “{item}” (order {order}). We will send a new "
        "product and share the tracking number as soon as the parcel leaves. There is no need to send the "
        "faulty item back unless we ask for it.\n\nSorry for the trouble.",
    },
    {
        "key": "accept_repair",
        "label": "Uznana — naprawa",
        "decision": "accepted",
        "remedy": "repair",
        "pl": "Dzień dobry,\n\nreklamację nr {number} dotyczącą „{item}” (zamówienie {order}) uznajemy i "
        "naprawimy produkt na nasz koszt. Prześlemy instrukcję, jak go do nas wysłać.",
        "en": "Hello,\n\nwe accept complaint {number} about “{item}” (order {order}) and will repair the "
        "product at our cost. We will send instructions on how to send it to us.",
    },
    {
        "key": "accept_price_reduction",
        "label": "Uznana — obniżenie ceny",
        "decision": "accepted",
        "remedy": "price_reduction",
        "pl": "Dzień dobry,\n\nreklamację nr {number} dotyczącą „{item}” (zamówienie {order}) uznajemy i "
        "obniżamy cenę produktu. Różnicę zwrócimy tą samą metodą płatności.",
        "en": "Hello,\n\nwe accept complaint {number} about “{item}” (order {order}) and reduce the price of "
        "the product. We will refund the difference by the same payment method.",
    },
    {
        "key": "accept_withdrawal",
        "label": "Uznana — zwrot pieniędzy",
        "decision": "accepted",
        "remedy": "withdrawal",
        "pl": "Dzień dobry,\n\nreklamację nr {number} dotyczącą „{item}” (zamówienie {order}) uznajemy. "
        "Zwrócimy pieniądze za produkt tą samą metodą płatności.",
        "en": "Hello,\n\nwe accept complaint {number} about “{item}” (order {order}). We will refund the "
        "product by the same payment method.",
    },
    {
        "key": "reject",
        "label": "Nieuznana",
        "decision": "rejected",
        "remedy": "",
        "pl": "Dzień dobry,\n\ndziękujemy za cierpliwość. Po sprawdzeniu reklamacji nr {number} dotyczącej "
        "„{item}” (zamówienie {order}) nie możemy jej uznać, ponieważ [uzasadnienie].\n\nJeśli ma Pan/Pani "
        "dodatkowe zdjęcia lub informacje, chętnie je obejrzymy.",
        "en": "Hello,\n\nthank you for your patience. Having checked complaint {number} about “{item}” "
        "(order {order}), we cannot accept it because [reason].\n\nIf you have further photos or details, "
        "we will gladly look at them.",
    },
]


def answer_templates(number: str, item: str, order: str) -> list[dict[str, str]]:
    """The decision form's answers with this complaint's number, product and order filled in."""
    return [
        a
        | {
            "pl": a["pl"].format(number=number, item=item, order=order),
            "en": a["en"].format(number=number, item=item, order=order),
        }
        for a in ANSWERS
    ]
