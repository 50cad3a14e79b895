"""GitHub's GraphQL API (``POST /api/graphql``), as far as Hammurabi reads it.

Only the fields Hammurabi asks for exist: ``repository(owner:, name:)`` with its
``pullRequests`` (by head and base branch, state, newest or oldest first), each pull
request's labels, assignees, review requests, reviews, mergeability
(``mergeable``/``mergeStateStatus``, null — ``UNKNOWN`` — until a read asks for the current
head and base, as the REST answer) and its head commit's ``statusCheckRollup`` contexts
(check runs and commit statuses), plus ``rateLimit``. The answers come from the same state
the REST endpoints serve (callers hold ``state.lock``).

GitHub's rules kept: every connection needs ``first`` or ``last`` within 1-100
(``MISSING_PAGINATION_BOUNDARIES``, ``EXCESSIVE_PAGINATION``), a query may ask for at most
500,000 nodes (``MAX_NODE_LIMIT_EXCEEDED``) — these fail the whole query, with no data; a
repository that cannot be found is ``null`` with a ``NOT_FOUND`` error naming its alias
while the other aliases answer (partial data). A query costs the requests its connections
need over 100, rounded, at least 1 point, from a budget of its own (5,000 points an hour);
an exhausted budget answers ``RATE_LIMITED``. Bots' logins have no ``[bot]`` suffix here.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute,
    get_named_type,
    parse,
    validate,
    value_from_ast,
)

from . import merging, tracker
from .render import stamp
from .state import Identity, Issue, Repo, State

MAX_NODES = 500_000
POINTS_PER_HOUR = 5000

SDL = """
scalar DateTime
scalar URI
scalar GitObjectID

