"""Allegro orders connector against a fake: checkout forms, journal, shipments + Allegro tracking, returns."""

import pytest

from sprawa.commerce.allegro.connector import AllegroOrders
from sprawa.commerce.base import OrderStatus, RefusalCode
from sprawa.commerce.errors import ConnectorError, ConnectorProblem
from sprawa.commerce.models import ShipmentState
from tests.commerce.conftest import shop_config
from tests.fakes.allegro_orders import FakeAllegro, make_form
from tests.fakes.asgi import serve

WAYBILL = "620111222333444555666777"


@pytest.fixture
def fake():
    allegro = FakeAllegro()
    allegro.forms = [make_form(i, email=f"k{i % 2}@example.pl") for i in range(1, 151)]
    allegro.forms.append(make_form(200, fulfilment="PROCESSING"))
    first = allegro.forms[0]["id"]
    allegro.shipments[first] = [
        {
            "id": "s1",
            "waybill": WAYBILL,
            "carrierId": "INPOST",
            "carrierName": "InPost",
            "createdAt": "2026-05-18T12:00:00Z",
        }
    ]
    allegro.tracking[WAYBILL] = [
        {"occurredAt": "2026-05-18T12:00:00Z", "code": "IN_TRANSIT", "description": "Przesyłka w drodze"},
        {
            "occurredAt": "2026-05-19T09:00:00Z",
            "code": "AVAILABLE_FOR_PICKUP",
            "description": "Gotowa do odbioru",
        },
    ]
    allegro.events = [
        {
            "id": f"ev{n}",
            "occurredAt": "2026-05-19T10:00:00Z",
            "type": "READY_FOR_PROCESSING",
            "order": {"checkoutForm": {"id": allegro.forms[i]["id"], "revision": "r"}},
        }
        for n, i in enumerate((0, 1, 0))
    ]
    with serve(allegro.app) as url:
        allegro.url = url
        yield allegro


@pytest.fixture
def allegro(runtime, fake, env):
    config = shop_config(runtime, "allegro", fake.url, access_token=fake.token) | {"base_url": fake.url}
    return AllegroOrders(env, config)


def test_checkout_form_with_tracking(allegro, fake):
    order = allegro.get_order(fake.forms[0]["id"])
    assert order.status == OrderStatus.SHIPPED and order.customer.email == "k1@example.pl"
    [parcel] = order.shipments
    assert parcel.state == ShipmentState.READY_FOR_PICKUP and parcel.carrier == "inpost"
    assert [e.code for e in parcel.events] == ["IN_TRANSIT", "AVAILABLE_FOR_PICKUP"]
    assert allegro.get_order("nope") is None


def test_a_return_marks_the_order(allegro, fake):
    form = fake.forms[1]
    fake.returns[form["id"]] = [
        {"id": "r1", "orderId": form["id"], "status": "CREATED", "items": [], "parcels": []}
    ]
    assert allegro.get_order(form["id"]).status == OrderStatus.RETURN_REQUESTED


def test_forms_page_by_offset(allegro):
    assert len(list(allegro.iter_orders())) == 151


def test_journal_starts_at_the_latest_event_then_follows(allegro, fake):
    assert allegro.journal(None) == ([], "ev2")
    assert allegro.journal("ev0") == ([fake.forms[1]["id"], fake.forms[0]["id"]], "ev2")


def test_429_backs_off_and_401_is_bad_credentials(allegro, fake, sleeps, runtime, env):
    fake.rate_limited = 1
    assert allegro.get_order(fake.forms[2]["id"]) is not None and sleeps
    wrong = AllegroOrders(
        env, shop_config(runtime, "allegro", fake.url, access_token="old") | {"base_url": fake.url}
    )
    with pytest.raises(ConnectorError) as err:
        wrong.get_order(fake.forms[0]["id"])
    assert err.value.problem == ConnectorProblem.BAD_CREDENTIALS


