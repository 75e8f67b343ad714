"""``SHOPPERLENS_ALLOWED_ORIGINS``: the shop origins the on-site survey pop-up calls from.

Only a JSON list used to work: one origin or a comma-separated list stopped every command
with "unexpected SettingsError". One origin, a comma-separated list (spaces allowed) and a
JSON list now all work, empty is none, and a value that is no origin says so in one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError

VAR = "SHOPPERLENS_ALLOWED_ORIGINS"

#: every form the setting takes, and the origins it stands for
FORMS = {
    "http://127.0.0.1:8792": ["http://127.0.0.1:8792"],
    "https://a.example,https://b.example": ["https://a.example", "https://b.example"],
    " https://a.example , https://b.example ": ["https://a.example", "https://b.example"],
    '["https://a.example", "https://b.example"]': ["https://a.example", "https://b.example"],
    "https://shop.example/": ["https://shop.example"],  # as browsers send it: no slash
    "http://[::1]:8080": ["http://[::1]:8080"],
    "": [],
    "  ": [],
    "[]": [],
}

#: values that are no list of origins; each would have refused every pop-up call
NOT_ORIGINS = {
    "shop.example": "'shop.example' is not an origin",
    "https://a.example, shop.example": "'shop.example' is not an origin",
    "*": "'*' is not an origin",
    "https://shop.example/survey": "'https://shop.example/survey' is not an origin",
    "ftp://shop.example": "'ftp://shop.example' is not an origin",
    "https://shop.example:99999": "'https://shop.example:99999' is not an origin",
    '["https://a.example"': 'SHOPPERLENS_ALLOWED_ORIGINS=["https://a.example" is not a JSON list',
    "[1]": "1 is not an origin",
}


def _said(text: str) -> str:
    """Output as one line (Rich wraps long lines at the terminal width)."""
    return " ".join(text.split())


def test_every_form_from_the_environment_gives_the_origins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One origin, commas (with spaces) and a JSON list are read alike; empty is none."""
    for value, origins in FORMS.items():
        monkeypatch.setenv(VAR, value)
        assert Settings().allowed_origins == origins, value


def test_a_dotenv_file_takes_the_same_forms(tmp_path: Path) -> None:
    """A ``.env`` file is read by its own pydantic-settings source, which decoded JSON too."""
    env = tmp_path / ".env"
    env.write_text(f"{VAR}=https://a.example, http://127.0.0.1:8792\n", encoding="utf-8")
    assert Settings(_env_file=env).allowed_origins == [  # type: ignore[call-arg]
        "https://a.example",
        "http://127.0.0.1:8792",
    ]


def test_code_may_still_pass_a_list_or_one_string() -> None:
    """Tests and the Python API build ``Settings(allowed_origins=…)``; a bare string, which
    pydantic refused as no list, is now read like the environment's."""
    assert Settings(allowed_origins="https://a.example").allowed_origins == ["https://a.example"]
    assert Settings(allowed_origins=["https://a.example"]).allowed_origins == ["https://a.example"]


@pytest.mark.parametrize(("value", "said"), NOT_ORIGINS.items())
def test_a_value_that_is_no_origin_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str, said: str
) -> None:
    """The error names the variable, the value at fault and the expected form."""
    monkeypatch.setenv(VAR, value)
    with pytest.raises(ShopperlensError) as caught:
        Settings()
    message = str(caught.value)
    assert message.startswith(VAR) and said in message
    assert "scheme://host[:port]" in message and "separated by commas" in message


def test_cli_runs_with_comma_separated_origins(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The natural form: every command failed before it started."""
    monkeypatch.setenv(VAR, "https://a.example, https://b.example")
    res = cli("tables")
    assert res.exit_code == 0, res.output
    assert res.stderr == ""


def test_cli_says_what_is_wrong_with_a_bad_origin_in_one_line(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 1 and one ``error:`` line naming the variable and the form, not exit 2 with
    "unexpected SettingsError"."""
    monkeypatch.setenv(VAR, "https://a.example, shop.example")
    res = cli("tables")
    assert res.exit_code == 1
    assert res.exception is None or isinstance(res.exception, SystemExit)
    said = _said(res.stderr)
    assert said.startswith(
        "error: SHOPPERLENS_ALLOWED_ORIGINS: 'shop.example' is not an origin: give each shop "
        "origin as scheme://host[:port] (https://shop.example, http://127.0.0.1:8792), "
        "several separated by commas or as a JSON list"
    ), said
    assert "unexpected" not in said and "Traceback" not in res.output


def test_serve_lets_the_popup_call_from_the_one_origin_set(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``SHOPPERLENS_ALLOWED_ORIGINS=http://127.0.0.1:8792 shopperlens serve``: the app it
    serves accepts the pop-up's answer from that origin (CORS header) and refuses another."""
    import uvicorn
    from fastapi.testclient import TestClient

    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app))
    monkeypatch.setenv(VAR, "http://127.0.0.1:8792")
    assert cli("survey", "create", "demo-profile").exit_code == 0
    res = cli("serve", "--port", "8792")
    assert res.exit_code == 0, res.output
    with TestClient(served["app"]) as c:
        ok = c.post(
            "/s/demo-profile/responses",
            json={"answers": {"novelty": 3}},
            headers={"Origin": "http://127.0.0.1:8792"},
        )
        assert ok.status_code == 201, ok.text
        assert ok.headers["access-control-allow-origin"] == "http://127.0.0.1:8792"
        other = c.post(
            "/s/demo-profile/responses",
            json={"answers": {"novelty": 3}},
            headers={"Origin": "https://evil.example"},
        )
        assert other.status_code == 403


def test_origins_are_compared_in_lower_case_as_browsers_send_them(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SHOPPERLENS_ALLOWED_ORIGINS", "HTTPS://Shop.Example, http://LOCALHOST:8792")
    assert Settings().allowed_origins == ["https://shop.example", "http://localhost:8792"]


def test_a_setting_of_the_wrong_kind_is_one_line_naming_it(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """pydantic's several-line ValidationError reached the CLI as "unexpected
    ValidationError" (exit 2); a secret's value is never repeated."""
    monkeypatch.setenv("SHOPPERLENS_SMTP_PORT", "abc")
    res = cli("tables")
    said = " ".join(res.output.split())
    assert res.exit_code == 1 and said.startswith("error: SHOPPERLENS_SMTP_PORT 'abc': input")
    assert "unexpected" not in said and "Traceback" not in said
    with pytest.raises(ShopperlensError, match="SHOPPERLENS_SMTP_PORT 'x'"):
        Settings(smtp_port="x")


def test_a_host_beyond_ascii_is_compared_as_browsers_send_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Browsers send an international host in punycode: ``https://bücher.de`` never matched."""
    monkeypatch.setenv("SHOPPERLENS_ALLOWED_ORIGINS", "https://bücher.de, https://münchen.de:8443/")
    assert Settings().allowed_origins == [
        "https://xn--bcher-kva.de",
        "https://xn--mnchen-3ya.de:8443",
    ]
