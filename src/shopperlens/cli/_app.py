"""The Typer application, the global options and the store a command works on.

The CLI's modules import Typer, Rich and light modules at their top; the settings and whatever
loads the data libraries (pandas, SciPy, scikit-learn, Ibis, PyArrow) are imported by the
command that uses them, so ``--help`` answers without them (tests/test_cli_startup.py).
"""

from __future__ import annotations

import errno
import inspect
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from shopperlens.errors import ShopperlensError

if TYPE_CHECKING:
    import pandas as pd

    from shopperlens.config import Settings


#: what a command started with its standard output closed says when it writes there
OUTPUT_CLOSED = (
    "cannot write the output: standard output is closed (send it to a file or to /dev/null)"
)


class OutputClosed(OSError):
    """A write to a standard output that was closed before the command started."""


class ClosedStdout(io.TextIOBase):
    """``sys.stdout`` for a command started with its standard output closed (``>&-``).

    Python then sets ``sys.stdout`` to None, and Rich and Click write to None without a word:
    ``shopperlens tables --json >&-`` exited 0 having written nothing. Here the first write
    fails, and ``cli.main`` says so in one line on stderr (:data:`OUTPUT_CLOSED`), exit 1."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OutputClosed(errno.EBADF, "standard output is closed")


class _Group(TyperGroup):
    """Turns errors into one line on stderr and a non-zero exit, for every (sub)command.

    A :class:`ShopperlensError` exits 1, and so does an error of the file system on a path
    (``--out`` into a missing folder); a usage error (an unknown option, a missing argument, a
    value not among the choices) exits 2 (:func:`_usage_error`); anything unexpected exits 2,
    still without a traceback unless ``SHOPPERLENS_DEBUG`` is set.
    """

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[no-untyped-def]
        """The global options' parsing: ``shopperlens --bogus`` fails here, before
        :meth:`invoke`, which every command's and sub-group's parsing runs within."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except Exception as exc:
            if _is_usage_error(exc):
                _usage_error(exc, info_name)
            raise

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        """Keep the words after the command's name: a usage error Click raises without its
        command (an option given without its value) then points at the help of the command
        they name."""
        rest = super().parse_args(ctx, args)
        ctx.meta[_REST] = list(rest)
        return rest

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        from shopperlens.cli import _render

        try:
            return super().invoke(ctx)
        except ShopperlensError as exc:
            _render.error(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:  # (the framework would exit 130 without a word)
            _render.error("interrupted")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            # the reader went away (`shopperlens tables | head`): nothing is wrong with any
            # path, and there is nobody left to tell; stdout goes to /dev/null so that the
            # interpreter's own flush at exit does not fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except OutputClosed:
            raise  # (said by ``cli.main``, which also sees ``--help`` fail)
        except OSError as exc:
            if os.environ.get("SHOPPERLENS_DEBUG"):
                raise
            # a path the user gave: a missing folder, a directory where a file goes, no rights
            said = f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else exc
            _render.error(f"cannot use that path: {said}")
            raise typer.Exit(1) from None
        except Exception as exc:
            if _is_usage_error(exc):
                _usage_error(exc, _named_command(ctx))
            # the CLI framework's own exits and aborts pass through untouched
            framework = type(exc).__module__.split(".")[0] in ("click", "typer")
            if framework or os.environ.get("SHOPPERLENS_DEBUG"):
                raise
            if _interrupted(exc):
                # Ctrl-C stopped a DuckDB statement or a Spark call: as Ctrl-C anywhere else,
                # not "unexpected RuntimeError: Query interrupted" or "unexpected Py4JError"
                _render.error("interrupted")
                raise typer.Exit(130) from None
            _render.error(
                f"unexpected {type(exc).__name__}: {exc} (set SHOPPERLENS_DEBUG=1 for details)"
            )
            raise typer.Exit(2) from None


def _named_command(ctx: typer.Context) -> str:
    """The path of the deepest command the words name (``shopperlens import orders``), from
    the command the root invoked and the words after it."""
    path, command = [ctx.command_path], ctx.command
    for word in [ctx.invoked_subcommand, *ctx.meta.get(_REST, [])]:
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        path.append(str(word))
        command = sub
    return " ".join(path)


def _is_usage_error(exc: Exception) -> bool:
    """Whether ``exc`` is Click's ``UsageError`` (an unknown option or command, a missing
    argument, a bad value), but not the help a group shows when called without a command
    (``NoArgsIsHelpError``, a usage error too). Told by class name: recent Typer releases raise
    the exceptions of a copy of Click they carry inside, not of the ``click`` package."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return "UsageError" in names and "NoArgsIsHelpError" not in names


def _usage_error(exc: Any, command_path: str | None = None) -> NoReturn:
    """A usage error as ``error: <what Click says>`` and the command's ``--help`` to read, exit 2
    (the Unix code for a command called wrongly); Typer printed a usage line and a framed box
    over six lines, which a cron job's mail or a log showed as a drawing.

    ``command_path``: the command whose help to name when Click's error carries no context
    (an option given without its value: ``shopperlens import orders --mapping-file``)."""
    from shopperlens.cli import _render

    ctx = getattr(exc, "ctx", None)
    command_path = ctx.command_path if ctx is not None else command_path
    shown = f"see '{command_path} --help'" if command_path else None
    _render.error(exc.format_message(), hint=shown)
    raise typer.Exit(exc.exit_code) from None


def _interrupted(exc: Exception) -> bool:
    """Whether Ctrl-C stopped ``exc``'s DuckDB statement or Spark call (their modules are
    imported here, not with the CLI: a command that failed on them has them loaded)."""
    from shopperlens.store.connection import interrupted
    from shopperlens.store.spark import interrupted as spark_interrupted

    return interrupted(exc) or spark_interrupted(exc)


#: ``ctx.meta`` key of the global ``--read-only``
_READ_ONLY = "shopperlens.read_only"
#: ``ctx.meta`` key of the words after the root command's subcommand name
_REST = "shopperlens.rest"

app = typer.Typer(
    cls=_Group,
    name="shopperlens",
    help="Who your shop's customers are and what to do about each kind.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _show_version(shown: bool) -> None:
    """``--version``: the release installed, which a bug report or an upgrade asks for (an
    installed package has no repository to look it up in)."""
    if shown:
        from shopperlens import __version__

        typer.echo(f"shopperlens {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="DuckDB file with the shop's data (default: shopperlens.duckdb in the current "
            "folder, or env SHOPPERLENS_DB).",
        ),
    ] = None,
    read_only: Annotated[
        bool,
        typer.Option(
            "--read-only",
            help="Open the store without writing to it: a copy on a read-only disk or share, "
            "or several readers at once. Commands that would store something say so.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the installed version of shopperlens and exit.",
        ),
    ] = False,
) -> None:
    """Who your shop's customers are and what to do about each kind."""
    from shopperlens.config import Settings

    overrides = {"db": db} if db is not None else {}
    ctx.obj = Settings(**overrides)
    ctx.meta[_READ_ONLY] = read_only


