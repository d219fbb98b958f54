"""The shop sets the art. 29 §2 date and the cheapest ordinary delivery (art. 32) in its returns form."""


def _post(admin, data: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    form: dict[str, list[str]] = {"csrf_token": [admin.client.headers["X-CSRF-Token"]]}
    for name, value in data:
        form.setdefault(name, []).append(value)
    return admin.client.post(
        "/app/settings/policies/returns", data=form, headers={"X-CSRF-Token": ""}, follow_redirects=False
    )


BASE = [
    ("window_days", "14"),
    ("return_shipping_paid_by", "customer"),
    ("return_methods", "paczkomat"),
    ("withdrawal_info_given", "1"),
]


def test_the_returns_form_sets_and_clears_the_late_information_day_and_cheapest_delivery(admin) -> None:  # type: ignore[no-untyped-def]
    page = admin.client.get("/app/settings/policies").text
    assert 'name="cheapest_delivery_price"' in page and 'name="withdrawal_info_sent_on"' in page

    saved = _post(
        admin, [*BASE, ("cheapest_delivery_price", "9,99"), ("withdrawal_info_sent_on", "2027-03-01")]
    )
    assert saved.status_code == 303
    data = admin.client.get("/api/v1/policies/returns").json()["data"]
    assert (data["cheapest_delivery_price"], data["withdrawal_info_sent_on"]) == ("9.99", "2027-03-01")
    page = admin.client.get("/app/settings/policies").text
    assert 'value="2027-03-01"' in page

    bad = _post(admin, [*BASE, ("withdrawal_info_sent_on", "1 marca")])
    assert bad.status_code == 422

    cleared = _post(admin, [*BASE, ("cheapest_delivery_price", ""), ("withdrawal_info_sent_on", "")])
    assert cleared.status_code == 303
    data = admin.client.get("/api/v1/policies/returns").json()["data"]
    assert (data["cheapest_delivery_price"], data["withdrawal_info_sent_on"]) == (None, None)
