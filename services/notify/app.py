"""Composition root of the notify service: settings, broker, HTTP app and wiring, nothing else."""

from __future__ import annotations

from litestar import Litestar
from litestar.di import Provide

from services.notify.api import DeliveryController, InboxController, SubscriptionController
from services.notify.channel import EmailSender, WebhookSender
from services.notify.channel.guard import guarded_client
from services.notify.config import NotifySettings
from services.notify.handlers import subscriptions
from services.notify.service import NotifyService
from services.notify.store import DELIVERIES, NotifyStore
from services.notify.worker import DeliveryWorker
from shared.events.notify import DELIVERIES_TOPIC, NotificationDelivered, NotificationFailed
from shared.runtime import Publication, ServiceKit
from shared.settings import Settings


def create_app(settings: Settings | None = None, notify: NotifySettings | None = None) -> Litestar:
    kit = ServiceKit("notify", settings or Settings())
    config = notify or NotifySettings()
    # No redirects (a redirect could carry a signed body to a host nobody registered), and every
    # connection checked against the destination rules after resolution.
    http = guarded_client(config.allowed_networks())
    store = NotifyStore(kit.db, kit.relay.outbox)
    service = NotifyService(
        store,
        config,
        email=EmailSender(config.smtp(), policy=config.email_policy()),
        webhooks=WebhookSender(http, policy=config.webhook_policy(), timeout_s=config.webhook_timeout_s),
    )
    worker = DeliveryWorker(
        service,
        concurrency=config.delivery_concurrency,
        poll_s=config.delivery_poll_s,
        lease_s=config.delivery_lease_s,
    )
    service.nudge = worker.nudge
    kit.consume(subscriptions(service))
    kit.relay.watch(DELIVERIES)
    kit.publishes(
        Publication(
            DELIVERIES_TOPIC,
            (NotificationDelivered, NotificationFailed),
            "One report per delivery round of each notification: delivered, or failed after the last try.",
        )
    )
    app = kit.http_app(
        [InboxController, SubscriptionController, DeliveryController],
        dependencies={"service": Provide(lambda: service, sync_to_thread=False)},
        on_startup=[store.ensure_indexes, store.key_deliveries, worker.start],
        on_shutdown=[worker.stop, http.aclose],
        description="The notify service of Kinerja: in-app inboxes, e-mail and signed webhooks.",
    )
    app.state.kit = kit
    return app
