"""A public survey answer holding a lone surrogate (JSON may write ``"\\ud800"``; UTF-8 cannot
encode it) made the store's insert fail: the endpoint answered 500 with a traceback, and every
honest answer written in the same batch failed with it. Such text is refused as an answer
problem, and a batch that fails is written again one submission at a time."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from shopperlens.errors import ShopperlensError
from shopperlens.service import surveys
from shopperlens.service.surveys import ResponseWriter, Submission
from shopperlens.surveys.definition import AnswerError

URL = "/s/demo-profile/responses"
LONE = '{"answers": {"why_buy": "\\ud800"}}'


def _post(client, body: str):  # type: ignore[no-untyped-def]
    return client.post(URL, content=body, headers={"content-type": "application/json"})


def test_a_lone_surrogate_is_an_answer_problem_not_a_crash(file_shop) -> None:  # type: ignore[no-untyped-def]
    shop, client = file_shop
    res = _post(client, LONE)
    assert res.status_code == 422
    assert "not valid text" in res.json()["problems"]["why_buy"]
    res = _post(client, '{"answers": {"values": ["price", "\\udfff"]}}')  # in a multi-select
    assert res.status_code == 422 and "values" in res.json()["problems"]
    res = _post(client, '{"answers": {"\\ud800": "x"}}')  # as a question id
    assert res.status_code == 422 and "not valid text" in res.json()["problems"]["answers"]
    res = _post(client, '{"answers": {"novelty": 3}, "visitor_id": "\\ud800"}')
    assert res.status_code == 400 and res.json()["detail"] == "visitor_id must be text"
    res = _post(client, '{"answers": {"novelty": 3}, "token": "\\ud800"}')
    assert res.status_code == 400
    assert shop.store.count("survey_responses") == 0
    assert _post(client, '{"answers": {"why_buy": "caf\\u00e9 \\ud83d\\ude00"}}').status_code == 201


def test_python_refuses_it_too(shop) -> None:  # type: ignore[no-untyped-def]
    surveys.ensure_builtin(store=shop.store)
    with pytest.raises(AnswerError, match="not valid text"):
        shop.survey_submit("demo-profile", {"why_buy": "\ud800"})


def test_one_submission_the_store_refuses_fails_alone(store) -> None:  # type: ignore[no-untyped-def]
    """Past the checks (here: a submission built by hand), a batch the store refuses is
    written again item by item: the good answers are stored, the bad one fails alone."""
    surveys.ensure_builtin(store=store)
    version = surveys.get_survey(store=store, name="demo-profile").version

    def sub(text: str, who: str) -> Submission:
        return Submission(
            survey="demo-profile", version=version, answers={"why_buy": text},
            respondent=who, channel="link",
        )  # fmt: skip

    writer = ResponseWriter(store)
    try:
        # queued before the writer takes them: one batch (the first may go alone)
        futures: list[Future[str]] = [
            writer.submit(sub(t, f"r{i}"))
            for i, t in enumerate(["good", "fine", "\ud800", "also good"])
        ]
        results = []
        for f in futures:
            try:
                results.append(f.result(timeout=20))
            except Exception as exc:  # noqa: BLE001 - the failing one's error, whatever it is
                results.append(exc)
    finally:
        writer.close()
    assert [isinstance(r, str) for r in results] == [True, True, False, True]
    stored = store.df("SELECT respondent FROM survey_responses ORDER BY respondent")
    assert stored["respondent"].tolist() == ["r0", "r1", "r3"]
    assert not isinstance(results[2], ShopperlensError | str)


@pytest.mark.parametrize(
    "path",
    ["/api/surveys", "/api/consents", "/api/interviews/invite", "/api/personas/build",
     "/api/surveys/demo-profile/send"],
)  # fmt: skip
def test_private_endpoints_answer_it_without_a_500(file_shop, path: str) -> None:  # type: ignore[no-untyped-def]
    """A validation error quotes its input, and JSON rendered that quote as UTF-8, so the
    error answer itself failed (500). Errors are now written as ASCII-escaped JSON."""
    _, client = file_shop
    body = (
        '{"name": "\\ud800", "title": "\\ud800", "customer_id": "\\ud800", "purpose": '
        '"marketing", "granted": true, "questions": ["\\ud800"], "customer_ids": ["\\ud800"]}'
    )
    res = client.post(path, content=body, headers={"content-type": "application/json"})
    assert res.status_code in (400, 404, 422), res.text
    assert res.json()["detail"]  # (valid JSON, the surrogate escaped)
