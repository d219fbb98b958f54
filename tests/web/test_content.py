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


def test_cid_images_resolve_to_the_messages_own_files_and_unknown_ones_go():
    images = {"foto1@ex.pl": "/app/attachments/A1/preview"}
    body = split_html(
        '<p title="<img>">Zdjęcie <img src="cid:%3CFOTO1@ex.pl%3E" alt="x" onerror="y()">'
        '<img src="cid:obce@ex.pl"><img src="/app/attachments/B2/preview"><img src="https://t.example/p.gif">'
        '</p><blockquote><img src="cid:foto1@ex.pl"></blockquote>',
        images,
    )
    assert str(body.main) == '<p title="&lt;img&gt;">Zdjęcie <img src="/app/attachments/A1/preview"></p>'
    assert str(body.quoted) == '<blockquote><img src="/app/attachments/A1/preview"></blockquote>'
    assert "<img" not in str(split_html('<img src="cid:foto1@ex.pl">').main)