type Query {
  repository(owner: String!, name: String!): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

type PageInfo {
  hasNextPage: Boolean!
  endCursor: String
}

enum PullRequestState { OPEN CLOSED MERGED }
enum IssueOrderField { CREATED_AT UPDATED_AT COMMENTS }
enum OrderDirection { ASC DESC }
input IssueOrder { field: IssueOrderField!, direction: OrderDirection! }
enum MergeableState { MERGEABLE CONFLICTING UNKNOWN }
enum MergeStateStatus { BEHIND BLOCKED CLEAN DIRTY DRAFT HAS_HOOKS UNKNOWN UNSTABLE }
enum PullRequestReviewState { PENDING COMMENTED APPROVED CHANGES_REQUESTED DISMISSED }
enum StatusState { EXPECTED ERROR FAILURE PENDING SUCCESS }
enum CheckStatusState { REQUESTED QUEUED IN_PROGRESS COMPLETED WAITING PENDING }
enum CheckConclusionState {
  ACTION_REQUIRED TIMED_OUT CANCELLED FAILURE SUCCESS NEUTRAL SKIPPED STARTUP_FAILURE STALE
}

interface Actor { login: String! }
type User implements Actor { login: String! }
type Bot implements Actor { login: String! }
type Organization implements Actor { login: String! }
type Team { slug: String!, name: String! }
union RequestedReviewer = User | Bot | Team

type Repository {
  name: String!
  nameWithOwner: String!
  pullRequests(
    first: Int, last: Int, after: String, headRefName: String, baseRefName: String,
    states: [PullRequestState!], orderBy: IssueOrder
  ): PullRequestConnection!
}

type PullRequestConnection { nodes: [PullRequest], totalCount: Int!, pageInfo: PageInfo! }
type LabelConnection { nodes: [Label], totalCount: Int!, pageInfo: PageInfo! }
type UserConnection { nodes: [User], totalCount: Int!, pageInfo: PageInfo! }
type ReviewRequestConnection { nodes: [ReviewRequest], totalCount: Int!, pageInfo: PageInfo! }
type PullRequestReviewConnection {
  nodes: [PullRequestReview], totalCount: Int!, pageInfo: PageInfo!
}
type PullRequestCommitConnection {
  nodes: [PullRequestCommit], totalCount: Int!, pageInfo: PageInfo!
}
type StatusCheckRollupContextConnection {
  nodes: [StatusCheckRollupContext], totalCount: Int!, pageInfo: PageInfo!
}

type Label { name: String! }
type ReviewRequest { requestedReviewer: RequestedReviewer }
type PullRequestReview { author: Actor, state: PullRequestReviewState! }
type PullRequestCommit { commit: Commit! }
type Commit { oid: GitObjectID!, statusCheckRollup: StatusCheckRollup }
type StatusCheckRollup {
  state: StatusState!
  contexts(first: Int, last: Int, after: String): StatusCheckRollupContextConnection!
}
union StatusCheckRollupContext = CheckRun | StatusContext
type CheckRun { name: String!, status: CheckStatusState!, conclusion: CheckConclusionState }
type StatusContext { context: String!, state: StatusState! }

type PullRequest {
  number: Int!
  url: URI!
  title: String!
  body: String!
  state: PullRequestState!
  isDraft: Boolean!
  merged: Boolean!
  createdAt: DateTime!
  mergedAt: DateTime
  closedAt: DateTime
  headRefName: String!
  headRefOid: GitObjectID!
  baseRefName: String!
  author: Actor
  mergeable: MergeableState!
  mergeStateStatus: MergeStateStatus!
  labels(first: Int, last: Int, after: String): LabelConnection
  assignees(first: Int, last: Int, after: String): UserConnection!
  reviewRequests(first: Int, last: Int, after: String): ReviewRequestConnection
  reviews(
    first: Int, last: Int, after: String, states: [PullRequestReviewState!]
  ): PullRequestReviewConnection
  commits(first: Int, last: Int, after: String): PullRequestCommitConnection!
}
"""

SCHEMA: GraphQLSchema = build_schema(SDL)


@dataclass
class Points:
    """One caller's GraphQL budget (points per hour)."""

    limit: int = POINTS_PER_HOUR
    used: int = 0
    reset: float = field(default_factory=lambda: time.time() + 3600)


@dataclass
class QueryRecord:
    """A GraphQL query the stand-in answered: its cost and node count (for benchmarks)."""

    cost: int
    nodes: int
    aliases: int
    errors: int


class GraphQL:
    """The endpoint: parse, validate, check limits, spend points, execute."""

    def __init__(self, state: State, web: str) -> None:
        self.state = state
        self.web = web
        self.points: dict[str, Points] = {}
        self.log: list[QueryRecord] = []
        self._lock = threading.Lock()

    def answer(self, who: Identity, body: Any) -> tuple[int, dict[str, Any]]:
        """Answer one POST: (HTTP status, JSON body)."""
        if not who.authenticated:
            return 401, {
                "message": "This endpoint requires you to be authenticated.",
                "documentation_url": "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
            }
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return 200, {
                "errors": [{"message": "A query attribute must be specified and must be a string."}]
            }
        variables = body.get("variables") or {}
        try:
            document = parse(body["query"])
        except GraphQLError as error:
            return 200, {"errors": [_shaped(error, "PARSE_ERROR")]}
        problems = validate(SCHEMA, document)
        if problems:
            return 200, {"errors": [_shaped(e, None) for e in problems]}
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        counter = _Counter(variables, fragments)
        counter.walk(operation.selection_set, SCHEMA.query_type, 1)
        if counter.errors:
            return 200, {"errors": counter.errors}
        cost = max(1, int(counter.requests / 100 + 0.5))
        budget = self._budget(who)
        with self._lock:
            if budget.used + cost > budget.limit:
                self.log.append(QueryRecord(cost, counter.nodes, 0, 1))
                return 200, {
                    "errors": [
                        {
                            "type": "RATE_LIMITED",
                            "message": f"API rate limit exceeded for user ID {self._user_id(who)}.",
                        }
                    ]
                }
            budget.used += cost
        context = _Context(self.state, who, self.web, budget, cost, counter.nodes)
        with self.state.lock:
            result = execute(SCHEMA, document, root_value=_Root(context), variable_values=variables)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = [_shaped(e, _error_type(e)) for e in result.errors]
        aliases = len(operation.selection_set.selections)
        self.log.append(QueryRecord(cost, counter.nodes, aliases, len(result.errors or ())))
        return 200, answer

    def _user_id(self, who: Identity) -> int | str:
        user = self.state.users.get(who.login.lower())
        return user.id if user is not None else who.login

    def _budget(self, who: Identity) -> Points:
        key = who.token or who.login
        with self._lock:
            budget = self.points.get(key)
            if budget is None or budget.reset <= time.time():
                budget = self.points[key] = Points()
            return budget


class NotFound(Exception):
    """GitHub's ``NOT_FOUND`` error of one field."""


def _error_type(error: GraphQLError) -> str | None:
    original = error.original_error
    return "NOT_FOUND" if isinstance(original, NotFound) else None


def _shaped(error: GraphQLError, kind: str | None) -> dict[str, Any]:
    """An error as GitHub shapes it: ``type`` (when it has one), ``path``, ``locations``,
    ``message``."""
    shaped: dict[str, Any] = {}
    if kind:
        shaped["type"] = kind
    if error.path:
        shaped["path"] = list(error.path)
    if error.locations:
        shaped["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    shaped["message"] = error.message
    return shaped


class _Counter:
    """Walk a query: check each connection's ``first``/``last``, count the nodes it may ask
    for and the requests its connections need (GitHub's cost calculation)."""

    def __init__(self, variables: dict[str, Any], fragments: dict[str, FragmentDefinitionNode]):
        self.variables = variables
        self.fragments = fragments
        self.nodes = 0
        self.requests = 0
        self.errors: list[dict[str, Any]] = []

    def walk(self, selections: SelectionSetNode | None, parent: Any, multiplier: int) -> None:
        if selections is None:
            return
        for selection in selections.selections:
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                kind = SCHEMA.get_type(fragment.type_condition.name.value)
                self.walk(fragment.selection_set, kind, multiplier)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = SCHEMA.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, kind, multiplier)
            elif isinstance(selection, FieldNode):
                self._field(selection, parent, multiplier)

    def _field(self, node: FieldNode, parent: Any, multiplier: int) -> None:
        if not isinstance(parent, GraphQLObjectType) or node.name.value not in parent.fields:
            return  # __typename, or a field of an interface's implementations
        definition = parent.fields[node.name.value]
        kind = get_named_type(definition.type)
        if kind.name.endswith("Connection"):
            size = self._page(node, definition)
            if size is None:
                return
            self.requests += multiplier
            multiplier *= size
            self.nodes += multiplier
            if self.nodes > MAX_NODES and not self.errors:
                self.errors.append(
                    {
                        "type": "MAX_NODE_LIMIT_EXCEEDED",
                        "message": f"By the time this query traverses to the {node.name.value} "
                        f"connection, it is requesting up to {self.nodes:,} possible nodes "
                        f"which exceeds the maximum limit of {MAX_NODES:,}.",
                    }
                )
        self.walk(node.selection_set, kind, multiplier)

    def _page(self, node: FieldNode, definition: Any) -> int | None:
        given: dict[str, Any] = {}
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                kind = definition.args[argument.name.value].type
                given[argument.name.value] = value_from_ast(argument.value, kind, self.variables)
        given = {k: v for k, v in given.items() if v is not None}
        name = node.name.value
        token = node.loc.start_token if node.loc else None
        location = {"line": token.line, "column": token.column} if token else None
        if not given:
            self.errors.append(
                {
                    "type": "MISSING_PAGINATION_BOUNDARIES",
                    "path": [name],
                    "locations": [location] if location else [],
                    "message": f"You must provide a `first` or `last` value to properly "
                    f"paginate the `{name}` connection.",
                }
            )
            return None
        for key, value in given.items():
            if not 1 <= value <= 100:
                self.errors.append(
                    {
                        "type": "EXCESSIVE_PAGINATION" if value > 100 else "INVALID_PAGINATION",
                        "path": [name],
                        "message": f"Requesting {value} records on the `{name}` connection "
                        f"exceeds the `{key}` limit of 100 records."
                        if value > 100
                        else f"`{key}` on the `{name}` connection cannot be less than 1.",
                    }
                )
                return None
        return max(given.values())


@dataclass
class _Context:
    state: State
    who: Identity
    web: str
    budget: Points
    cost: int
    nodes: int


def _connection(items: list[Any], first: int | None, last: int | None, after: str | None) -> Any:
    """A page of ``items`` with GitHub's cursors (opaque base64 of the position)."""
    start = int(base64.b64decode(after).decode().split(":")[1]) + 1 if after else 0
    rest = items[start:]
    if first is not None:
        page, more = rest[:first], len(rest) > first
        offset = start
    else:
        count = last or len(rest)
        page, more = rest[-count:], False
        offset = start + max(0, len(rest) - count)
    end = offset + len(page) - 1
    cursor = base64.b64encode(f"cursor:{end}".encode()).decode() if page else None
    return {
        "nodes": page,
        "totalCount": len(items),
        "pageInfo": {"hasNextPage": more, "endCursor": cursor},
    }


def _paged(items: Callable[[], list[Any]]) -> Callable[..., Any]:
    def resolve(_info: Any, first: int | None = None, last: int | None = None, **kw: Any) -> Any:
        return _connection(items(), first, last, kw.get("after"))

    return resolve


def _actor(state: State, login: str) -> dict[str, Any]:
    user = state.user(login)
    if user.type == "Bot":
        return {"__typename": "Bot", "login": login.removesuffix("[bot]")}
    return {"__typename": "Organization" if user.type == "Organization" else "User", "login": login}


class _Root:
    def __init__(self, context: _Context) -> None:
        self.context = context

    def repository(self, _info: Any, owner: str, name: str) -> Any:
        state, who = self.context.state, self.context.who
        repo = state.repos.get(f"{owner}/{name}".lower())
        if repo is None or not state.can_see(who, repo) or who.kind == "app":
            raise NotFound(f"Could not resolve to a Repository with the name '{owner}/{name}'.")
        tracker.sync(repo)
        return _repository(self.context, repo)

    def rateLimit(self, _info: Any, dryRun: bool = False) -> Any:
        budget = self.context.budget
        return {
            "cost": self.context.cost,
            "limit": budget.limit,
            "nodeCount": self.context.nodes,
            "remaining": budget.limit - budget.used,
            "resetAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(budget.reset)),
            "used": budget.used,
        }


def _repository(context: _Context, repo: Repo) -> dict[str, Any]:
    def pulls(
        _info: Any,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        headRefName: str | None = None,
        baseRefName: str | None = None,
        states: list[str] | None = None,
        orderBy: dict[str, str] | None = None,
    ) -> Any:
        found = []
        for issue in repo.issues.values():
            pull = issue.pull
            if pull is None:
                continue
            if headRefName is not None and pull.head_ref != headRefName:
                continue
            if baseRefName is not None and pull.base_ref != baseRefName:
                continue
            if states and _pull_state(issue) not in states:
                continue
            found.append(issue)
        order = orderBy or {"field": "CREATED_AT", "direction": "ASC"}
        key = {
            "CREATED_AT": lambda i: (i.created_at, i.number),
            "UPDATED_AT": lambda i: (i.updated_at, i.number),
        }.get(order["field"], lambda i: (0, i.number))
        found.sort(key=key, reverse=order["direction"] == "DESC")
        tips = repo.bare.branches()
        nodes = [_pull(context, repo, issue, tips) for issue in found]
        return _connection(nodes, first, last, after)

    return {"name": repo.name, "nameWithOwner": repo.full_name, "pullRequests": pulls}


def _pull_state(issue: Issue) -> str:
    assert issue.pull is not None
    if issue.pull.merged_at is not None:
        return "MERGED"
    return "OPEN" if issue.state == "open" else "CLOSED"


def _pull(context: _Context, repo: Repo, issue: Issue, tips: dict[str, str]) -> dict[str, Any]:
    pull = issue.pull
    assert pull is not None
    state = context.state
    head = tips.get(pull.head_ref, pull.head_sha)
    base = tips.get(pull.base_ref, pull.base_sha)
    verdict: list[merging.Assessment | None] = []

    def assessed() -> merging.Assessment | None:
        """GitHub's answer on merging, as the REST read gives it (and asks for it)."""
        if not verdict:
            found = None
            if issue.state == "open":
                if pull.mergeable_for == (head, base):
                    found = merging.assess(repo, issue)
                pull.mergeable_for = (head, base)
            verdict.append(found)
        return verdict[0]

    def mergeable(_info: Any) -> str:
        found = assessed()
        if found is None:
            return "UNKNOWN"
        return "MERGEABLE" if found.mergeable else "CONFLICTING"

    def merge_state(_info: Any) -> str:
        found = assessed()
        return "UNKNOWN" if found is None else found.state.upper()

    def reviews(_info: Any, states: list[str] | None = None, **page: Any) -> Any:
        found = [
            {"author": _actor(state, r.user), "state": r.state}
            for r in sorted(repo.reviews.values(), key=lambda r: r.id)
            if r.number == issue.number
            and (r.state != "PENDING" or r.user.lower() == context.who.login.lower())
            and (not states or r.state in states)
        ]
        return _connection(found, page.get("first"), page.get("last"), page.get("after"))

    def requests() -> list[Any]:
        return [{"requestedReviewer": _actor(state, r)} for r in pull.requested_reviewers]

    def commits() -> list[Any]:
        shas = repo.bare.commits_between(base, head) if issue.state == "open" else []
        shas = shas or [head]
        return [{"commit": _commit(repo, sha)} for sha in shas]

    return {
        "number": issue.number,
        "url": f"{context.web}/{repo.full_name}/pull/{issue.number}",
        "title": issue.title,
        "body": issue.body or "",
        "state": _pull_state(issue),
        "isDraft": pull.draft,
        "merged": pull.merged_at is not None,
        "createdAt": stamp(issue.created_at),
        "mergedAt": stamp(pull.merged_at),
        "closedAt": stamp(issue.closed_at),
        "headRefName": pull.head_ref,
        "headRefOid": head,
        "baseRefName": pull.base_ref,
        "author": _actor(state, issue.user),
        "mergeable": mergeable,
        "mergeStateStatus": merge_state,
        "labels": _paged(lambda: [{"name": repo.labels[k].name} for k in issue.labels]),
        "assignees": _paged(lambda: [{"login": a} for a in issue.assignees]),
        "reviewRequests": _paged(requests),
        "reviews": reviews,
        "commits": _paged(commits),
    }


def _commit(repo: Repo, sha: str) -> dict[str, Any]:
    """A commit with its status-check rollup: the latest status per context, then the
    latest check run per name and app (what the REST reads list); null when none."""
    statuses: dict[str, Any] = {}
    for status in repo.statuses:
        if status.sha == sha:
            statuses[status.context] = status
    runs = {
        (r.name, r.app_id): r
        for r in sorted(repo.check_runs.values(), key=lambda r: r.id)
        if r.head_sha == sha
    }
    contexts: list[dict[str, Any]] = [
        {"__typename": "StatusContext", "context": s.context, "state": s.state.upper()}
        for s in statuses.values()
    ]
    contexts += [
        {
            "__typename": "CheckRun",
            "name": r.name,
            "status": r.status.upper(),
            "conclusion": r.conclusion.upper() if r.conclusion else None,
        }
        for r in runs.values()
    ]
    rollup = None
    if contexts:
        states = set(merging.check_states(repo, sha).values())
        overall = (
            "FAILURE" if "failure" in states else "PENDING" if "pending" in states else "SUCCESS"
        )
        rollup = {"state": overall, "contexts": _paged(lambda: contexts)}
    return {"oid": sha, "statusCheckRollup": rollup}
