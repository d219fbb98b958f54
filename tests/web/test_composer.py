"""The case view's composer: the file picker follows whether the chosen conversation's channel sends files."""

import re

from sprawa.channels.models import ChannelKind
from tests.factories import make_channel
from tests.web.conftest import inbound


def test_composer_offers_files_only_on_channels_that_send_them(agent, db, runtime, workspace, email_case):
    form = make_channel(db, workspace, ChannelKind.FORM, name="Formularz")
    db.commit()
    form_case = inbound(db, runtime, form, "Formularz: zwrot", key="f1")

    page = agent.client.get(f"/app/cases/{email_case.id}").text
    form_page = agent.client.get(f"/app/cases/{form_case.id}").text

    assert 'id="composer-file"' in page
    # The picker follows the chosen conversation: e-mail sends files, the contact form cannot.
    assert re.search(r'data-sends-files="1" selected>E-mail: Sklep e-mail', page)
    # A channel named after its kind is not labelled twice ("Formularz", not "Formularz: Formularz").
    assert re.search(r'data-sends-files="0" selected>Formularz</option>', form_page)
    assert re.search(r'data-sends-files="1" >E-mail: Sklep e-mail', form_page)
