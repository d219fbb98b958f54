"""Customer content for display: quoted history split off, e-mail HTML sanitised at render time."""

from sprawa.web.content import split_html, split_text


def test_plain_text_reply_splits_at_the_quote():
    body = split_text("Dziękuję!\n\nW dniu 2.11.2026 o 10:00 Sklep napisał:\n> Paczka wysłana")
    assert (body.main, body.quoted) == (
        "Dziękuję!",
        "W dniu 2.11.2026 o 10:00 Sklep napisał:\n> Paczka wysłana",
    )
    assert split_text("> cytat na początku").quoted == ""


def test_html_is_sanitised_and_split_at_the_first_blockquote():
    body = split_html(
        '<div>Nowe <img src="https://t.example/p.gif"><a href="javascript:x">a</a><blockquote>stare</div>'
    )
    assert str(body.main) == '<div>Nowe <a rel="noopener noreferrer">a</a></div>'
    assert str(body.quoted) == "<blockquote>stare</blockquote>"
