"""``help(shopperlens.Shop)`` says what every method gives back.

Each public ``Shop`` method has a return annotation that resolves and is not ``Any``, and a
docstring. ``shopperlens.api`` names the returned types under ``if TYPE_CHECKING:`` (services
are imported lazily, so ``import shopperlens`` stays fast): the hints are resolved with the
names that block imports, and a fresh interpreter checks the block stays type-checking only.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from shopperlens import api
from shopperlens.api import Shop

PUBLIC = sorted(
    name for name, value in vars(Shop).items() if not name.startswith("_") and callable(value)
)


def _type_checking_names() -> dict[str, Any]:
    """The names ``shopperlens.api`` imports under ``if TYPE_CHECKING:``, imported for real."""
    tree = ast.parse(Path(api.__file__).read_text(encoding="utf-8"))
    names: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            block = ast.Module(body=node.body, type_ignores=[])
            exec(compile(block, api.__file__, "exec"), names)  # noqa: S102
    names.pop("__builtins__", None)
    return names


LOCALNS = _type_checking_names()


def test_shop_has_public_methods() -> None:
    assert len(PUBLIC) > 50
    assert {"types", "explain_type", "playbook", "close", "consents"} <= set(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_return_annotation_resolves_and_is_precise(name: str) -> None:
    method = getattr(Shop, name)
    hints = typing.get_type_hints(method, localns=LOCALNS)
    assert "return" in hints, f"Shop.{name} has no return annotation"
    assert hints["return"] is not Any, f"Shop.{name} is annotated -> Any"


@pytest.mark.parametrize("name", PUBLIC)
def test_has_docstring(name: str) -> None:
    assert (inspect.getdoc(getattr(Shop, name)) or "").strip(), f"Shop.{name} has no docstring"


def test_dataframe_methods_name_their_columns() -> None:
    """A method returning a DataFrame says which columns (a backquoted name or a pointer)."""
    import pandas as pd

    for name in PUBLIC:
        returned = typing.get_type_hints(getattr(Shop, name), localns=LOCALNS)["return"]
        if pd.DataFrame in (returned, *typing.get_args(returned)):
            doc = inspect.getdoc(getattr(Shop, name)) or ""
            assert "``" in doc or "column" in doc.lower(), f"Shop.{name} names no columns"


def test_annotated_types_are_not_imported_at_runtime() -> None:
    """``import shopperlens`` loads neither pandas nor the services the hints name."""
    modules = sorted(
        {v.__name__ if inspect.ismodule(v) else v.__module__ for v in LOCALNS.values()}
    )
    assert modules, "shopperlens.api has no TYPE_CHECKING imports"
    code = (
        "import sys, shopperlens, shopperlens.api\n"
        f"print(sorted(m for m in {modules!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", f"imported at runtime: {out.strip()}"
