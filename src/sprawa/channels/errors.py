"""Errors of channel setup and providers that an admin sees (in Polish and English)."""


class ConnectionProblem(Exception):
    """A provider could not be reached or refused our credentials; ``permanent`` when retrying is futile."""

    def __init__(self, polish: str, english: str, *, permanent: bool = False) -> None:
        super().__init__(english)
        self.polish = polish
        self.english = english
        self.permanent = permanent
