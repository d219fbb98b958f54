"""The process's collaborators, built once from Settings (the composition root)."""

from dataclasses import dataclass
from functools import partial

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from sprawa.channels.base import ChannelAdapter
from sprawa.channels.models import ChannelKind
from sprawa.channels.service import IngestContext, mark_delivery_dead, run_delivery_job, run_inbound_job
from sprawa.config import Settings
from sprawa.db import make_engine, read_only_engine
from sprawa.platform.crypto import SecretBox
from sprawa.platform.events import EventBus, make_bus
from sprawa.platform.http import SafeHttp
from sprawa.platform.inbound import mark_inbound_failed
from sprawa.platform.jobs import Worker
from sprawa.platform.storage import FileStore


def build_adapters(http: SafeHttp) -> dict[ChannelKind, ChannelAdapter]:
    from sprawa.channels.form.service import FormAdapter
    from sprawa.channels.webchat.service import WebchatAdapter

    return {ChannelKind.WEBCHAT: WebchatAdapter(), ChannelKind.FORM: FormAdapter(http)}


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
            secrets=SecretBox(settings.resolved_secret_key),
            adapters=build_adapters(http),
            attachment_max_bytes=settings.attachment_max_bytes,
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

    def worker(self) -> Worker:
        return Worker(
            factory=self.factory,
            handlers={
                "inbound.process": partial(run_inbound_job, self.ingest),
                "outbox.deliver": partial(run_delivery_job, self.ingest),
            },
            dead_handlers={"outbox.deliver": mark_delivery_dead, "inbound.process": mark_inbound_failed},
            batch=self.settings.worker_batch,
            lease_seconds=self.settings.job_lease_seconds,
            max_attempts={"outbox.deliver": self.settings.outbox_max_attempts},
            backoff_base=self.settings.job_backoff_base_seconds,
            backoff_cap=self.settings.job_backoff_cap_seconds,
        )

    def close(self) -> None:
        self.bus.stop()
        self.http.close()
        self.engine.dispose()
