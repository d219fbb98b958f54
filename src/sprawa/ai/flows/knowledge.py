"""Answers from the shop's own articles (quoted with their source) and from its product catalogue."""

from sprawa.ai.actions.base import ActionName
from sprawa.ai.flows.turn import Reply, Turn
from sprawa.ai.guardrails import looks_like_injection
from sprawa.ai.retrieval import search

#: Below this combined score no article is trusted to answer: the AI says so and passes to a person.
MIN_SCORE = 0.62
PRODUCT_INTENTS = frozenset({"product_question"})


def knowledge_answer(turn: Turn) -> Reply:
    found = search(turn.session, turn.workspace.id, turn.u.normalized, turn.lang, limit=5)
    # A passage that addresses the AI is data at best and an attack at worst: never quoted.
    passages = [p for p in found if not looks_like_injection(p.text)][:3]
    turn.passages = [p.as_dict() | {"quarantined": False} for p in passages] + [
        p.as_dict() | {"quarantined": True} for p in found if looks_like_injection(p.text)
    ]
    turn.grounding += [p.text for p in passages]
    product = _product_answer(turn) if turn.u.intent in PRODUCT_INTENTS else None
    if product is not None:
        return product
    best = passages[0] if passages else None
    if best is None or best.score < MIN_SCORE:
        return Reply(
            None,
            "dont_know",
            f"no article scored above {MIN_SCORE} (best {best.score:.2f})" if best else "no articles",
            "Brak pewnej odpowiedzi w bazie wiedzy — AI nie zgaduje, przekazano konsultantowi.",
            progress=False,
            escalate=["low_confidence"],
            facts={"lead": turn.say("handoff_unknown")},
        )
    return Reply(
        turn.say("knowledge", passage=best.text.strip(), title=best.title),
        "knowledge_answer",
        f"article “{best.slug}” v{best.version} scored {best.score:.2f}",
        f"Odpowiedziano fragmentem artykułu „{best.title}” (wynik {best.score:.2f}).",
        facts={"article": best.slug},
    )


def _product_answer(turn: Turn) -> Reply | None:
    outcome = turn.act(ActionName.LOOKUP_PRODUCT, {"query": turn.u.normalized[:300]})
    if not outcome.ok:
        return None
    product = outcome.data["products"][0]
    words = {w for w in turn.u.normalized.lower().split() if len(w) > 3}
    if not any(w[:5] in product.name.lower() for w in words):
        return None  # the catalogue's best match is not what the customer named
    availability = turn.say("available" if product.available else "unavailable")
    text = turn.say(
        "product",
        name=product.name,
        availability=availability,
        price=turn.money(product.price, product.currency),
    )
    usable = [p for p in turn.passages if not p["quarantined"]]
    if usable and usable[0]["score"] >= MIN_SCORE:
        best = usable[0]
        text += "\n\n" + turn.say("knowledge", passage=best["text"].strip(), title=best["title"])
    turn.facts["product"] = {
        "id": product.external_id,
        "name": product.name,
        "available": product.available,
        "price": str(product.price),
    }
    return Reply(
        text,
        "product_answer",
        f"catalogue data of product {product.external_id}",
        f"Podano dostępność i cenę produktu „{product.name}” z katalogu sklepu.",
    )
