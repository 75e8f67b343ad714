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