def reflow_help(typer_app: typer.Typer) -> None:
    """Join the single line breaks inside each paragraph of every command's help.

    Help texts are the commands' docstrings, wrapped at the source's line width; Rich help
    keeps those breaks in the command lists and after the first paragraph, so ``--help``
    showed sentences cut in the middle of the screen. A blank line still starts a paragraph,
    and a ``\\f`` line ends what users see (what follows is for the code's readers).
    """
    for command in typer_app.registered_commands:
        command.help = _reflowed(command.help, command.callback)
    for group in typer_app.registered_groups:
        sub = group.typer_instance
        group.help = _reflowed(group.help, None)
        if sub is not None:
            sub.info.help = _reflowed(sub.info.help, None)
            reflow_help(sub)


def _reflowed(help_text: object, callback: object) -> object:
    """``help_text`` (or ``callback``'s docstring) with its paragraphs on one line each;
    anything else (Typer's "not given" placeholder) unchanged."""
    if not isinstance(help_text, str):
        doc = inspect.getdoc(callback) if callback is not None else None
        if doc is None:
            return help_text
        help_text = doc
    shown = inspect.cleandoc(help_text).partition("\f")[0]
    return "\n\n".join(" ".join(p.split()) for p in shown.split("\n\n") if p.strip())


def settings(ctx: typer.Context) -> Settings:
    from shopperlens.config import Settings

    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


def stores(ctx: typer.Context) -> bool:
    """False under ``--read-only``: commands that store their run by default (``types``,
    ``clv``) then compute it and show it without storing it."""
    return not ctx.find_root().meta.get(_READ_ONLY, False)


def open_shop(ctx: typer.Context, *, types_config: Path | None = None):  # type: ignore[no-untyped-def]
    """The :class:`~shopperlens.api.Shop` the command works on (closed when the command ends).

    ``types_config``: a command's ``--config``, overriding the setting for this command.
    """
    from shopperlens.api import Shop
    from shopperlens.store import connect

    cfg = settings(ctx)
    if types_config is not None:
        cfg = cfg.model_copy(update={"types_config": types_config})
    made = str(cfg.db) != ":memory:" and not Path(cfg.db).exists()
    shop = Shop(connect(cfg.db, read_only=not stores(ctx)), cfg)
    ctx.call_on_close(lambda: _close(shop, Path(cfg.db) if made else None))
    return shop


def write_out(
    ctx: typer.Context, frame: pd.DataFrame, out: Path, *, what: str = "rows", json_: bool = False
) -> None:
    """Write the table ``frame`` to ``--out`` (with the ``csv_bom`` setting) and say "wrote N
    WHAT to PATH", N with thousands separated. Under ``--json`` the line goes to stderr: stdout
    is the JSON alone (the line ahead of it broke ``clv --json --out all.csv | jq``). One
    function, so that every command writing a table says it in the same words."""
    from shopperlens.cli import _render
    from shopperlens.service._files import write_table

    write_table(frame, out, bom=settings(ctx).csv_bom)
    said = f"wrote {len(frame):,} {what} to {out}"
    typer.echo(said, err=True) if json_ else _render.message(said)


def currency(shop: Any) -> str:
    """The shop's currency (the one most of its orders name): the CLI writes its amounts in it,
    as the report does, in a table's column heading (``CLV (EUR)``) or beside the figure."""
    from shopperlens.service.overview import shop_currency

    return shop_currency(store=shop.store)


def _close(shop: Any, made: Path | None) -> None:
    """Close the command's shop; a store file the command created and left holding nothing
    is removed: ``--db shpo.duckdb report`` with a mistyped name, or an import refused whole,
    left an empty store behind, which the next command then read as "no orders"."""
    blank = made is not None and not shop.store.closed and shop.store.blank()
    shop.close()
    if blank:
        for path in (made, made.with_name(made.name + ".wal")):
            path.unlink(missing_ok=True)
