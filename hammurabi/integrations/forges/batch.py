"""Many repositories' bot pull requests in one GitHub GraphQL query (the fleet's reads).

A fleet run reads, for every repository, the bot branch's pull requests and the open one's
review, checks and mergeability. Through REST that is five requests a repository (the list,
the pull request, its reviews, the head's combined status and check runs); here one query
answers a chunk of repositories (``github.graphql_batch``, 50 by default), one aliased
``repository(owner:, name:)`` block each. What it answers is what the REST reads would:
:class:`KnownPulls` picks the open and the last closed pull request as
``GitHubForge.find_pulls`` does, and holds the open ones' :class:`PullState`.

Pure: building the query and reading its answer, no requests (``GitHubForge.read_pulls``
sends them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hammurabi.core import pullstate
from hammurabi.core.forge import PullRequest
from hammurabi.core.pullstate import PullState

#: Pull requests read per branch and state (newest first): open ones, closed or merged ones.
PAGE = 3
#: Repositories per query, unless ``github.graphql_batch`` says otherwise.
DEFAULT_CHUNK = 50

_PULL = """
fragment pull on PullRequest {
  number url title body state isDraft merged createdAt mergedAt closedAt
  headRefName headRefOid baseRefName
  author { __typename login }
  labels(first: 100) { nodes { name } pageInfo { hasNextPage } }
  assignees(first: 100) { nodes { login } pageInfo { hasNextPage } }
  reviewRequests(first: 100) {
    nodes { requestedReviewer { __typename ... on User { login } ... on Bot { login }
      ... on Team { slug } } }
    pageInfo { hasNextPage }
  }
}
fragment state on PullRequest {
  mergeable mergeStateStatus
  reviews(first: 100) { nodes { author { __typename login } state } pageInfo { hasNextPage } }
  commits(last: 1) { nodes { commit { oid statusCheckRollup { contexts(first: 100) {
    nodes { __typename ... on CheckRun { name status conclusion }
      ... on StatusContext { context state } }
    pageInfo { hasNextPage } } } } } }
}
"""

_REPOSITORY = """
  r{i}: repository(owner: $o{i}, name: $n{i}) {{
    open: pullRequests(headRefName: $head, states: [OPEN], first: {page},
        orderBy: {{field: CREATED_AT, direction: DESC}}) {{
      nodes {{ ...pull ...state }} pageInfo {{ hasNextPage }}
    }}
    done: pullRequests(headRefName: $head, states: [CLOSED, MERGED], first: {page},
        orderBy: {{field: CREATED_AT, direction: DESC}}) {{
      nodes {{ ...pull }} pageInfo {{ hasNextPage }}
    }}
  }}"""


def query(count: int) -> str:
    """The query for ``count`` repositories (variables ``$head``, ``$o{i}``, ``$n{i}``)."""
    names = "".join(f", $o{i}: String!, $n{i}: String!" for i in range(count))
    blocks = "".join(_REPOSITORY.format(i=i, page=PAGE) for i in range(count))
    return (
        f"query HammurabiPulls($head: String!{names}) {{{blocks}\n"
        "  rateLimit { cost remaining }\n}" + _PULL
    )


def variables(repositories: Sequence[str], head: str) -> dict[str, str]:
    """The variables of :func:`query` for ``repositories`` (``owner/name``) and ``head``."""
    found = {"head": head}
    for i, repository in enumerate(repositories):
        owner, name = repository.split("/", 1)
        found[f"o{i}"], found[f"n{i}"] = owner, name
    return found


@dataclass(frozen=True)
class KnownPulls:
    """One repository's pull requests from the bot branch, as one query read them."""

    #: Open ones, then closed or merged ones, newest first each.
    opened: tuple[PullRequest, ...]
    closed: tuple[PullRequest, ...]
    #: Whether more pull requests of each kind exist than were read.
    more_open: bool = False
    more_closed: bool = False
    #: The open pull requests' states, by number (missing: not all of it could be read).
    states: dict[int, PullState] = field(default_factory=dict)
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def pick(self, base: str | None) -> tuple[PullRequest | None, PullRequest | None] | None:
        """What ``GitHubForge.find_pulls(repository, head, base)`` answers: the open pull
        request (Hammurabi's first) and the last closed one of Hammurabi's, or None when the
        pull requests read cannot tell (more exist than were read)."""
        opened = [pull for pull in self.opened if base is None or pull.base == base]
        closed = [
            pull for pull in self.closed if pull.hammurabi and (base is None or pull.base == base)
        ]
        ours = [pull for pull in opened if pull.hammurabi]
        if (self.more_open and not ours) or (self.more_closed and not closed):
            return None
        return next(iter(ours or opened), None), next(iter(closed), None)

    def state(self, pull: PullRequest) -> PullState | None:
        """The state of ``pull`` as read, if it was open then and its head has not moved."""
        found = self.states.get(pull.number)
        if found is None or (pull.head_sha and found.head_sha != pull.head_sha):
            return None
        return found

    @property
    def unknown_mergeable(self) -> bool:
        """Whether GitHub had not computed an open pull request's mergeability yet."""
        return any(state.mergeable is None for state in self.states.values())


@dataclass
class Batch:
    """What a fleet's GraphQL reads found: each repository's pull requests, the queries
    sent and the rate-limit points they cost (GraphQL has its own budget)."""

    known: dict[str, KnownPulls] = field(default_factory=dict)
    queries: int = 0
    cost: int = 0
    #: Points left in the GraphQL budget after the last query, when GitHub said.
    remaining: int | None = None
    #: Why (some) repositories were not read this way: they are read through REST.
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "repositories": len(self.known),
            "queries": self.queries,
            "cost": self.cost,
            "remaining": self.remaining,
            "error": self.error,
        }


