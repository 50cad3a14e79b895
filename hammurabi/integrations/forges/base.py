"""The forge interface and its values, for GitHub's implementation and forge plugins.

They live in :mod:`hammurabi.core.forge`, below the hook specifications that name them.
"""

from hammurabi.core.forge import (
    MARKER_PREFIX,
    RE_PROPOSE_LABEL,
    REBUILD_LABEL,
    Forge,
    ForgeError,
    ListedRepository,
    PullRequest,
    PullRequestOptions,
    PullRequestSpec,
    TitleFields,
    find_marker,
    marker,
    missing,
    normalize_body,
    pull_changes,
    redact,
    render_title,
)

__all__ = [
    "MARKER_PREFIX",
    "REBUILD_LABEL",
    "RE_PROPOSE_LABEL",
    "Forge",
    "ForgeError",
    "ListedRepository",
    "PullRequest",
    "PullRequestOptions",
    "PullRequestSpec",
    "TitleFields",
    "find_marker",
    "marker",
    "missing",
    "normalize_body",
    "pull_changes",
    "redact",
    "render_title",
]
