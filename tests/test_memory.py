"""Arrow's allocator inside and after shopperlens' own work (``shopperlens.memory``)."""

from __future__ import annotations

import threading

import pandas as pd
import pyarrow as pa
import pytest

from shopperlens.memory import system_pool
from shopperlens.types import classify, load_config


def _backend() -> str:
    return pa.default_memory_pool().backend_name


@pytest.fixture(autouse=True)
def _no_env_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)


def test_system_pool_inside_and_the_callers_pool_after() -> None:
    before = _backend()
    with system_pool():
        assert _backend() == "system"
        with system_pool():
            assert _backend() == "system"
        assert _backend() == "system"  # the outer block is still running
    assert _backend() == before


def test_overlapping_blocks_restore_the_callers_pool_once_the_last_ends() -> None:
    before = _backend()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with system_pool():
            inside.set()
            leave.wait(5)

    t = threading.Thread(target=other)
    with system_pool():
        t.start()
        assert inside.wait(5)
    assert _backend() == "system"  # the other thread's block has not ended
    leave.set()
    t.join(5)
    assert _backend() == before


def test_a_pool_chosen_by_environment_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    before = _backend()
    with system_pool():
        assert _backend() == before


def test_classify_builds_its_evidence_on_the_system_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    import shopperlens.types.rules as rules

    real = rules.evidence

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(_backend())
        return real(*args, **kwargs)

    monkeypatch.setattr(rules, "evidence", spy)
    before = _backend()
    frame = pd.DataFrame({"subject_id": ["visitor:v1"], "customer_id": [None],
                          "visitor_id": ["v1"], "visits": [1], "pages": [1]})  # fmt: skip
    from shopperlens.features import FEATURE_COLUMNS

    for col in FEATURE_COLUMNS:
        if col not in frame:
            frame[col] = 0
    classify(frame, load_config())
    assert seen == ["system"]
    assert _backend() == before
