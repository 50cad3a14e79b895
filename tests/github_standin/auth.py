"""Who is calling: tokens, GitHub App JWTs, installation tokens, and the rate-limit budget."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from .errors import ApiError
from .state import ANONYMOUS, App, Identity, Installation, State

TOKEN_LIFETIME = 3600
JWT_ERROR = "A JSON web token could not be decoded"


def credentials(header: str | None) -> tuple[str, str] | None:
    """Split an ``Authorization`` header into (scheme, secret); Basic yields its password."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "basic":
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            raise ApiError(401, "Bad credentials") from None
        return scheme, password or user
    if scheme in ("token", "bearer") and value:
        return scheme, value
    raise ApiError(401, "Bad credentials")


def identify(state: State, header: str | None) -> Identity:
    """Return the identity an ``Authorization`` header proves, or raise 401."""
    creds = credentials(header)
    if creds is None:
        return ANONYMOUS
    scheme, secret = creds
    who = state.tokens.get(secret)
    if who is not None:
        if who.expires_at is not None and who.expires_at < time.time():
            raise ApiError(401, "Bad credentials")
        return who
    if scheme == "bearer" and secret.count(".") == 2:
        return _app_identity(state, secret)
    raise ApiError(401, "Bad credentials")


def _app_identity(state: State, token: str) -> Identity:
    """Verify an RS256 app JWT against the key of the app named in ``iss``."""
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        app = state.apps[int(issuer)]
        jwt.decode(
            token,
            app.public_key,
            algorithms=["RS256"],
            leeway=60,
            options={"require": ["exp", "iat", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise ApiError(
            401,
            "'Expiration time' claim ('exp') must be a numeric value representing the future"
            " time at which the assertion expires",
        ) from None
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        raise ApiError(401, JWT_ERROR) from None
    return Identity(login=f"{app.slug}[bot]", kind="app", token=token, app_id=app.id)


def public_key(key: Any) -> Any:
    """Accept a private or public key (PEM text, bytes or key object) and return the public key."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(key, bytes):
        if b"PRIVATE KEY" in key:
            return load_pem_private_key(key, password=None).public_key()
        return load_pem_public_key(key)
    return key.public_key() if hasattr(key, "public_key") else key


def issue_installation_token(state: State, app: App, inst: Installation) -> Identity:
    """Mint an installation token valid for an hour on the installation's repositories."""
    token = f"ghs_{secrets.token_hex(18)}"
    who = Identity(
        login=f"{app.slug}[bot]",
        kind="installation",
        token=token,
        installation_id=inst.id,
        app_id=app.id,
        repos=frozenset(r.lower() for r in inst.repos),
        expires_at=time.time() + TOKEN_LIFETIME,
    )
    with state.lock:
        state.user(who.login, "Bot")
        state.tokens[token] = who
    return who


@dataclass
class Budget:
    """One caller's rate-limit window."""

    limit: int
    remaining: int
    reset: int


class RateLimiter:
    """Count requests per caller; an exhausted budget answers GitHub's primary rate-limit 403."""

    def __init__(self, limit: int = 5000, anonymous_limit: int = 60, window: int = 3600) -> None:
        self.limit, self.anonymous_limit, self.window = limit, anonymous_limit, window
        self._budgets: dict[str, Budget] = {}
        self._lock = threading.Lock()

    def configure(self, limit: int, window: int = 3600, anonymous_limit: int | None = None) -> None:
        """Set the budget per window and start every caller afresh."""
        with self._lock:
            self.limit, self.window = limit, window
            if anonymous_limit is not None:
                self.anonymous_limit = anonymous_limit
            self._budgets.clear()

    def budget(self, who: Identity, client: str) -> Budget:
        """Return the caller's current window, refilled once its reset time has passed."""
        key = who.token or f"anonymous:{client}"
        limit = self.limit if who.authenticated else self.anonymous_limit
        with self._lock:
            budget = self._budgets.get(key)
            if budget is None or budget.reset <= time.time():
                budget = Budget(limit, limit, int(time.time()) + self.window)
                self._budgets[key] = budget
            return budget

    def take(self, who: Identity, client: str, user_id: int | None) -> Budget:
        """Spend one request, or raise the primary rate-limit 403 when none is left."""
        budget = self.budget(who, client)
        with self._lock:
            if budget.remaining <= 0:
                subject = f"user ID {user_id}" if user_id else client
                raise ApiError(
                    403,
                    f"API rate limit exceeded for {subject}. (Authenticated requests get a higher"
                    " rate limit. Check out the documentation for more details.)",
                    headers=self.headers(budget),
                )
            budget.remaining -= 1
        return budget

    @staticmethod
    def headers(budget: Budget) -> dict[str, str]:
        """Return the ``X-RateLimit-*`` headers for a window."""
        return {
            "X-RateLimit-Limit": str(budget.limit),
            "X-RateLimit-Remaining": str(budget.remaining),
            "X-RateLimit-Reset": str(budget.reset),
            "X-RateLimit-Used": str(budget.limit - budget.remaining),
            "X-RateLimit-Resource": "core",
        }
