"""The channel durability proofs at reduced scale, with real ``sprawa serve``/``worker`` processes.

``sprawa chaos-webhooks`` and ``sprawa chaos-email`` (``make chaos``) run the same scenarios at full scale.
"""

from sprawa.channels.chaos import EmailChaosConfig, WebhookChaosConfig, run_email_chaos, run_webhook_replay
from sprawa.channels.email.sink import SmtpSink


def test_webhook_replay_loses_nothing_and_applies_nothing_twice_while_workers_are_killed(runtime):
    config = WebhookChaosConfig(
        events=200,
        rate=100.0,
        clients=8,
        kill_every=(1.0, 2.5),
        deadline_seconds=300.0,
        seed=20261123,
    )
    report = run_webhook_replay(config, runtime, progress=lambda line: None)

    summary = "\n".join(report.lines())
    assert report.failures == [], summary
    assert report.duplicates > 0 and report.reordered > 0 and report.bad_signatures > 0, summary
    assert report.rejected == report.bad_signatures and report.bad_stored == 0, summary
    assert report.acknowledged == report.posts - report.bad_signatures, summary
    assert report.lost == 0 and report.stored_events == report.distinct, summary
    assert report.messages == report.expected_messages > 0, summary
    assert report.statuses_final_read == report.status_targets > 0, summary
    assert report.kills >= 1, summary


def test_email_ingest_stores_every_good_mail_once_and_quarantines_poison_under_kills(runtime):
    config = EmailChaosConfig(
        mails=150,
        poison=10,
        senders=30,
        robots=5,
        kill_every=(1.5, 3.0),
        drop_rate=0.02,
        outage_seconds=3.0,
        deadline_seconds=300.0,
        seed=20261123,
    )
    with SmtpSink(keep=None) as sink:
        report = run_email_chaos(config, runtime, sink, progress=lambda line: None)

    summary = "\n".join(report.lines())
    assert report.failures == [], summary
    assert report.stored_good == report.good_distinct > 0, summary
    assert report.quarantined == report.poison > 0 and report.poison_max_tries <= 3, summary
    assert report.auto_reply_max_per_sender == 1 and report.people_without_auto_reply == 0, summary
    assert report.kills >= 1, summary
