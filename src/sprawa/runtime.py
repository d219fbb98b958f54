"""The process's collaborators, built once from Settings (the composition root)."""

from dataclasses import dataclass
from functools import partial

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from sprawa.aftersales.tasks import job_handlers as aftersales_jobs
from sprawa.ai.tasks import ai_job_dead, run_ai_respond_job
from sprawa.channels.actions.polling import POLL_JOB, poll_given_up, run_poll_job
from sprawa.channels.base import ChannelAdapter
from sprawa.channels.models import ChannelKind
from sprawa.channels.service import IngestContext, ingest_inbound_job, mark_delivery_dead, run_delivery_job
from sprawa.commerce.prestashop.service import PrestaShopReplies
from sprawa.commerce.remote import ConnectorEnv
from sprawa.commerce.tasks import dead_handlers as commerce_dead_jobs
from sprawa.commerce.tasks import job_handlers as commerce_jobs
from sprawa.config import Settings
from sprawa.db import make_engine, read_only_engine
from sprawa.insights.tasks import job_handlers as insights_jobs
from sprawa.platform.crypto import SecretBox
from sprawa.platform.events import EventBus, make_bus
from sprawa.platform.http import SafeHttp
from sprawa.platform.inbound import mark_inbound_failed
from sprawa.platform.jobs import Worker
from sprawa.platform.storage import FileStore
from sprawa.privacy.tasks import job_handlers as privacy_jobs


def build_adapters(http: SafeHttp, secret_key: str) -> dict[ChannelKind, ChannelAdapter]:
    from sprawa.channels.allegro.service import AllegroAdapter
    from sprawa.channels.email.service import EmailAdapter
    from sprawa.channels.email.tokens import token_key
    from sprawa.channels.form.service import FormAdapter
    from sprawa.channels.meta.service import MetaPageAdapter
    from sprawa.channels.webchat.service import WebchatAdapter
    from sprawa.channels.whatsapp.service import WhatsappAdapter

    return {
        ChannelKind.WEBCHAT: WebchatAdapter(),
        ChannelKind.FORM: FormAdapter(http),
        ChannelKind.EMAIL: EmailAdapter(http, token_key(secret_key)),
        ChannelKind.WHATSAPP: WhatsappAdapter(http, SecretBox(secret_key)),
        ChannelKind.MESSENGER: MetaPageAdapter(ChannelKind.MESSENGER, http),
        ChannelKind.INSTAGRAM: MetaPageAdapter(ChannelKind.INSTAGRAM, http),
        ChannelKind.ALLEGRO: AllegroAdapter(http, SecretBox(secret_key)),
    }


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    reader: sessionmaker[Session]
    bus: EventBus
    http: SafeHttp
    ingest: IngestContext

    @classmethod
    def build(cls, settings: Settings) -> "Runtime":
        engine = make_engine(settings.resolved_database_url)
        bus = make_bus(settings.bus_kind, settings.resolved_database_url)
        factory = sessionmaker(engine, expire_on_commit=False, info={"bus": bus})
        reader = sessionmaker(read_only_engine(engine), expire_on_commit=False, info={"bus": bus})
        http = SafeHttp(allow=settings.outbound_allow)
        ingest = IngestContext(
            store=FileStore(settings.attachments_dir),
            secrets=SecretBox(settings.resolved_secret_key, settings.previous_secret_keys),
            adapters=build_adapters(http, settings.resolved_secret_key),
            attachment_max_bytes=settings.attachment_max_bytes,
        )
        # The "PrestaShop" form channel answers into the shop's thread and by e-mail.
        adapters, env = ingest.adapters, ConnectorEnv(http, ingest.secrets)
        adapters[ChannelKind.FORM] = PrestaShopReplies(
            adapters[ChannelKind.FORM], adapters[ChannelKind.EMAIL], factory, env
        )
        return cls(
            settings=settings,
            engine=engine,
            factory=factory,
            reader=reader,
            bus=bus,
            http=http,
            ingest=ingest,
        )

    def connector_env(self) -> ConnectorEnv:
        """What remote shop connectors need (``commerce.service.connector_for(..., env)``)."""
        return ConnectorEnv(self.http, self.ingest.secrets)

    def worker(self) -> Worker:
        return Worker(
            factory=self.factory,
            handlers={
                "outbox.deliver": partial(run_delivery_job, self.ingest),
                POLL_JOB: partial(run_poll_job, self.ingest.secrets, self.ingest.adapters),
                **commerce_jobs(self),
                **insights_jobs(self.settings, self.ingest.adapters),
                **aftersales_jobs(self.connector_env()),
                "ai.respond": partial(run_ai_respond_job, self.settings, self.connector_env()),
                **privacy_jobs(self.ingest.store),
            },
            dead_handlers={
                "outbox.deliver": mark_delivery_dead,
                "ai.respond": ai_job_dead,
                "inbound.process": mark_inbound_failed,
                POLL_JOB: poll_given_up,
                **commerce_dead_jobs(),
            },
            batch=self.settings.worker_batch,
            lease_seconds=self.settings.job_lease_seconds,
            max_attempts={"outbox.deliver": self.settings.outbox_max_attempts},
            backoff_base=self.settings.job_backoff_base_seconds,
            backoff_cap=self.settings.job_backoff_cap_seconds,
            tx_handlers={"inbound.process": partial(ingest_inbound_job, self.ingest)},
        )

    def close(self) -> None:
        self.bus.stop()
        self.http.close()
        self.engine.dispose()
