"""The service layer: keyword-only functions every face (Python, CLI, HTTP) calls.

Each module covers one concern and returns pydantic models or frozen dataclasses; no face holds
logic of its own. Functions take the :class:`~shopperlens.store.Store` as ``store=``.
"""
