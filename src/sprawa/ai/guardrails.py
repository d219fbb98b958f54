"""Checks every AI reply and every grounding passage must pass (DESIGN 5.4).

- Passages that talk to the AI ("ignore the instructions", "system prompt", "you are now...") are never
  quoted: text in an article, an order note or an e-mail is data, not an instruction.
- A reply may contain links only from the allow-list (carrier tracking pages, the shop's own domains),
  e-mail addresses only of the customer or the shop, and amounts, percentages and codes only when the
  grounding (shop data, policy, quoted article) holds them — so no discount or promise is invented.
"""

import re
from collections.abc import Iterable

from sprawa.ai.nlu.normalize import fold

CARRIER_LINKS = (
    "https://inpost.pl/",
    "https://tracktrace.dpd.com.pl/",
    "https://emonitoring.poczta-polska.pl/",
    "https://www.dhl.com/",
    "https://allegro.pl/",
)
_INJECTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|the\s+|any\s+|your\s+)*(previous|prior|above|earlier)?\s*"
    r"(instructions|rules|prompt)|system\s*prompt|developer\s+mode|jailbreak|you\s+are\s+now|"
    r"act\s+as\s+(an?\s+)?(admin|developer|system)|as\s+an\s+ai\b|"
    r"zignoruj|pomin\s+(wszystkie\s+|poprzednie\s+)*(instrukcj|zasad|polecen)|zapomnij\s+(o\s+)?(instrukcj|zasad)|"
    r"prompt\s+systemow|tryb\s+(administratora|deweloper)|jestes\s+teraz|"
    r"(assistant|asystent|ai|bot|model)\s*[:,]?\s*(must|should|musi|powinien|masz)\b|"
    r"\[?(system|assistant)\]?\s*:",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_URL = re.compile(r"https?://[^\s)>\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s?%")
_CODE = re.compile(r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{2,}(?:-[A-Z0-9]+)*\b")


def looks_like_injection(text: str) -> bool:
    """Text addressed to the AI rather than to a customer (checked folded, so Polish without ogonki too)."""
    return bool(_INJECTION.search(fold(text)))


def violations(
    reply: str,
    grounding: Iterable[str],
    *,
    allowed_links: Iterable[str] = (),
    emails: Iterable[str] = (),
    numbers: bool = False,
) -> list[str]:
    """What in ``reply`` is not backed by ``grounding`` (empty list: the reply may go out).

    ``numbers`` also requires every number (dates, times, amounts, counts) to appear in the grounding;
    used for LLM answers, whose grounding includes the template draft.
    """
    ground = "\n".join(grounding)
    problems = []
    if numbers:
        for number in _NUMBER.findall(reply):
            if number not in ground:
                problems.append(f"number not in the shop's data: {number}")
    prefixes = tuple(CARRIER_LINKS) + tuple(allowed_links)
    for url in _URL.findall(reply):
        if not url.startswith(prefixes):
            problems.append(f"link not on the allow-list: {url}")
    known = {e.lower() for e in emails} | {e.lower() for e in _EMAIL.findall(ground)}
    for email in _EMAIL.findall(reply):
        if email.lower() not in known:
            problems.append(f"e-mail address not from the customer or the shop: {email}")
    for percent in _PERCENT.findall(reply):
        if percent.replace(" ", "") not in ground.replace(" ", ""):
            problems.append(f"percentage not in the shop's data or policy: {percent}")
    for code in _CODE.findall(reply):
        if code not in ground and not code.isdigit():
            problems.append(f"code or number not in the shop's data: {code}")
    if looks_like_injection(reply):
        problems.append("the reply repeats instructions addressed to the AI")
    return problems
