"""Route REST requests to handlers, and paginate lists with GitHub's ``Link`` header."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlencode

from .errors import ApiError, invalid, not_found
from .state import Identity

if TYPE_CHECKING:
    from .render import Renderer
    from .state import State

T = TypeVar("T")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100


@dataclass
class Request:
    """One REST request as the handlers see it; ``path`` is relative to ``/api/v3``."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    who: Identity
    state: State
    render: Renderer
    budget: Any = None  # the caller's rate-limit window (auth.Budget)

    def param(self, name: str, default: str | None = None) -> str | None:
        """Return a query parameter."""
        return self.query.get(name, default)

    def json_dict(self) -> dict[str, Any]:
        """Return the JSON body as an object, 400 if it is something else."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "Problems parsing JSON")
        return self.body


@dataclass
class Response:
    """A JSON answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Response]


class Router:
    """Match ``METHOD path`` against patterns; named groups become (unquoted) handler kwargs."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        """Register the decorated function for ``method`` and a path regex."""

        def register(handler: Handler) -> Handler:
            self.routes.append((method, re.compile(f"^{pattern}$"), handler))
            return handler

        return register

    def dispatch(self, request: Request) -> Response:
        """Call the matching handler, 404 when no route fits."""
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if match and (method == request.method or (method, request.method) == ("GET", "HEAD")):
                kwargs = {k: unquote(v) for k, v in match.groupdict().items()}
                return handler(request, **kwargs)
        raise not_found()


def paginate(request: Request, items: Sequence[T]) -> tuple[list[T], dict[str, str]]:
    """Return one page of ``items`` and the ``Link`` header pointing at its neighbours."""
    try:
        per_page = int(request.param("per_page") or DEFAULT_PER_PAGE)
        page = int(request.param("page") or 1)
    except ValueError:
        raise invalid("Pagination", "page") from None
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = list(items[(page - 1) * per_page : page * per_page])

    def url(number: int) -> str:
        query = {**request.query, "per_page": str(per_page), "page": str(number)}
        if "per_page" not in request.query:
            del query["per_page"]
        return f"<{request.render.api}{request.path}?{urlencode(query)}>"

    links = []
    if page > 1:
        links.append(f'{url(min(page - 1, last))}; rel="prev"')
    if page < last:
        links += [f'{url(page + 1)}; rel="next"', f'{url(last)}; rel="last"']
    if page > 1:
        links.append(f'{url(1)}; rel="first"')
    return chunk, ({"Link": ", ".join(links)} if links else {})


def page_response(request: Request, items: Sequence[Any], render: Callable[[Any], Any]) -> Response:
    """Answer with one rendered page of a list."""
    chunk, headers = paginate(request, items)
    return Response(200, [render(item) for item in chunk], headers)
