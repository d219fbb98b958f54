"""Cutting quoted history and signatures off a plain-text reply, with the patterns of Polish clients.

Checked libraries (mail-parser-reply 1.36, email-reply-parser) miss Gmail's Polish header
("W dniu pon., 23 lis 2026 o 10:00 Jan <jan@x.pl> napisał(a):"), "Wysłane z mojego iPhone'a" and
Outlook's Polish "Od:/Wysłano:" block, and cut at a bare "Pozdrawiam" (losing the customer's name),
so the few patterns live here. When nothing is left after cutting, the whole text is kept.
"""

import re

# A line that opens quoted history. Gmail wraps long headers, so the check also runs on two joined lines.
_WROTE = re.compile(
    r"^\s*("
    r"(W\s+dniu|Dnia)\b.{0,200}\bnapisa(ł|l)(\(a\)|a)?\s*:"
    r"|On\b.{0,200}\bwrote\s*:"
    r"|Am\b.{0,200}\bschrieb\b.{0,100}:"
    r"|-{2,}\s*(Original Message|Wiadomość oryginalna|Oryginalna wiadomość|Ursprüngliche Nachricht)\s*-{2,}"
    r"|_{10,}"
    r")\s*$",
    re.IGNORECASE,
)
# Outlook-style header block: a "From:" line followed within three lines by a "Sent:/Date:" one.
_FROM = re.compile(r"^\s*\**\s*(Od|From|Von|Nadawca)\s*:\**\s*\S", re.IGNORECASE)
_SENT = re.compile(
    r"^\s*\**\s*(Wysłano|Sent|Gesendet|Data|Date|Datum|Do|To|An|Temat|Subject|Betreff)\s*:", re.I
)
# Device and client signatures, and the RFC 3676 signature delimiter.
_SIGNATURE = re.compile(
    r"^\s*("
    r"--\s*"
    r"|(Wysłane|Wysłano)\s+(z|ze|przy)\b.{0,80}"
    r"|Sent from\b.{0,80}"
    r"|Von meinem\b.{0,80}gesendet"
    r"|Get Outlook for\b.{0,40}"
    r"|Pobierz Outlook\b.{0,40}"
    r")$",
    re.IGNORECASE,
)


def strip_reply(text: str) -> str:
    """The customer's new words: quoted history, ``>`` blocks and client signatures removed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = len(lines)
    for i, line in enumerate(lines):
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line
        if _WROTE.match(line) or (line.strip() and _WROTE.match(joined)):
            cut = i
            break
        if _FROM.match(line) and any(_SENT.match(n) for n in lines[i + 1 : i + 4]):
            cut = i
            break
        if line.startswith(">") and all(not n.strip() or n.startswith(">") for n in lines[i:]):
            cut = i
            break
    body = lines[:cut]
    for i, line in enumerate(body):
        if _SIGNATURE.match(line):
            body = body[:i]
            break
    result = "\n".join(body).strip()
    return result or text.strip()
