"""The agent workspace's pages in one router (inbox, case, customer, search, settings)."""

from fastapi import APIRouter

from sprawa.web.pages import cases, customers, inbox, settings

router = APIRouter(include_in_schema=False)
for module in (inbox, cases, customers, settings):
    router.include_router(module.router)
