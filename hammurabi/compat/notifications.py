"""Hammurabi 0.11's notifications: tell people that a pull request was opened or updated.

``Pillar(notifications=[SlackNotification(recipients=[WEBHOOK_URL], message_template=...)])``
sends ``message_template`` (with ``{repository}`` and ``{changes_link}`` filled in) once
per pull request opened or updated by the run. A message never carries a secret Hammurabi
knows (they are masked), and a webhook URL — itself a secret — is never printed.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from hammurabi.core.masking import redact

log = logging.getLogger(__name__)


class NotificationSendError(Exception):
    """A notification could not be delivered."""


class Notification(ABC):
    """Where to tell people about a change; subclasses implement :meth:`notify`."""

    def __init__(self, recipients: Iterable[str], message_template: str) -> None:
        self.recipients = list(recipients)
        self.message_template = "\n".join(
            line.strip() for line in message_template.splitlines() if line.strip()
        )

    def format(self, changes_link: str | None, repository: str = "") -> str:
        """The message: the template with ``{repository}`` and ``{changes_link}`` filled in."""
        return self.message_template.format(repository=repository, changes_link=changes_link)

    @abstractmethod
    def notify(self, message: str, changes_link: str | None) -> None:
        """Deliver ``message``; raise :class:`NotificationSendError` when it cannot be."""

    def send(
        self, changes_link: str | None, *, repository: str = "", secrets: Sequence[str] = ()
    ) -> bool:
        """Format and deliver the message (secrets masked); False (logged) when it failed."""
        message = redact(self.format(changes_link, repository), secrets)
        try:
            self.notify(message, changes_link)
        except NotificationSendError as exc:
            log.error("%s failed: %s", type(self).__name__, redact(str(exc), secrets))
            return False
        return True


class SlackNotification(Notification):
    """Post the message to Slack incoming webhooks: every recipient is a webhook URL."""

    #: Seconds to wait for Slack's answer.
    timeout = 10.0

    def notify(self, message: str, changes_link: str | None) -> None:
        import httpx

        for number, hook in enumerate(self.recipients, 1):
            try:
                answer = httpx.post(hook, json={"text": message}, timeout=self.timeout)
            except httpx.HTTPError as exc:
                raise NotificationSendError(
                    f"webhook {number} of {len(self.recipients)}: {type(exc).__name__}"
                ) from None
            if answer.status_code >= 400:
                raise NotificationSendError(
                    f"webhook {number} of {len(self.recipients)} answered {answer.status_code}"
                )
