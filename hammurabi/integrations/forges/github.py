"""The built-in ``github`` forge plugin: pull requests on GitHub.

It answers the ``hammurabi_forge`` hook when a token (``HAMMURABI_GITHUB_TOKEN`` or
``GITHUB_TOKEN``) or a GitHub App (``app_id`` and a private key) is configured, and only then
imports the forge (:mod:`hammurabi.integrations.forges.github_forge`): a run without
credentials loads none of it. Disable it with ``--disable-plugin github``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hammurabi.core.hooks import hookimpl

if TYPE_CHECKING:
    from hammurabi.integrations.forges.github_forge import GitHubForge
    from hammurabi.loading.settings import Settings


@hookimpl
def hammurabi_forge(settings: Settings) -> GitHubForge | None:
    """Offer GitHub as the forge when a token or a GitHub App is configured. A private key
    or its path alone still makes the forge, which reads the key (an unreadable one is an
    error) and masks it, but offers none."""
    github = settings.github
    given = (github.token, github.app_id, github.private_key, github.private_key_path)
    if not any(given) and not os.environ.get("GITHUB_TOKEN"):
        return None
    from hammurabi.integrations.forges.github_forge import GitHubForge

    forge = GitHubForge(github)
    return forge if forge.configured else None
