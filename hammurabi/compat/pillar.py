"""``Pillar`` with Hammurabi 0.11's arguments: a reporter class and notifications."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from hammurabi.compat.reporting import JsonReporter, Reporter
from hammurabi.core import law as _law
from hammurabi.core import pillar as _pillar
from hammurabi.core.errors import ConfigError
from hammurabi.core.rule import Rule

if TYPE_CHECKING:  # a pillar without notifications does not import them
    from hammurabi.compat.notifications import Notification


class Pillar(_pillar.Pillar):
    """The ordered collection of laws to enforce.

    ``reporter_class`` (0.11) writes a report after the run (``JsonReporter``, the 0.11
    format, when the repository uses 0.11's settings); ``notifications`` are sent once per
    pull request the run opens or updates. ``Pillar("name")`` names the pillar.
    """

    def __init__(
        self,
        reporter_class: type[Reporter] | str | None = None,
        notifications: Iterable[Notification] = (),
        *,
        name: str | None = None,
    ) -> None:
        if isinstance(reporter_class, str):
            name, reporter_class = reporter_class, None
        super().__init__(name)
        if reporter_class is not None and not (
            isinstance(reporter_class, type) and issubclass(reporter_class, Reporter)
        ):
            raise ConfigError(f"reporter_class {reporter_class!r} is not a Reporter subclass")
        self.notifications = list(notifications)
        if self.notifications:
            from hammurabi.compat.notifications import Notification
        for item in self.notifications:
            if not isinstance(item, Notification):
                raise ConfigError(f"{item!r} is not a Notification")
        #: The reporter the pillar asked for (None: only when the settings are 0.11's).
        self.reporter_class = reporter_class
        self.reporter: Reporter = (reporter_class or JsonReporter)([])

    def register(self, law: _law.Law) -> None:
        super().register(law)
        law.pillar = self  # type: ignore[attr-defined]
        self.reporter.laws = self.laws

    @property
    def rules(self) -> list[Rule]:
        """Every registered law's top-level rules, in order."""
        return [rule for law in self.laws for rule in law.rules]

    def get_rule(self, name: str) -> Rule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise ConfigError(f"no rule named {name!r}")


def pillars_of(laws: Iterable[_law.Law]) -> list[Pillar]:
    """The pillars (of this class) that registered ``laws``, in order, each once."""
    found: list[Pillar] = []
    for law in laws:
        pillar = getattr(law, "pillar", None)
        if isinstance(pillar, Pillar) and pillar not in found:
            found.append(pillar)
    return found
