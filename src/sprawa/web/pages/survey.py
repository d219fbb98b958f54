"""The customer's survey page: /ankieta/{signed token} — CSAT 1–5 (+ comment) and, when asked, NPS 0–10.

No login: the signed token is the key. Text follows the customer's language (pl, en, uk, de).
"""

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from sprawa.deps import DbSession, RuntimeDep
from sprawa.insights.actions.surveys import (
    answered_kinds,
    do_answer_survey,
    request_from_token,
    survey_group,
)
from sprawa.insights.models import SurveyKind, SurveyStatus
from sprawa.platform.errors import AppError
from sprawa.web.render import templates

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=10, max_length=200)]

TEXT = {
    "pl": {
        "title": "Jak nam poszło?",
        "csat": "Jak oceniają Państwo naszą pomoc w tej sprawie?",
        "csat_low": "bardzo źle",
        "csat_high": "bardzo dobrze",
        "nps": "Jak bardzo prawdopodobne jest, że polecą nas Państwo znajomym?",
        "nps_low": "wcale",
        "nps_high": "na pewno",
        "comment": "Czy chcą Państwo coś dodać? (nieobowiązkowe)",
        "send": "Wyślij ocenę",
        "thanks": "Dziękujemy! Ocena została zapisana.",
        "thanks_low": "Dziękujemy za szczerość. Ktoś z naszego zespołu wróci do tej sprawy i się odezwie.",
        "invalid": "Ten link do ankiety jest nieprawidłowy lub wygasł.",
        "choose": "Proszę wybrać ocenę.",
    },
    "en": {
        "title": "How did we do?",
        "csat": "How would you rate our help with this matter?",
        "csat_low": "very poor",
        "csat_high": "very good",
        "nps": "How likely are you to recommend us to a friend?",
        "nps_low": "not at all",
        "nps_high": "extremely likely",
        "comment": "Anything you would like to add? (optional)",
        "send": "Send rating",
        "thanks": "Thank you! Your rating has been saved.",
        "thanks_low": "Thank you for being honest. Someone from our team will look at this again "
        "and get back to you.",
        "invalid": "This survey link is not valid or has expired.",
        "choose": "Please choose a rating.",
    },
    "uk": {
        "title": "Як ми впоралися?",
        "csat": "Як Ви оцінюєте нашу допомогу в цій справі?",
        "csat_low": "дуже погано",
        "csat_high": "дуже добре",
        "nps": "Наскільки ймовірно, що Ви порекомендуєте нас знайомим?",
        "nps_low": "зовсім ні",
        "nps_high": "напевно",
        "comment": "Бажаєте щось додати? (необов'язково)",
        "send": "Надіслати оцінку",
        "thanks": "Дякуємо! Оцінку збережено.",
        "thanks_low": "Дякуємо за відвертість. Хтось із нашої команди ще раз розгляне справу "
        "і зв'яжеться з Вами.",
        "invalid": "Це посилання на опитування недійсне або застаріле.",
        "choose": "Будь ласка, оберіть оцінку.",
    },
    "de": {
        "title": "Wie waren wir?",
        "csat": "Wie bewerten Sie unsere Hilfe in dieser Angelegenheit?",
        "csat_low": "sehr schlecht",
        "csat_high": "sehr gut",
        "nps": "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen?",
        "nps_low": "gar nicht",
        "nps_high": "sehr wahrscheinlich",
        "comment": "Möchten Sie noch etwas ergänzen? (optional)",
        "send": "Bewertung senden",
        "thanks": "Vielen Dank! Ihre Bewertung wurde gespeichert.",
        "thanks_low": "Danke für Ihre Offenheit. Jemand aus unserem Team schaut sich das noch einmal an "
        "und meldet sich bei Ihnen.",
        "invalid": "Dieser Umfragelink ist ungültig oder abgelaufen.",
        "choose": "Bitte wählen Sie eine Bewertung.",
    },
}


def _page(request: Request, context: dict[str, object], status_code: int = 200) -> HTMLResponse:
    lang = str(context.get("lang", "pl"))
    shared = {"text": TEXT.get(lang, TEXT["pl"]), "csp_nonce": request.scope.get("csp_nonce", "")}
    return templates.TemplateResponse(
        request, "insights/survey.html", {**shared, **context}, status_code=status_code
    )


@router.get("/ankieta/{token}", response_class=HTMLResponse)
def survey_page(token: Token, request: Request, db: DbSession, runtime: RuntimeDep) -> HTMLResponse:
    try:
        survey = request_from_token(db, runtime.settings.resolved_secret_key, token)
    except AppError:
        return _page(request, {"state": "invalid", "lang": "pl"}, status_code=404)
    group = survey_group(db, survey)
    answered = answered_kinds(db, survey)
    kinds = [r.kind for r in group if r.status == SurveyStatus.SENT]
    state = "form" if kinds else ("thanks" if answered else "invalid")
    return _page(
        request,
        {"state": state, "lang": survey.language, "kinds": kinds, "token": token, "error": None},
        status_code=200 if state != "invalid" else 404,
    )


@router.post("/ankieta/{token}", response_class=HTMLResponse)
def survey_submit(
    token: Token,
    request: Request,
    db: DbSession,
    runtime: RuntimeDep,
    csat: Annotated[int | None, Form()] = None,
    nps: Annotated[int | None, Form()] = None,
    comment: Annotated[str | None, Form(max_length=2000)] = None,
) -> HTMLResponse:
    try:
        survey = request_from_token(db, runtime.settings.resolved_secret_key, token)
    except AppError:
        return _page(request, {"state": "invalid", "lang": "pl"}, status_code=404)
    scores = {k: v for k, v in ((SurveyKind.CSAT, csat), (SurveyKind.NPS, nps)) if v is not None}
    kinds = [r.kind for r in survey_group(db, survey) if r.status == SurveyStatus.SENT]
    try:
        responses = do_answer_survey(db, survey, scores, comment)
    except AppError as exc:
        if exc.code == "already_answered":
            return _page(request, {"state": "thanks", "lang": survey.language, "low": False})
        context = {
            "state": "form",
            "lang": survey.language,
            "kinds": kinds,
            "token": token,
            "error": "choose",
        }
        return _page(request, context, status_code=exc.status)
    low = any(r.follow_up_case_id for r in responses)
    return _page(request, {"state": "thanks", "lang": survey.language, "low": low})
