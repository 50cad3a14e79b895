"""0.11's module path for ``GitMixin`` (see hammurabi.compat.bases)."""

from hammurabi.compat.bases import GitMixin

#: 0.11's pull-request helpers; Hammurabi's own forge does that work now.
GitHubMixin = PullRequestHelperMixin = GitMixin

__all__ = ["GitHubMixin", "GitMixin", "PullRequestHelperMixin"]
