"""The agent workspace's navigation: one entry per page, filtered by the signed-in principal's role."""

from dataclasses import dataclass

from sprawa.auth.schemas import Principal


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # Polish; translated in the template
    icon: str = ""
    admin_only: bool = False

    def visible_to(self, principal: Principal) -> bool:
        return principal.is_admin or not self.admin_only


NAV: list[NavItem] = [
    NavItem("/app/inbox", "Skrzynka", "inbox"),
    NavItem("/app/customers", "Klienci", "people"),
    NavItem("/app/search", "Szukaj", "search"),
    NavItem("/app/settings", "Ustawienia", "settings", admin_only=True),
    NavItem("/app/aftersales/returns", "Zwroty i reklamacje", "returns"),
    NavItem("/app/insights", "Statystyki", "chart", admin_only=True),
    NavItem("/app/privacy", "RODO", "shield", admin_only=True),
]


def nav_for(principal: Principal) -> list[NavItem]:
    return [item for item in NAV if item.visible_to(principal)]
