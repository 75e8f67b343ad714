"""`shopperlens check`: what this shop's data can support, capability by capability."""

from __future__ import annotations

from typing import Annotated

import typer

from shopperlens.cli import _render
from shopperlens.cli._app import app, open_shop

#: how each status is shown (the word stays plain text: a pipe or a log reads it too)
_STYLE = {"ready": "green", "limited": "yellow", "missing": "red"}


@app.command("check")
def check_cmd(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON instead of lines.")] = False,
) -> None:
    """Whether this shop's data is enough for each capability (types, CLV, clv-report,
    intent, basket rules, recommend, threshold, funnel, audiences, surveys, interviews,
    personas, analytics check): ready, limited or missing, the figure behind it and the
    command to run next."""
    answer = open_shop(ctx).readiness()
    if json_:
        _render.as_json(answer)
        return
    for c in answer.capabilities:
        _render.message(
            (f"{c.status:<8}", _STYLE[c.status]), " ", (c.title, "bold"), f": {c.figure}"
        )
        _render.message(f"{'':9}next: {c.next_step}")
