"""Why a shop or carrier API could not be read: the problem kinds shown in settings and to the AI."""

from enum import StrEnum

from sprawa.platform.errors import AppError


class ConnectorProblem(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"
    BAD_RESPONSE = "bad_response"
    NOT_CONFIGURED = "not_configured"


#: What an admin reads in settings for each problem (Polish, English).
PROBLEM_TEXT: dict[ConnectorProblem, tuple[str, str]] = {
    ConnectorProblem.BAD_CREDENTIALS: (
        "Sklep odrzucił dane logowania. Sprawdź klucz API i jego uprawnienia.",
        "The shop rejected the credentials. Check the API key and its permissions.",
    ),
    ConnectorProblem.RATE_LIMITED: (
        "Sklep chwilowo ogranicza liczbę zapytań. Ponowimy je sami, nic nie trzeba robić.",
        "The shop is limiting requests for now. We retry on our own; nothing to do.",
    ),
    ConnectorProblem.UNREACHABLE: (
        "Nie udało się połączyć ze sklepem. Sprawdź adres sklepu i czy działa.",
        "Could not connect to the shop. Check the shop address and that it is up.",
    ),
    ConnectorProblem.BAD_RESPONSE: (
        "Sklep odpowiedział w nieoczekiwany sposób. Szczegóły są w dzienniku błędów.",
        "The shop answered in an unexpected way. Details are in the error log.",
    ),
    ConnectorProblem.NOT_CONFIGURED: (
        "Połączenie ze sklepem nie jest skonfigurowane.",
        "The shop connection is not configured.",
    ),
}


#: The same for a carrier's tracking API (InPost ShipX).
CARRIER_PROBLEM_TEXT: dict[ConnectorProblem, tuple[str, str]] = {
    ConnectorProblem.BAD_CREDENTIALS: (
        "Przewoźnik odrzucił token API lub numer organizacji. Sprawdź je w panelu przewoźnika.",
        "The carrier rejected the API token or organisation id. Check them in the carrier's panel.",
    ),
    ConnectorProblem.RATE_LIMITED: (
        "Przewoźnik chwilowo ogranicza liczbę zapytań. Ponowimy je sami, nic nie trzeba robić.",
        "The carrier is limiting requests for now. We retry on our own; nothing to do.",
    ),
    ConnectorProblem.UNREACHABLE: (
        "Nie udało się połączyć z przewoźnikiem. Sprawdź adres API i czy działa.",
        "Could not connect to the carrier. Check the API address and that it is up.",
    ),
    ConnectorProblem.BAD_RESPONSE: (
        "Przewoźnik odpowiedział w nieoczekiwany sposób. Szczegóły są poniżej.",
        "The carrier answered in an unexpected way. Details are below.",
    ),
    ConnectorProblem.NOT_CONFIGURED: (
        "Śledzenie u tego przewoźnika nie jest skonfigurowane.",
        "Tracking with this carrier is not configured.",
    ),
}


def problem_text(problem: ConnectorProblem, source: str = "shop") -> tuple[str, str]:
    """What an admin reads about a problem of the shop connection or (other ``source``) a carrier's."""
    return (PROBLEM_TEXT if source == "shop" or source.startswith("prestashop") else CARRIER_PROBLEM_TEXT)[
        problem
    ]


class ConnectorError(AppError):
    """A shop or carrier API call failed; ``problem`` says what an admin can do about it.

    Raised through an API handler it answers 503 with the problem's code (``shop_unreachable``...) and the
    admin's text; the provider's own answer (``detail``) stays in the connector's health, not the response.
    """

    status = 503

    def __init__(self, problem: ConnectorProblem, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(PROBLEM_TEXT[problem][1], code=f"shop_{problem}", details={"problem": str(problem)})
        self.problem = problem
        self.detail = detail
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.problem}: {self.detail}"
