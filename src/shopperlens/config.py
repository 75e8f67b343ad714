"""One ``Settings`` object for the whole program.

It is built once at the edge (``cli.py`` or ``web/app.py``) from ``SHOPPERLENS_*`` environment
variables and an optional ``.env`` file, then passed down; the core never reads the environment.
Every field has a description, and a test checks each one is documented in the README.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shopperlens.errors import ShopperlensError

DEFAULT_DB = Path("shopperlens.duckdb")
#: the smallest privacy threshold for persona figures: below it a figure describes one or two
#: people (k-anonymity's usual floor; the default is 5)
MIN_GROUP_FLOOR = 3


class Settings(BaseSettings):
    """shopperlens configuration (environment prefix ``SHOPPERLENS_``)."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPPERLENS_", env_file=".env", extra="ignore", frozen=True
    )

    def __init__(self, **values: Any) -> None:
        """Read the settings; a value of the wrong kind (``SHOPPERLENS_SMTP_PORT=abc``) is one
        :class:`ShopperlensError` naming the variable, where pydantic's several-line
        ``ValidationError`` reached the CLI as "unexpected ValidationError" (exit 2)."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ShopperlensError(_problem(exc)) from None

    db: Path = Field(DEFAULT_DB, description="DuckDB file holding the shop's data.")
    # repr=False (the secrets): a notebook showing ``shop.settings`` saved them into the .ipynb
    token: str | None = Field(
        None,
        description="Bearer token the HTTP API requires (all but the public survey endpoints).",
        repr=False,
    )
    engine: str = Field(
        "duckdb", description="Query engine for features: `duckdb` (default) or `spark`."
    )
    types_config: Path | None = Field(
        None, description="YAML file overriding the customer-type thresholds."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Address visitors reach shopperlens at, with its scheme (survey links, "
        "pop-up snippet); unset, `serve` uses the host and port it serves.",
    )
    secret_key: str | None = Field(
        None,
        description="Key that signs per-recipient survey links and the opt-out link of every "
        "survey and interview e-mail (required for sending either) and the "
        "types of a targeted pop-up (`popup-snippet --type`); `serve` needs the same key, or "
        "targeted pop-ups show to nobody.",
        repr=False,
    )
    # NoDecode: pydantic-settings would read a list from the environment as JSON only, so one
    # origin or a comma-separated list failed every command; _origins reads all three forms
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Shop origins allowed to call the public survey endpoints (CORS): one "
        "(`https://shop.example`), several separated by commas, or a JSON list.",
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server for invitation e-mails.")
    smtp_port: int = Field(25, description="SMTP port.")
    smtp_user: str | None = Field(None, description="SMTP user name, if the server needs one.")
    smtp_password: str | None = Field(None, description="SMTP password.", repr=False)
    smtp_starttls: bool = Field(
        False,
        description="Upgrade the SMTP connection with STARTTLS (the server's certificate is "
        "checked against the system's authorities; `SSL_CERT_FILE` names a bundle to trust "
        "instead, e.g. one with a private authority added).",
    )
    smtp_tls: bool | None = Field(
        None,
        description="Speak TLS from the first byte (SMTPS, RFC 8314; the server's certificate "
        "is checked as with STARTTLS); unset, on for port 465 and off otherwise. Not together "
        "with `SHOPPERLENS_SMTP_STARTTLS`. A login (`SHOPPERLENS_SMTP_USER`) needs one of the "
        "two unless the server is on this computer.",
    )
    smtp_timeout: float = Field(
        30,
        description="Seconds to wait for the SMTP server to connect or answer before giving "
        "up on it (a message not yet handed over stays `pending`).",
    )
    smtp_sender: str = Field(
        "shop@example.com",
        description="From address of invitation e-mails: a bare address (checked before "
        "sending and by `--dry-run`).",
    )
    shop_name: str | None = Field(
        None,
        description="The shop's name as customers know it: the display name in the From of "
        "survey and interview e-mails, and the name the built-in ones sign with when "
        "`--shop-name` is not given.",
    )
    min_group_size: int = Field(
        5,
        description="Smallest group a persona figure is shown for (privacy threshold; "
        f"{MIN_GROUP_FLOOR} or more).",
    )
    income_adjustment: float = Field(
        0.9,
        description="Factor applied to stated incomes, which people overstate (1.0 = no change).",
    )
    survey_rate_limit: int = Field(
        60, description="Survey submissions one IP address may send per minute (public endpoints)."
    )
    survey_max_body: int = Field(
        16_384,
        description="Least size of a survey submission accepted, in bytes (bigger gets 413); "
        "a survey whose answers at their longest may take more accepts that many.",
    )
    survey_fatigue_days: int = Field(
        90,
        description=(
            "Days a person is left alone by survey sends and interview invitations after being "
            "sent either (reminders of the same survey excepted)."
        ),
    )
    csv_bom: bool = Field(
        False,
        description="Start each CSV file of results (`--out x.csv` of `types`, `types "
        "sessions`, `clv`, `intent` and `personas members`; the plain `csv` audience file "
        "and the interview recruit list, over HTTP too) with UTF-8's byte order mark, so "
        "Excel on Windows opens it with accented names (Müller, Õie) intact.",
    )

    @field_validator("income_adjustment", mode="before")
    @classmethod
    def _lowers_income(cls, value: object) -> float:
        """People overstate their income, so the factor lowers it: more than 0 and at most 1
        (0.9 = 10 % lower). 1.5 raised every stated income and 0 wiped it out, without a word.
        The error is a :class:`ShopperlensError` (not wrapped by pydantic), so the CLI and the
        server say it in one line naming the variable and the value."""
        try:
            factor = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            factor = math.nan
        if not (math.isfinite(factor) and 0 < factor <= 1):
            raise ShopperlensError(
                f"SHOPPERLENS_INCOME_ADJUSTMENT={value!s} is not a factor that lowers stated "
                "incomes: use a number above 0 and at most 1 (0.9 = 10 % lower, 1 = unchanged)"
            )
        return factor

    @field_validator("smtp_tls", mode="before")
    @classmethod
    def _tls_or_port(cls, value: object) -> object:
        """Empty or ``auto`` is unset (the port decides), as a ``.env`` line
        ``SHOPPERLENS_SMTP_TLS=`` reads; pydantic refused it as no boolean."""
        if isinstance(value, str) and value.strip().lower() in ("", "auto"):
            return None
        return value

    @field_validator("smtp_timeout", mode="before")
    @classmethod
    def _waits_a_while(cls, value: object) -> float:
        """A number of seconds above 0: 0 or a negative number made every connection fail at
        once, NaN or infinity waited forever on a stalled server."""
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0):
            raise ShopperlensError(
                f"SHOPPERLENS_SMTP_TIMEOUT={value!s} is not a number of seconds: use a number "
                "above 0 (the default is 30)"
            )
        return seconds

    @field_validator("engine", mode="before")
    @classmethod
    def _known_engine(cls, value: object) -> str:
        """``duckdb`` or ``spark``, checked when the settings are read: a misspelt engine was
        taken by every command and ``serve``, and refused only by ``types``, hours later."""
        return engine_name(value, "SHOPPERLENS_ENGINE=")

    @field_validator("min_group_size", mode="before")
    @classmethod
    def _keeps_people_anonymous(cls, value: object) -> int:
        """A persona figure for fewer than :data:`MIN_GROUP_FLOOR` people describes one or two
        persons: 1, 0 or -3 showed every figure, a lone respondent's income and quotes among
        them, without a word. Refused in one line naming the variable and the value."""
        try:
            size = int(str(value).strip())
        except ValueError:
            size = None
        if size is None or size < MIN_GROUP_FLOOR:
            why = "is not a whole number" if size is None else "would show figures of one person"
            raise ShopperlensError(
                f"SHOPPERLENS_MIN_GROUP_SIZE={value!s} {why}: "
                f"use a whole number of {MIN_GROUP_FLOOR} or more (the default is 5)"
            )
        return size

    @field_validator("public_url", mode="before")
    @classmethod
    def _web_address(cls, value: object) -> str:
        """An address with its scheme and host (``https://survey.myshop.nl``, a path allowed):
        ``survey.myshop.nl`` alone was taken, and the pop-up snippet's ``<script src=
        "survey.myshop.nl/s/popup.js">`` is a relative address on the shop's site, where the
        pop-up silently never loads; every survey link was as broken."""
        text = str(value).strip()
        scheme, sep, rest = text.partition("://")
        if not sep or scheme.lower() not in ("http", "https") or not rest.split("/", 1)[0]:
            raise ShopperlensError(
                f"SHOPPERLENS_PUBLIC_URL={value!s} is not a web address: give it with its "
                "scheme, as visitors reach shopperlens (https://survey.myshop.example)"
            )
        return text

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> list[str]:
        """One origin, a comma-separated list (spaces around commas allowed) or a JSON list;
        empty means none. The survey pop-up needs this setting, and only a JSON list used to
        work: anything else stopped every command with an "unexpected SettingsError".

        Each origin is checked, because the browser sends ``scheme://host[:port]`` and an
        origin written otherwise (``shop.example``, ``https://shop.example/survey``, ``*``)
        would never match: the pop-up's calls would get ``403`` without a word. A bad value is
        a :class:`ShopperlensError` naming the variable and the form, said in one line."""
        if value is None:
            return []
        items: object = value
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    items = json.loads(text)
                except json.JSONDecodeError:
                    raise ShopperlensError(
                        f"SHOPPERLENS_ALLOWED_ORIGINS={value} is not a JSON list: {_ORIGINS_FORM}"
                    ) from None
            else:
                items = text.split(",")
        if not isinstance(items, list | tuple | set | frozenset):
            raise ShopperlensError(
                f"SHOPPERLENS_ALLOWED_ORIGINS={value!s} is not a list of origins: {_ORIGINS_FORM}"
            )
        origins = []
        for item in items:
            origin = item.strip() if isinstance(item, str) else item
            if origin == "":
                continue  # "a, b," or an empty value: nothing there
            if not isinstance(origin, str) or not _is_origin(origin):
                raise ShopperlensError(
                    f"SHOPPERLENS_ALLOWED_ORIGINS: {origin!r} is not an origin: {_ORIGINS_FORM}"
                )
            origins.append(_as_sent(origin))
        return origins


#: the query engines the features run on
ENGINES = ("duckdb", "spark")


def engine_name(value: object, said_as: str = "engine ") -> str:
    """``value`` as an engine name (any case), else one line: ``said_as`` (``"--engine "``,
    ``"SHOPPERLENS_ENGINE="``), the value, and the two engines."""
    word = str(value).strip().lower()
    if word not in ENGINES:
        raise ShopperlensError(f"{said_as}{value!s} is not an engine: use duckdb or spark")
    return word


_ORIGINS_FORM = (
    "give each shop origin as scheme://host[:port] (https://shop.example, "
    "http://127.0.0.1:8792), several separated by commas or as a JSON list"
)


#: settings whose values are never repeated in a message (they may be secrets)
_SECRET_WORDS = ("token", "secret", "password", "key")


def _problem(exc: ValidationError) -> str:
    """Each wrong setting as ``SHOPPERLENS_NAME: 'value' is not …`` in one line."""
    said = []
    for err in exc.errors():
        name = "_".join(str(part) for part in err["loc"][:1]) or "setting"
        value = "" if any(w in name for w in _SECRET_WORDS) else f" {str(err.get('input'))[:60]!r}"
        said.append(f"SHOPPERLENS_{name.upper()}{value}: {err['msg'].lower()}")
    return "; ".join(said) + " (see the settings table in the README)"


def _as_sent(origin: str) -> str:
    """``origin`` as a browser's ``Origin`` header carries it: scheme and host in lower case
    (``HTTPS://Shop.example`` matched no request) and a host beyond ASCII in its punycode form
    (``https://bücher.de`` is sent as ``https://xn--bcher-kva.de``)."""
    scheme, _, rest = origin.lower().partition("://")
    rest = rest.rstrip("/")
    has_port = ":" in rest and not rest.endswith("]")  # (an IPv6 host [::1] holds colons)
    host, colon, port = rest.rpartition(":") if has_port else (rest, "", "")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ShopperlensError(
                f"SHOPPERLENS_ALLOWED_ORIGINS: {origin!r} is not an origin: {_ORIGINS_FORM}"
            ) from None
    return f"{scheme}://{host}{colon}{port}" if colon else f"{scheme}://{host}"


def _is_origin(text: str) -> bool:
    """``scheme://host[:port]`` with an http(s) scheme, as a browser's ``Origin`` header says
    it (a trailing ``/`` is tolerated: the survey endpoints ignore it)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is no port
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and parts.path in ("", "/")
        and not parts.query
        and not parts.fragment
        and not text.endswith(("?", "#"))
    )


def settings_markdown() -> str:
    """The README's settings table, generated from the fields (so it cannot drift)."""
    lines = ["| variable | meaning | default |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default if field.default_factory is None else field.default_factory()
        shown = "–" if default in (None, []) else f"`{default}`"
        lines.append(f"| `SHOPPERLENS_{name.upper()}` | {field.description} | {shown} |")
    return "\n".join(lines)


def sync_readme(path: Path) -> bool:
    """Rewrite the settings section of the README; returns True when it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- section:settings -->", "<!-- /section:settings -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    new = f"{head}{start}\n{settings_markdown()}\n{end}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # python -m shopperlens.config README.md
    import sys

    sync_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
