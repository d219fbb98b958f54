"""Reading recorded mails: Polish quote headers, Outlook blocks, charsets, HTML, files, robots, bounces."""

from pathlib import Path

import pytest

from sprawa.channels.email.parse import PoisonMail, dedupe_key, parse_mail
from sprawa.channels.email.quotes import strip_reply
from sprawa.channels.email.tokens import thread_token, verified_thread

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_gmail_polish_reply_loses_the_wrapped_quote_header_and_keeps_the_signoff():
    mail = parse_mail(fixture("gmail_pl_reply.eml"))
    assert mail.text == (
        "Dzień dobry,\npaczka nadal nie dotarła. Czy można sprawdzić status?\n\nPozdrawiam\nJan Kowalski"
    )
    assert mail.sender == "jan.kowalski@gmail.com"
    assert mail.message_id == "cajx1vn=yk3pq@mail.gmail.com"
    assert mail.refs == ["01hzzzzzzzzzzzzzzzzzzzzzzz.sxxx@lesnapolana.pl"]
    assert mail.case_number == 17
    assert mail.subject == "Re: Zamówienie LP-10421 [#17]"
    assert mail.automated is None


def test_html_is_sanitised_and_remote_images_dropped():
    html = parse_mail(fixture("gmail_pl_reply.eml")).html
    assert html is not None
    assert "<script" not in html and "alert" not in html
    assert "tracker.example" not in html
    assert "paczka nadal nie dotarła" in html


def test_outlook_polish_header_block_in_iso_8859_2():
    mail = parse_mail(fixture("outlook_pl.eml"))
    assert mail.text == "Proszę o fakturę na firmę.\n\nEwa Nowak"
    assert mail.sender_name == "Nowak, Ewa"


def test_unknown_charset_and_attachment():
    mail = parse_mail(fixture("attachment_unknown_charset.eml"))
    assert mail.text == "Paczka przyszła uszkodzona, w załączniku zdjęcie."
    assert [(f.filename, f.content_type, len(f.data)) for f in mail.files] == [
        ("paczka.png", "image/png", 70)
    ]
    assert mail.sender_name == "Zofia"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("vacation_autoreply.eml", "Auto-Submitted: auto-replied"),
        ("newsletter.eml", "Precedence: bulk"),
        ("dsn_failed.eml", "Auto-Submitted: auto-replied"),
    ],
)
def test_robots_are_recognised(name: str, reason: str):
    assert parse_mail(fixture(name)).automated == reason


def test_a_bounce_names_the_original_message_and_the_reason():
    bounce = parse_mail(fixture("dsn_failed.eml")).bounce
    assert bounce is not None
    assert (bounce.original_message_id, bounce.status) == ("original_id_placeholder", "5.1.1")
    assert "User unknown" in bounce.diagnostic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dziękuję!\n\nWysłane z mojego iPhone'a\n", "Dziękuję!"),
        ("Ok.\n\nDnia 23.11.2026 o 10:00 Sklep napisał(a):\n> x", "Ok."),
        ("Fine.\n\nOn Mon, 23 Nov 2026 at 10:00, Shop <s@x.pl> wrote:\n> x", "Fine."),
        ("Gut.\n\nAm 23.11.2026 um 10:00 schrieb Shop <s@x.pl>:\n> x", "Gut."),
        ("Tak.\n-----Wiadomość oryginalna-----\nOd: x", "Tak."),
        ("Tak.\n\n-- \nJan Kowalski\ntel. 500 100 200", "Tak."),
        ("> tylko cytat", "> tylko cytat"),
    ],
)
def test_quote_and_signature_stripping(text: str, expected: str):
    assert strip_reply(text) == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"Subject: no sender\r\n\r\nbody",
        b"From: not-an-address\r\n\r\nbody",
        b"From: a@b.pl\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
        + b"".join(
            b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(40)
        ),
    ],
)
def test_poison_mail_is_refused(raw: bytes):
    with pytest.raises(PoisonMail):
        parse_mail(raw)


def test_dedupe_key_ignores_transport_headers_but_not_content():
    one = b"Received: by a\r\nFrom: a@b.pl\r\nSubject: x\r\n\r\nbody"
    copy = b"Received: by b\r\nDelivered-To: c@d.pl\r\nFrom: a@b.pl\r\nSubject: x\r\n\r\nbody"
    other = b"From: a@b.pl\r\nSubject: x\r\n\r\nanother body"
    assert dedupe_key("id@x", one) == dedupe_key("id@x", copy)
    assert dedupe_key("id@x", one) != dedupe_key("id@x", other)
    assert dedupe_key(None, one).startswith("nomid#")


def test_reply_tokens_verify_only_with_the_right_mac():
    key = b"k" * 32
    token = thread_token(key, "CH1", "01jthread0000000000000000a")
    assert verified_thread(key, "CH1", [f"<01abc.{token}@sklep.pl>"]) == "01jthread0000000000000000a"
    assert verified_thread(key, "CH2", [f"<01abc.{token}@sklep.pl>"]) is None
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert verified_thread(key, "CH1", [forged]) is None
    assert verified_thread(key, "CH1", [token[:-5]]) is None
    assert verified_thread(key, "CH1", ["s01jthread0000000000000000a-"]) is None