def read(data: dict[str, Any], repositories: Sequence[str]) -> dict[str, KnownPulls]:
    """The repositories the answer ``data`` (its ``data`` member) tells about; those it
    holds no (or an unreadable) block for are left out (their REST reads tell)."""
    found: dict[str, KnownPulls] = {}
    read_at = datetime.now(UTC)
    for i, repository in enumerate(repositories):
        block = data.get(f"r{i}")
        if not isinstance(block, dict):
            continue
        try:
            found[repository] = _known(repository, block, read_at)
        except (KeyError, TypeError, ValueError):
            continue  # an answer not shaped as asked: REST reads it
    return found


def _known(repository: str, block: dict[str, Any], read_at: datetime) -> KnownPulls:
    owner = repository.split("/", 1)[0]
    opened = block["open"]
    done = block["done"]
    states: dict[int, PullState] = {}
    pulls: list[PullRequest] = []
    for node in opened["nodes"]:
        pull, complete = _pull(owner, node)
        if not complete:
            raise ValueError("more labels, assignees or reviewers than one page")
        pulls.append(pull)
        state = _state(node, read_at)
        if state is not None:
            states[pull.number] = state
    closed = []
    for node in done["nodes"]:
        pull, complete = _pull(owner, node)
        if not complete:
            raise ValueError("more labels, assignees or reviewers than one page")
        closed.append(pull)
    return KnownPulls(
        tuple(pulls),
        tuple(closed),
        bool(opened["pageInfo"]["hasNextPage"]),
        bool(done["pageInfo"]["hasNextPage"]),
        states,
        read_at,
    )


def _login(actor: dict[str, Any] | None) -> str | None:
    """A login as REST spells it (GraphQL leaves ``[bot]`` off bots' logins)."""
    if not actor or not actor.get("login"):
        return None
    login = str(actor["login"])
    return f"{login}[bot]" if actor.get("__typename") == "Bot" else login


def _pull(owner: str, node: dict[str, Any]) -> tuple[PullRequest, bool]:
    reviewers: list[str] = []
    for request in node["reviewRequests"]["nodes"]:
        reviewer = request.get("requestedReviewer") or {}
        if reviewer.get("__typename") == "Team":
            reviewers.append(f"{owner}/{reviewer['slug']}")
        elif (login := _login(reviewer)) is not None:
            reviewers.append(login)
    complete = not any(
        node[name]["pageInfo"]["hasNextPage"] for name in ("labels", "assignees", "reviewRequests")
    )
    state = "merged" if node["merged"] else str(node["state"]).lower()
    pull = PullRequest(
        number=int(node["number"]),
        url=str(node["url"]),
        state=state,
        title=node["title"] or "",
        body=node["body"] or "",
        head=node["headRefName"],
        base=node["baseRefName"],
        head_sha=node["headRefOid"],
        draft=bool(node["isDraft"]),
        labels=tuple(label["name"] for label in node["labels"]["nodes"]),
        reviewers=tuple(reviewers),
        assignees=tuple(user["login"] for user in node["assignees"]["nodes"]),
        author=_login(node.get("author")),
        created_at=_time(node["createdAt"]),
    )
    return pull, complete


#: GitHub GraphQL's ``mergeable`` as REST's.
_MERGEABLE = {"MERGEABLE": True, "CONFLICTING": False}


def _state(node: dict[str, Any], read_at: datetime) -> PullState | None:
    """An open pull request's state, as ``GitHubForge.pull_state`` reads it through REST;
    None when more reviews or checks exist than one page."""
    reviews = node["reviews"]
    if reviews["pageInfo"]["hasNextPage"]:
        return None
    pairs = [(_login(r.get("author")) or "", str(r["state"])) for r in reviews["nodes"]]
    states: dict[str, str] = {}
    commits = node["commits"]["nodes"]
    rollup = commits[-1]["commit"].get("statusCheckRollup") if commits else None
    if rollup is not None:
        contexts = rollup["contexts"]
        if contexts["pageInfo"]["hasNextPage"]:
            return None
        for context in contexts["nodes"]:
            if context.get("__typename") == "StatusContext":
                if context["state"] != "EXPECTED":  # required, not reported: REST omits it
                    states[context["context"]] = pullstate.status_state(context["state"].lower())
            elif context.get("__typename") == "CheckRun":
                conclusion = context.get("conclusion")
                states[context["name"]] = pullstate.check_run_state(
                    str(context["status"]).lower(), conclusion.lower() if conclusion else None
                )
    review, approvals = pullstate.review_decision(pairs)
    checks, failing, pending = pullstate.combine_checks(states)
    merge_state = str(node["mergeStateStatus"]).lower()
    return PullState(
        number=int(node["number"]),
        url=str(node["url"]),
        state="open",
        draft=bool(node["isDraft"]),
        review=review,
        approvals=approvals,
        checks=checks,
        failing=failing,
        pending=pending,
        mergeable=_MERGEABLE.get(str(node["mergeable"])),
        mergeable_state=merge_state,
        head_sha=node["headRefOid"],
        created_at=_time(node["createdAt"]),
        read_at=read_at,
    )


def _time(value: Any) -> datetime | None:
    """A GitHub timestamp (``2024-05-01T12:00:00Z``) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
