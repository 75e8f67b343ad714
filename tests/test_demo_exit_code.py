"""A demo with a failed step ends with exit code 1 and an ``error:`` line naming the step.

It exited 0 after writing the report of the steps that worked, so ``make demo`` and any
script took a report with a page missing for a whole one. The step fails through real
configuration: a privacy threshold (``SHOPPERLENS_MIN_GROUP_SIZE``) no group of the demo's
survey answers can meet makes the personas step fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.mark.parametrize("json_out", [False, True])
def test_a_failed_step_still_writes_the_report_then_exits_1(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, json_out: bool
) -> None:
    monkeypatch.setenv("SHOPPERLENS_MIN_GROUP_SIZE", "100000")
    out = tmp_path / "report"
    res = cli("demo", "--out", str(out), "--customers", "150", *(["--json"] if json_out else []))
    assert res.exit_code == 1, res.output
    index = out / "index.html"
    assert res.stderr.splitlines()[-1] == (
        f"error: demo step failed: personas; {index} shows the steps that worked and why "
        "each failed"
    )
    assert index.exists() and "Traceback" not in res.output
    if json_out:
        got = json.loads(res.stdout)
        steps = {s["name"]: s["status"] for s in got["steps"]}
        assert steps["personas"] == "failed" and steps["types"] == "ok"
        assert got.get("failure", "-") == res.stderr.splitlines()[-1].removeprefix("error: ")
    else:
        assert "report:" in res.stdout and "1 step(s) failed" in res.stdout