def test_cancel_only_before_shipping_with_the_revision(allegro, fake):
    assert allegro.cancel_order(fake.forms[0]["id"], reason="x").code == RefusalCode.ALREADY_SHIPPED
    done = allegro.cancel_order(fake.forms[-1]["id"], reason="Kupujący zrezygnował")
    assert done.ok and done.order.status == OrderStatus.CANCELLED


# --- token refresh -------------------------------------------------------------------------------------


def _connect(db, workspace, runtime, fake, **extra):
    from sprawa.workspaces.models import Workspace

    creds = {
        "access_token": "allegro-access-token",
        "refresh_token": fake.refresh_token,
        "client_id": fake.client[0],
        "client_secret": fake.client[1],
    } | extra
    config = shop_config(runtime, "allegro", fake.url, **creds) | {"base_url": fake.url}
    ws = db.get(Workspace, workspace.id)
    ws.settings = {**(ws.settings or {}), "commerce": config}
    db.commit()


def _stored(db, runtime, workspace):
    from sprawa.workspaces.models import Workspace

    db.expire_all()
    sealed = db.get(Workspace, workspace.id).settings["commerce"]["credentials"]
    return sealed, runtime.ingest.secrets.open(sealed)


def test_a_refused_token_is_refreshed_stored_sealed_and_retried(db, workspace, runtime, fake, env):
    from sprawa.commerce.service import connector_for

    _connect(db, workspace, runtime, fake)
    fake.token = "allegro-access-rotated-by-allegro"  # the stored token no longer works: 401
    fake.refresh_token = "allegro-refresh-1"
    order = connector_for(db, workspace.id, env).get_order(fake.forms[0]["id"])
    db.commit()
    assert order is not None and fake.refreshes == 1
    sealed, creds = _stored(db, runtime, workspace)
    assert creds["access_token"] == fake.token == "allegro-access-2"
    assert creds["refresh_token"] == "allegro-refresh-2" and creds["client_id"] == fake.client[0]
    assert "allegro-refresh-2" not in sealed and "allegro-access-2" not in sealed  # encrypted at rest
    assert creds["expires_at"] > "2026"
    # The next connector uses the stored token: no second refresh.
    assert connector_for(db, workspace.id, env).get_order(fake.forms[1]["id"]) is not None
    assert fake.refreshes == 1


def test_an_expired_token_is_refreshed_before_the_first_call(db, workspace, runtime, fake, env):
    from sprawa.commerce.service import connector_for

    _connect(db, workspace, runtime, fake, expires_at="2020-01-01T00:00:00+00:00")
    fake.token = "nothing-works-until-refreshed"
    assert connector_for(db, workspace.id, env).journal(None) == ([], "ev2")
    db.commit()
    assert fake.refreshes == 1 and _stored(db, runtime, workspace)[1]["access_token"] == fake.token


def test_concurrent_refreshes_spend_the_refresh_token_once(workspace, runtime, fake, env):
    import threading

    from sprawa.commerce.service import connector_for

    with runtime.factory.begin() as db:
        _connect(db, workspace, runtime, fake)
    fake.token = "allegro-access-rotated-by-allegro"
    results, errors = [], []

    def worker():
        try:
            with runtime.factory.begin() as session:
                results.append(connector_for(session, workspace.id, env).get_order(fake.forms[0]["id"]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(results) == 3 and all(results)
    assert fake.refreshes == 1  # the others found the new token under the lock
    with runtime.factory() as db:
        assert _stored(db, runtime, workspace)[1]["refresh_token"] == fake.refresh_token


def test_a_refused_refresh_token_is_bad_credentials(db, workspace, runtime, fake, env):
    from sprawa.commerce.service import connector_for

    _connect(db, workspace, runtime, fake, refresh_token="revoked")
    fake.token = "allegro-access-rotated-by-allegro"
    with pytest.raises(ConnectorError) as err:
        connector_for(db, workspace.id, env).get_order(fake.forms[0]["id"])
    assert err.value.problem == ConnectorProblem.BAD_CREDENTIALS and fake.refreshes == 0
    assert "connect the account again" in err.value.detail
