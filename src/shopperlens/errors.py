"""Errors a user can act on. The CLI prints their message (never a traceback) and exits 1."""

from __future__ import annotations


class ShopperlensError(Exception):
    """Base of every error shopperlens raises on purpose; its message is for the user."""


class NotFittedError(ShopperlensError, ValueError):
    """A model was asked to predict before ``fit`` was called."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is not fitted yet: call .fit first")


class InsufficientDataError(ShopperlensError, ValueError):
    """The data cannot support the analysis (too few buyers, responses …)."""


class NotFoundError(ShopperlensError, LookupError):
    """A customer, survey, persona, product or job asked for by name or id is not there.

    Its own class so the HTTP API can answer 404 (every other user error is a 400)."""
