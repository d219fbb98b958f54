"""CSAT/NPS surveys: scheduled once after resolution, sent on the case channel, answered on a signed page."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from sprawa.auth.queries import principal_for_user
from sprawa.cases.models import AuthorKind, Case, CaseStatus, Message, Note, Priority
from sprawa.cases.service import do_reply, do_update_case
from sprawa.db import utcnow
from sprawa.insights.actions.surveys import (
    SEND_JOB,
    do_send_survey,
    schedule_surveys,
    survey_token,
)
from sprawa.insights.models import SurveyKind, SurveyRequest, SurveyResponse, SurveyStatus
from sprawa.platform.jobs import Job
from sprawa.runtime import Runtime
from tests.cases.factories import inbound
from tests.factories import count_rows, make_user

BASE = "https://sklep.example"


def resolved_case(db: Session, runtime: Runtime, channel, thread: str = "t-1") -> Case:  # type: ignore[no-untyped-def]
    message = inbound(db, runtime, channel, "Gdzie jest moja paczka?", thread=thread)
    case = db.get(Case, message.case_id)
    assert case is not None
    user = make_user(db, _workspace(db, channel.workspace_id))
    do_reply(db, principal_for_user(db, user), case, "Paczka dotrze jutro.", status_after=CaseStatus.RESOLVED)
    db.flush()
    return case


def _workspace(db: Session, workspace_id: str):  # type: ignore[no-untyped-def]
    from sprawa.workspaces.models import Workspace

    return db.get(Workspace, workspace_id)


def sent_survey(db: Session, runtime: Runtime, channel) -> tuple[Case, str]:  # type: ignore[no-untyped-def]
    case = resolved_case(db, runtime, channel)
    assert schedule_surveys(db, case.workspace_id) == 1
    do_send_survey(db, case.id, runtime.settings.resolved_secret_key, BASE, runtime.ingest.adapters)
    db.commit()
    last = db.scalars(select(Message).where(Message.case_id == case.id).order_by(Message.seq.desc())).first()
    assert last is not None
    match = re.search(r"/ankieta/(\S+)$", last.body_text)
    assert match is not None
    db.rollback()  # end the read: on SQLite it would hold the write lock while the client posts
    return case, match.group(1)


def test_survey_is_scheduled_once_after_the_delay_and_sent_on_the_case_channel(
    db: Session, runtime: Runtime, channel
) -> None:  # type: ignore[no-untyped-def]
    case = resolved_case(db, runtime, channel)
    assert schedule_surveys(db, case.workspace_id) == 1
    assert schedule_surveys(db, case.workspace_id) == 0  # once per case
    requests = list(db.scalars(select(SurveyRequest).where(SurveyRequest.case_id == case.id)))
    assert sorted(r.kind for r in requests) == [SurveyKind.CSAT, SurveyKind.NPS]
    assert {r.send_at for r in requests} == {case.resolved_at + timedelta(minutes=60)}
    job = db.scalar(select(Job).where(Job.kind == SEND_JOB))
    assert job is not None and job.run_at == case.resolved_at + timedelta(minutes=60)

    do_send_survey(db, case.id, runtime.settings.resolved_secret_key, BASE, runtime.ingest.adapters)
    do_send_survey(
        db, case.id, runtime.settings.resolved_secret_key, BASE, runtime.ingest.adapters
    )  # idempotent
    db.commit()
    surveys = list(
        db.scalars(select(Message).where(Message.case_id == case.id, Message.author_kind == "system"))
    )
    assert len(surveys) == 1
    assert surveys[0].channel_id == channel.id and surveys[0].body_text.startswith("Dziękujemy za kontakt.")
    assert count_rows(db, Job, Job.idempotency_key == f"deliver:{surveys[0].id}") == 1
    assert {r.status for r in db.scalars(select(SurveyRequest))} == {SurveyStatus.SENT}
    db.refresh(case)
    assert case.status == CaseStatus.RESOLVED  # the survey message does not reopen anything


def test_nps_waits_for_the_cooldown(db: Session, runtime: Runtime, channel) -> None:  # type: ignore[no-untyped-def]
    first = resolved_case(db, runtime, channel)
    schedule_surveys(db, first.workspace_id)
    second = resolved_case(db, runtime, channel, thread="t-2")  # the same customer, another matter
    assert (second.id != first.id, second.customer_id) == (True, first.customer_id)
    schedule_surveys(db, first.workspace_id)
    kinds = [r.kind for r in db.scalars(select(SurveyRequest).where(SurveyRequest.case_id == second.id))]
    assert kinds == [SurveyKind.CSAT]


def test_a_case_reopened_before_the_send_time_is_not_surveyed(db: Session, runtime: Runtime, channel) -> None:  # type: ignore[no-untyped-def]
    case = resolved_case(db, runtime, channel)
    schedule_surveys(db, case.workspace_id)
    admin = make_user(db, _workspace(db, case.workspace_id), "admin")
    do_update_case(db, principal_for_user(db, admin), case, {"status": "open"})
    assert (
        do_send_survey(db, case.id, runtime.settings.resolved_secret_key, BASE, runtime.ingest.adapters)
        is None
    )
    assert {r.status for r in db.scalars(select(SurveyRequest))} == {SurveyStatus.SKIPPED}
    assert count_rows(db, Message, Message.author_kind == AuthorKind.SYSTEM) == 0


def test_customer_answers_on_the_signed_page(
    db: Session, runtime: Runtime, channel, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    case, token = sent_survey(db, runtime, channel)
    page = client.get(f"/ankieta/{token}")
    assert page.status_code == 200
    assert 'name="csat"' in page.text and 'name="nps"' in page.text
    done = client.post(f"/ankieta/{token}", data={"csat": "5", "nps": "9", "comment": "Super, dziękuję"})
    assert done.status_code == 200 and "Dziękujemy! Ocena została zapisana." in done.text
    again = client.post(f"/ankieta/{token}", data={"csat": "1"})
    assert again.status_code == 200
    db.rollback()
    rows = {r.kind: (r.score, r.case_id, r.comment) for r in db.scalars(select(SurveyResponse))}
    assert rows == {"csat": (5, case.id, "Super, dziękuję"), "nps": (9, case.id, "Super, dziękuję")}
    assert db.get(Case, case.id).status == CaseStatus.RESOLVED  # type: ignore[union-attr]
    db.rollback()


def test_forged_or_foreign_tokens_are_not_found(
    db: Session, runtime: Runtime, channel, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    _case, token = sent_survey(db, runtime, channel)
    request_id = token.rsplit(".", 1)[0]
    assert client.get(f"/ankieta/{request_id}.AAAAAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.post(f"/ankieta/{request_id}.xyz", data={"csat": "1"}).status_code == 404
    other_key = survey_token("another-installation-key", request_id)
    assert client.get(f"/ankieta/{other_key}").status_code == 404
    assert count_rows(db, SurveyResponse) == 0


def test_a_low_score_reopens_the_case_for_a_person(
    db: Session, runtime: Runtime, channel, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    case, token = sent_survey(db, runtime, channel)
    done = client.post(f"/ankieta/{token}", data={"csat": "1", "comment": "Paczki nadal nie ma"})
    assert "Ktoś z naszego zespołu" in done.text
    db.rollback()
    reopened = db.get(Case, case.id)
    assert reopened is not None
    assert (reopened.status, reopened.priority, reopened.reopened_count) == (
        CaseStatus.OPEN,
        Priority.HIGH,
        1,
    )
    note = db.scalar(select(Note).where(Note.case_id == case.id))
    assert note is not None and "CSAT 1" in note.body_text and "Paczki nadal nie ma" in note.body_text
    response = db.scalar(select(SurveyResponse))
    assert response is not None and response.follow_up_case_id == case.id
    db.rollback()


def test_a_low_score_on_a_closed_case_opens_a_new_one(
    db: Session, runtime: Runtime, channel, client: TestClient
) -> None:  # type: ignore[no-untyped-def]
    case, token = sent_survey(db, runtime, channel)
    admin = make_user(db, _workspace(db, case.workspace_id), "admin")
    do_update_case(db, principal_for_user(db, admin), db.get(Case, case.id), {"status": "closed"})  # type: ignore[arg-type]
    db.commit()
    client.post(f"/ankieta/{token}", data={"nps": "2"})
    db.rollback()
    response = db.scalar(select(SurveyResponse))
    assert response is not None and response.kind == "nps" and response.follow_up_case_id != case.id
    follow_up = db.get(Case, response.follow_up_case_id)
    assert follow_up is not None and follow_up.customer_id == case.customer_id
    assert (follow_up.status, follow_up.priority) == (CaseStatus.NEW, Priority.HIGH)
    assert follow_up.subject == f"Niska ocena obsługi po sprawie #{case.number}"
    db.rollback()


def test_surveys_before_the_policy_was_enabled_are_not_sent(db: Session, runtime: Runtime, channel) -> None:  # type: ignore[no-untyped-def]
    workspace = _workspace(db, channel.workspace_id)
    workspace.settings = {"surveys": {"enabled_at": (utcnow() + timedelta(hours=1)).isoformat()}}
    case = resolved_case(db, runtime, channel)
    assert schedule_surveys(db, case.workspace_id) == 0


def test_the_worker_sweep_refreshes_facts_schedules_surveys_and_queues_itself(
    db: Session, runtime: Runtime, channel
) -> None:  # type: ignore[no-untyped-def]
    from sprawa.insights.models import CaseMetrics
    from sprawa.insights.tasks import SWEEP_JOB, run_sweep_job, schedule_sweep

    case = resolved_case(db, runtime, channel)
    schedule_sweep(db)
    db.commit()
    job = db.scalar(select(Job).where(Job.kind == SWEEP_JOB))
    assert job is not None
    db.rollback()
    run_sweep_job(runtime.factory, job)
    assert count_rows(db, SurveyRequest, SurveyRequest.case_id == case.id) == 2
    assert count_rows(db, CaseMetrics, CaseMetrics.case_id == case.id) == 1
    assert count_rows(db, Job, Job.kind == SWEEP_JOB) == 2  # this run and the next one
