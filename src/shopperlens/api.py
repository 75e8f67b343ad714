"""The Python face: ``shopperlens.open(path)`` returns a :class:`Shop`.

``Shop`` methods are thin: each calls one service function with this shop's store. Analyses
that need no store (the models) are importable directly from ``shopperlens.models``.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shopperlens.config import Settings
from shopperlens.errors import ShopperlensError
from shopperlens.service import imports as _imports
from shopperlens.service import privacy as _privacy
from shopperlens.service import tables as _tables
from shopperlens.store import Store, connect

if TYPE_CHECKING:  # only for the annotations: services are imported when a method runs
    import pandas as pd

    from shopperlens.personas.evolution import Evolution
    from shopperlens.playbooks.checkout import ShippingThreshold
    from shopperlens.service.audience import AudienceImport, CheckFinding
    from shopperlens.service.clv import ValueSummary
    from shopperlens.service.consent import ConsentImportResult, ConsentRecord
    from shopperlens.service.demo import DemoResult
    from shopperlens.service.interviews import NotesImport
    from shopperlens.service.personas import PersonaRun, RunInfo
    from shopperlens.service.playbooks import AudienceExport, Playbook
    from shopperlens.service.readiness import Readiness
    from shopperlens.service.report import ReportResult
    from shopperlens.service.survey_delivery import SendReport
    from shopperlens.service.survey_results import SurveyResults
    from shopperlens.service.surveys import SurveyImportResult, SurveyInfo
    from shopperlens.service.types import Movements, TypeExplanation


class Shop:
    """One shop's data and every analysis over it."""

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings or Settings(db=Path(store.path))

    def __repr__(self) -> str:
        return f"Shop({self.store.path!r})"

    def close(self) -> None:
        """Close the store; the shop refuses every call afterwards (open it again)."""
        self.store.close()

    def __enter__(self) -> Shop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- tables ----------------------------------------------------------------------------
    def tables(self) -> builtins.list[_tables.TableSummary]:
        """Row count of every canonical table."""
        return _tables.table_summaries(store=self.store)

    def imports(self, limit: int | str | None = None, *, offset: int = 0) -> _tables.ImportLedger:
        """The import ledger, newest first: every file loaded, or the ``limit`` newest (``0``
        or ``"all"``: every one) after the newest ``offset``. A list of ``ImportRecord``; its
        ``total`` is how many the ledger holds and its ``note`` says which part this is
        ("the newest 100 of 137 imports") when it is not all of it."""
        return _tables.import_history(store=self.store, limit=limit, offset=offset)

    def readiness(self) -> Readiness:
        """Per capability (customer types, CLV, intent, basket rules, surveys, personas …)
        whether this shop's data is enough: ``ready``, ``limited`` or ``missing``, the figure
        behind it and the command to run next. ``status("clv")`` reads one."""
        from shopperlens.service.readiness import readiness

        return readiness(store=self.store, settings=self.settings)

    def sql(self, query: str, params: Any = None) -> pd.DataFrame:
        """Run SQL against the store and return a pandas DataFrame (the columns selected)."""
        return self.store.df(query, params)

    # -- demo ------------------------------------------------------------------------------
    def demo(
        self,
        out_dir: str | Path = "report",
        *,
        seed: int = 7,
        n_customers: int = 1500,
        progress: Any = None,
    ) -> DemoResult:
        """Build the Summitside demo shop into this (empty) store, run every analysis and
        write the report to ``out_dir``; returns a ``DemoResult`` (steps and their outcome)."""
        from shopperlens.service import demo as _demo

        return _demo.run_demo(
            store=self.store,
            out_dir=out_dir,
            seed=seed,
            n_customers=n_customers,
            progress=progress,
            settings=self.settings,
        )

    # -- report ----------------------------------------------------------------------------
    def report(
        self,
        out_dir: str | Path = "report",
        *,
        title: str = "shopperlens report",
        progress: Any = None,
    ) -> ReportResult:
        """Write the report site for this shop's data into ``out_dir`` (HTML + JSON per page,
        with this shop's settings); returns a ``ReportResult`` (index path, pages)."""
        from shopperlens.service import report as _report

        return _report.write(
            store=self.store,
            out_dir=out_dir,
            settings=self.settings,
            title=title,
            progress=progress,
        )

    # -- imports ---------------------------------------------------------------------------
    def import_files(
        self,
        kind: str,
        *paths: str | Path,
        fmt: str = "auto",
        mapping: Any = None,
        on_error: str = "abort",
        progress: Any = None,
        update: bool = False,
        decimal_comma: bool = False,
        allow_empty: bool = False,
        dates: str = "year-first",
        currency: str | None = None,
        negative_lines: str = "reject",
    ) -> _imports.ImportResult:
        """Import files of one kind in one transaction (see ``service.imports.import_files``).

        ``fmt``: auto, generic, shopify, ga4 or uci; ``mapping``: ``{their: canonical}`` or a
        YAML/JSON file; ``on_error``: ``"abort"`` (nothing written) or ``"skip"``;
        ``update`` (customers, products): a later export changes the stored rows it gives
        other content, instead of those rows being rejects; ``decimal_comma``: the files
        write numbers the European way (``1.234,50`` is 1234.5); ``allow_empty``: a file with
        a header and no rows (a day without orders), or with no content at all, imports
        nothing and is no error; ``dates``: ``"day-first"`` (``01-12-10 8:26`` is 1 December
        2010) or ``"month-first"`` (``12/06/2010`` is 6 December); ``currency`` (orders): the
        code of the orders whose lines name no currency (``"GBP"``); ``negative_lines``
        (orders): ``"reject"`` (default) or ``"returns"``: a line with a negative quantity is
        stored as a return in the same transaction (the result's ``returns`` counts them).
        """
        return _imports.import_files(
            store=self.store,
            kind=kind,
            paths=_file_paths(paths),
            fmt=fmt,
            mapping=mapping,
            on_error=on_error,  # type: ignore[arg-type]
            progress=progress,
            update=update,
            decimal_comma=decimal_comma,
            allow_empty=allow_empty,
            dates=dates,
            currency=currency,
            negative_lines=negative_lines,
        )

    def import_orders(self, *paths: str | Path, **options: Any) -> _imports.ImportResult:
        """Orders, one row per line item: generic files or a Shopify orders export."""
        return self._import_kind("orders", paths, options)

    def import_customers(self, *paths: str | Path, **options: Any) -> _imports.ImportResult:
        """Customers (generic format)."""
        return self._import_kind("customers", paths, options)

    def import_events(self, *paths: str | Path, **options: Any) -> _imports.ImportResult:
        """Web events: generic files or GA4 BigQuery export rows; sessions are derived."""
        return self._import_kind("events", paths, options)

    def import_sessions(self, *paths: str | Path, **options: Any) -> _imports.ImportResult:
        """Session aggregates: generic files or the UCI Online Shoppers file."""
        return self._import_kind("sessions", paths, options)

    def import_tickets(self, *paths: str | Path, **options: Any) -> _imports.ImportResult:
        """Support tickets (generic format)."""
        return self._import_kind("tickets", paths, options)

    def import_returns(self, *paths: str | Path, **options: Any) -> _imports.ImportResult:
        """Returns (generic format)."""
        return self._import_kind("returns", paths, options)

    def import_products(self, *paths: str | Path, **options: Any) -> _imports.ImportResult:
        """Products (generic format)."""
        return self._import_kind("products", paths, options)

    def _import_kind(
        self, kind: str, paths: tuple[Any, ...], options: dict[str, Any]
    ) -> _imports.ImportResult:
        """``import_<kind>``: its options checked by name first (``on_errors="skip"`` was
        Python's bare "unexpected keyword argument" from inside :meth:`import_files`)."""
        _options(self.import_files, options, f"import_{kind}")
        return self.import_files(kind, *paths, **options)

    # -- types -----------------------------------------------------------------------------
    def types(self, as_of: Any = None, *, save: bool = True, progress: Any = None) -> pd.DataFrame:
        """Every customer and visitor typed as of ``as_of`` (default: after the last data).

        A DataFrame ``customer_id, visitor_id, type, score_<type>…, evidence, clv, p_alive,
        at_risk, loyal_at_risk, intent`` on every shop (the value columns missing where no
        CLV or intent run is joined: README, "Customer types"); the run is stored unless
        ``save=False``. ``progress(n=1, total=None, description=None)`` hears
        each step (visits and features part by part, types, storing).
        """
        from shopperlens.service import types as _types

        return _types.customer_types(
            store=self.store,
            as_of=_run_date(as_of),
            save=save,
            config=self.settings.types_config,
            engine=self.settings.engine,
            progress=progress,
        )

    def latest_types(self) -> pd.DataFrame:
        """The last stored types run (computed when there is none): the columns of
        :meth:`types` (``customer_id, visitor_id, type, score_<type>…, evidence, clv`` …)."""
        from shopperlens.service import types as _types

        return _types.latest_types(
            store=self.store, config=self.settings.types_config, engine=self.settings.engine
        )

    def explain_type(self, id: str, as_of: Any = None) -> TypeExplanation:  # noqa: A002
        """Why a customer or visitor has its type: scores, signals, evidence, history
        (a ``TypeExplanation``)."""
        from shopperlens.service import types as _types

        return _types.explain(
            store=self.store,
            id=_text_id(id, "id"),
            as_of=_run_date(as_of),
            config=self.settings.types_config,
        )

    def type_moves(self, date_from: Any, date_to: Any) -> Movements:
        """Transition matrix between the types as of two dates (looker → new → loyal …), a
        ``Movements``."""
        from shopperlens.service import types as _types

        return _types.moves(
            store=self.store,
            date_from=_run_date(date_from, "date_from"),
            date_to=_run_date(date_to, "date_to"),
            config=self.settings.types_config,
            engine=self.settings.engine,
        )

    def type_history(self, id: str) -> pd.DataFrame:  # noqa: A002
        """One customer's or visitor's type per stored date, oldest first (the shop's
        thresholds; the newest run of each date): columns ``as_of, run_id, type,
        score_<type>…, evidence``."""
        from shopperlens.service import types as _types

        return _types.history(
            store=self.store, id=_text_id(id, "id"), config=self.settings.types_config
        )

    def session_types(self) -> pd.DataFrame:
        """Each imported session aggregate (UCI format) typed need-based, looker or impulse:
        columns ``session_id, type, score_need_based, score_looker, score_impulse, evidence``."""
        from shopperlens.service import types as _types

        return _types.session_types(store=self.store, config=self.settings.types_config)

    # -- privacy ---------------------------------------------------------------------------
    def erase_customer(
        self, customer_id: str | None = None, *, email: str | None = None
    ) -> _privacy.ErasureReport:
        """Delete every row about one person from every table: by e-mail every customer id
        of that address, by id that id (and its e-mail's derived id when no other customer has
        the address); the report counts the rows per table and per id. The rejected rows
        naming them go from the rejects file beside the store, and the store's file is
        rewritten so the deleted rows' bytes are gone from it."""
        return _privacy.erase_customer(
            store=self.store,
            customer_id=_optional_text(customer_id, "customer_id"),
            email=_optional_text(email, "email", "'ann@example.com'"),
        )

    def export_person(
        self,
        customer_id: str | None = None,
        *,
        email: str | None = None,
        out: str | Path | None = None,
    ) -> _privacy.PersonExport:
        """Every row the store holds about one person, table by table (their right of access
        and to data portability): exactly the rows ``erase_customer`` would delete for the same
        id or e-mail, with what each table is (``about``). Never writes to the store; given
        ``out`` (a ``.json`` file), writes the export there too, atomically."""
        path = None if out is None else _privacy.export_path(out)  # (checked before reading)
        export = _privacy.export_person(
            store=self.store,
            customer_id=_optional_text(customer_id, "customer_id"),
            email=_optional_text(email, "email", "'ann@example.com'"),
        )
        if path is not None:
            _privacy.write_export(export, path)
        return export

    def compact(self) -> _privacy.CompactReport:
        """Rewrite the store's file with the live rows only: finishes an erasure whose
        rewrite failed (its error says so), so the deleted rows' bytes leave the file."""
        return _privacy.compact(store=self.store)

    def consent_set(
        self,
        customer_id: str,
        *,
        purpose: str,
        granted: bool,
        source: str | None = "python",
        recorded_at: Any = None,
    ) -> ConsentRecord:
        """Record a customer's consent or refusal for ``purpose`` (``case_study``,
        ``testimonial``, ``marketing``, ``survey``, ``referral``): their latest word counts."""
        from shopperlens.service import consent as _consent

        return _consent.record_consent(
            store=self.store,
            customer_id=_text_id(customer_id, "customer_id"),
            purpose=purpose,
            granted=granted,
            source=source,
            recorded_at=recorded_at,
        )

    def consents(
        self, customer_id: str | None = None, *, purpose: str | None = None
    ) -> builtins.list[ConsentRecord]:
        """Consent records (one customer's, or everyone's), newest first per customer."""
        from shopperlens.service import consent as _consent

        return _consent.list_consents(
            store=self.store,
            customer_id=_optional_text(customer_id, "customer_id"),
            purpose=purpose,
        )

    def consent_import(self, path: str | Path) -> ConsentImportResult:
        """Import consent records from a CSV (``customer_id, purpose, granted`` …)."""
        from shopperlens.service import consent as _consent

        return _consent.import_consents(store=self.store, path=_file_path(path))

    # -- playbooks -------------------------------------------------------------------------
    def playbook(
        self,
        type: str | None = None,  # noqa: A002
        *,
        types: Any = None,
        brand_words: tuple[str, ...] | None = None,
    ) -> Playbook:
        """Each type's actions with this shop's evidence, revenue at stake and audience."""
        from shopperlens.service import playbooks as _pb

        return _pb.playbook(
            store=self.store,
            type=type,
            types=types,
            brand_words=brand_words,
            config=self.settings.types_config,
        )

    def rules(
        self, *, min_support: float | None = None, min_confidence: float = 0.1, max_len: int = 3
    ) -> pd.DataFrame:
        """Association rules over the orders, highest lift first: mlxtend's columns
        ``antecedents, consequents`` (frozensets of product ids) and ``support, confidence,
        lift`` … (``shopperlens.models.basket.RULE_METRICS``)."""
        from shopperlens.service import playbooks as _pb

        return _pb.basket_rules(
            store=self.store,
            min_support=min_support,
            min_confidence=min_confidence,
            max_len=max_len,
        )

    def frequently_bought_together(
        self, *, product_id: str | None = None, top: int = 4
    ) -> pd.DataFrame:
        """Per product, the products most often in the same order (pairs counted in SQL):
        ``product_id, rank, recommended_id, orders_together, support, confidence, lift``."""
        from shopperlens.service import playbooks as _pb

        return _pb.frequently_bought_together(
            store=self.store, product_id=_optional_text(product_id, "product_id"), top=top
        )

    def related_products(self, *, top: int = 4) -> pd.DataFrame:
        """Per product, the products viewed in the same sessions:
        ``product_id, rank, related_id, sessions, score``."""
        from shopperlens.service import playbooks as _pb

        return _pb.related_products(store=self.store, top=top)

    def upsell_picks(self, *, customer_id: str | None = None, top: int = 3) -> pd.DataFrame:
        """Per customer, products to propose next (never one already bought):
        ``customer_id, rank, product_id, score, because``."""
        from shopperlens.service import playbooks as _pb

        return _pb.upsell_picks(
            store=self.store, customer_id=_optional_text(customer_id, "customer_id"), top=top
        )

    def shipping_threshold(
        self, *, band: float = 0.25, topup_rate: float = 0.3
    ) -> ShippingThreshold | None:
        """The free-shipping threshold that most raises expected order value (None: no
        orders)."""
        from shopperlens.service import playbooks as _pb

        return _pb.shipping_threshold(store=self.store, band=band, topup_rate=topup_rate)

    def funnels(self, *, by: str | None = "type", types: Any = None) -> pd.DataFrame:
        """view → cart → checkout → purchase per type, per source or overall: ``<by>, step,
        sessions, rate_from_prev, drop_off, rate_from_start`` (no ``<by>`` with ``by=None``)."""
        from shopperlens.service import playbooks as _pb

        return _pb.funnels(store=self.store, by=by, types=types)

    def audience(
        self,
        *,
        type: str | None = None,  # noqa: A002
        segment: str | None = None,
        to: str = "csv",
        out: str | Path | None = None,
        types: Any = None,
        purpose: str = "marketing",
    ) -> AudienceExport | pd.DataFrame:
        """Export the customers of a type or segment for ``to`` (csv, meta, google, …).

        With ``out`` (a ``.csv`` file) the file is written and a summary (``AudienceExport``)
        returned; without it, the rows: the columns of ``to``'s file
        (``playbooks.audience.audience``).
        ``purpose`` (marketing, case_study, referral) is the consent the csv's e-mails follow;
        the other destinations take marketing only and refuse the rest.
        """
        from shopperlens.service import playbooks as _pb

        summary, rows = _pb.export_audience(
            store=self.store,
            destination=to,
            type=type,
            segment=segment,
            out=out,
            types=types,
            purpose=purpose,
            bom=self.settings.csv_bom,
        )
        return summary if out is not None else rows

    # -- surveys ---------------------------------------------------------------------------
    def survey_create(
        self,
        survey: Any = None,
        *,
        path: str | Path | None = None,
        from_bank: Any = None,
        name: str | None = None,
        title: str | None = None,
    ) -> SurveyInfo:
        """Save a survey as a new version: a ``Survey``, a dict as its YAML/JSON file holds it
        (the HTTP body's ``definition``), a built-in survey's name, a file, or bank ids.

        ``name`` and ``title``, when given, name and title the survey saved, whatever the file
        or built-in says: ``survey create boots --from boots.yaml`` saved the file's own
        ``name`` (another survey than the one asked for) and dropped ``--title`` unsaid."""
        from shopperlens.service import surveys as _sv
        from shopperlens.surveys import definition as _def

        if survey is None and path is None and from_bank is None:
            raise ShopperlensError(NO_SURVEY)
        if path is not None:
            survey = _def.load_definition(path)
        elif from_bank is not None:
            survey = _def.survey_from_dict(
                {"name": name, "title": title or name, "from_bank": from_bank}
            )
        elif isinstance(survey, str):
            survey = _def.builtin(survey)
        elif isinstance(survey, Mapping):
            survey = _def.survey_from_dict(dict(survey))
        elif not isinstance(survey, _def.Survey):
            raise ShopperlensError(f"{NO_SURVEY}; not {survey!r}")
        given = {k: v for k, v in (("name", name), ("title", title)) if v is not None}
        if any(getattr(survey, k) != v for k, v in given.items()):
            survey = _def.survey_from_dict(survey.model_dump(exclude_defaults=True) | given)
        return _sv.save_survey(store=self.store, survey=survey)

    def survey_list(self) -> builtins.list[SurveyInfo]:
        """Every stored survey with its version, size, responses and warnings."""
        from shopperlens.service import surveys as _sv

        return _sv.list_surveys(store=self.store)

    def survey_responses(self, name: str) -> pd.DataFrame:
        """One row per respondent: ``respondent, customer_id, submitted_at``, then one column
        per question (see ``service.surveys.responses_frame``)."""
        from shopperlens.service import surveys as _sv

        return _sv.responses_frame(store=self.store, survey=name)

    def survey_submit(self, name: str, answers: dict[str, Any], *, token: str | None = None) -> str:
        """Store one answer set (validated like the public endpoint does)."""
        from shopperlens.service import surveys as _sv

        return _sv.submit_response(
            store=self.store,
            survey=name,
            answers=answers,
            token=token,
            secret_key=self.settings.secret_key,
        )

    def survey_import(
        self,
        path: str | Path,
        *,
        survey: str,
        on_error: str = "abort",
        decimal_comma: bool = False,
    ) -> SurveyImportResult:
        """Import a survey tool's CSV export (one row per respondent, ``;`` multi-selects);
        ``decimal_comma``: its number answers are written as ``1.234,50``."""
        from shopperlens.service import surveys as _sv

        return _sv.import_survey_csv(
            store=self.store,
            survey=survey,
            path=_file_path(path),
            on_error=on_error,
            decimal_comma=decimal_comma,
        )

    def survey_send(self, name: str, *, audience: Any = None, **options: Any) -> SendReport:
        """E-mail invitations (consent, fatigue, quotas respected) over SMTP."""
        from shopperlens.service import survey_delivery as _dl

        _options(_dl.send_invitations, options, "survey_send")
        return _dl.send_invitations(
            store=self.store, settings=self.settings, survey=name, audience=audience, **options
        )

    def survey_remind(self, name: str, **options: Any) -> SendReport:
        """Reminders to invitees who have not answered (``max_reminders``, and the minimum
        gap in days as ``min_gap_days`` or, as over HTTP and in the CLI, ``gap_days``)."""
        from shopperlens.service import survey_delivery as _dl

        if "gap_days" in options:
            if "min_gap_days" in options:
                raise ShopperlensError("give the gap as gap_days or as min_gap_days, not both")
            options["min_gap_days"] = options.pop("gap_days")
        _options(_dl.send_reminders, options, "survey_remind")
        return _dl.send_reminders(store=self.store, settings=self.settings, survey=name, **options)

    def survey_results(self, name: str, **options: Any) -> SurveyResults:
        """Distributions, cross-tabs by type, themes, stated vs adjusted income."""
        from shopperlens.service import survey_results as _sr

        _options(_sr.survey_results, options, "survey_results")
        options.setdefault("income_adjustment", self.settings.income_adjustment)
        return _sr.survey_results(store=self.store, survey=name, **options)

    def survey_popup_snippet(self, name: str, **options: Any) -> str:
        """The ``<script>`` tag that shows the survey as a pop-up or welcome bar."""
        from shopperlens.service import surveys as _sv

        options.setdefault("secret_key", self.settings.secret_key)  # signs --type targeting
        return _sv.popup_snippet(
            store=self.store, public_url=self.settings.public_url, survey=name, **options
        )

    def survey_link(self, name: str) -> str:
        """The survey's public page address (for prospects and lookalike-audience ads)."""
        from shopperlens.service import surveys as _sv

        return _sv.public_link(store=self.store, public_url=self.settings.public_url, survey=name)

    def interviews_recruit(self, n: int = 10, *, prospects: int = 10) -> pd.DataFrame:
        """The n best and n worst customers and the best prospects to interview, with reasons:
        ``customer_id, segment, score, reason``."""
        from shopperlens.service import interviews as _iv

        return _iv.recruit(store=self.store, n=n, prospects=prospects, settings=self.settings)

    def interviews_recruit_list(
        self, n: int = 10, *, prospects: int = 10, out: str | Path | None = None
    ) -> pd.DataFrame:
        """The recruits an interview invitation may reach, for a booking or mail tool:
        ``customer_id, first_name, email, segment, reason, consent, already_invited``; with
        ``out`` (a ``.csv`` file) also written there, readable by its owner only."""
        return self.interviews_recruits_and_list(n, prospects=prospects, out=out)[1]

    def interviews_recruits_and_list(
        self, n: int = 10, *, prospects: int = 10, out: str | Path | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:meth:`interviews_recruit` and :meth:`interviews_recruit_list` (written to ``out``
        alike) from one choice of recruits: the list is always drawn from the recruits
        returned beside it."""
        from shopperlens.service import interviews as _iv

        picked, reachable = _iv.recruits_and_list(
            store=self.store,
            n=n,
            prospects=prospects,
            out=out,
            bom=self.settings.csv_bom,
            settings=self.settings,
        )
        return picked, reachable

    def interviews_invite(self, customer_ids: Any, **options: Any) -> SendReport:
        """E-mail interview invitations (once per person, only with consent)."""
        from shopperlens.service import interviews as _iv

        _options(_iv.invite_interviewees, options, "interviews_invite")
        return _iv.invite_interviewees(
            store=self.store,
            settings=self.settings,
            customer_ids=_text_ids(customer_ids, "customer_ids"),
            **options,
        )

    def interviews_import(self, *paths: str | Path) -> NotesImport:
        """Import Markdown/text interview notes and tag themes and quotes."""
        from shopperlens.service import interviews as _iv

        return _iv.import_notes(store=self.store, paths=_file_paths(paths))

    def interview_themes(self) -> pd.DataFrame:
        """Themes across interviews with a quote each: ``theme, notes, best, worst, prospects,
        referrals, quote``."""
        from shopperlens.service import interviews as _iv

        return _iv.interview_themes(store=self.store)

    def analytics_import(
        self, path: str | Path, *, source: str = "ga4", name: str | None = None
    ) -> AudienceImport:
        """Import a GA4 audience export or a competitor audience CSV."""
        from shopperlens.service import audience as _au

        return _au.import_analytics(
            store=self.store, path=_file_path(path), source=source, name=name
        )

    def analytics_check(self, survey: str | None = None) -> builtins.list[CheckFinding]:
        """Where analytics confirm or contradict the survey, in plain words."""
        from shopperlens.service import audience as _au

        return _au.analytics_check(store=self.store, survey=survey)

    # -- personas --------------------------------------------------------------------------
    def personas_build(
        self,
        survey: str | None = None,
        *,
        frame: Any = None,
        k: int | str = "auto",
        seed: int = 0,
        max_personas: int = 6,
        save: bool = True,
    ) -> PersonaRun:
        """Cluster survey respondents into 3–4 named personas, describe and store them.

        ``survey`` names the survey whose answers are used (the only one, or ``demo-profile``,
        by default); ``frame`` is a respondents DataFrame instead. Returns a ``PersonaRun``.
        """
        from shopperlens.service import personas as _personas

        return _personas.build(
            store=self.store,
            survey=survey,
            frame=frame,
            k=k,  # type: ignore[arg-type]
            seed=seed,
            min_group_size=self.settings.min_group_size,
            income_adjustment=self.settings.income_adjustment,
            max_personas=max_personas,
            save=save,
        )

    def personas(self, run_id: int | None = None) -> PersonaRun:
        """A stored persona run (the latest by default)."""
        from shopperlens.service import personas as _personas

        return _personas.show(store=self.store, run_id=run_id)

    def personas_runs(self) -> builtins.list[RunInfo]:
        """Every stored persona run, newest first, each marked ``provisional`` or not."""
        from shopperlens.service import personas as _personas

        return _personas.runs(store=self.store)

    def personas_diff(self, run_id: int | None = None, against: int | None = None) -> Evolution:
        """What grew, shrank, vanished or appeared since the previous run."""
        from shopperlens.service import personas as _personas

        return _personas.diff(store=self.store, run_id=run_id, against=against)

    def personas_members(self, run_id: int | None = None) -> pd.DataFrame:
        """DataFrame ``respondent, persona, persona_id, customer_id, distance``."""
        from shopperlens.service import personas as _personas

        return _personas.members(store=self.store, run_id=run_id)

    def personas_cards(self, out_dir: str | Path, run_id: int | None = None) -> builtins.list[Path]:
        """Write the printable HTML card per persona, Markdown and JSON; returns the paths."""
        from shopperlens.reports.persona_cards import write_cards
        from shopperlens.service import personas as _personas
        from shopperlens.service.overview import shop_currency

        run = _personas.show(store=self.store, run_id=run_id)
        return write_cards(run, out_dir, shop_currency(store=self.store))

    # -- models (clv, intent) ---------------------------------------------------------------
    def clv(
        self, horizon_days: int = 365, *, as_of: Any = None, save: bool = False
    ) -> pd.DataFrame:
        """Per-customer P(alive), expected purchases and CLV over ``horizon_days`` (DataFrame).

        Columns ``customer_id, frequency, recency, T, monetary_value, p_alive,
        expected_purchases, clv, at_risk, next_order_days, expected_spend``.
        """
        from shopperlens.service import clv as _clv

        return _clv.customer_value(
            store=self.store, horizon_days=horizon_days, as_of=as_of, save=save
        )

    def clv_summary(self, horizon_days: int = 365) -> ValueSummary:
        """Fitted BG/NBD and Gamma-Gamma parameters with 95 % intervals, and the base's totals."""
        from shopperlens.service import clv as _clv

        return _clv.value_summary(store=self.store, horizon_days=horizon_days)

    def clv_forecast_check(self) -> dict[str, Any]:
        """Calibration/holdout check: forecast vs actual repeat purchases, a dict with the frames
        ``by_frequency`` and ``cumulative``, the split dates and the holdout totals (see
        ``service.clv.forecast_check``)."""
        from shopperlens.service import clv as _clv

        return _clv.forecast_check(store=self.store)

    def clv_effects(self, by: str = "source") -> pd.DataFrame:
        """Which acquisition sources (``by="category"``, ``"device"``) bring customers who buy
        more often and stay: BG/NBD with time-invariant covariates, one row per level with
        ``<by>, customers, purchase_rate, dropout, rate_ratio, rate_ratio_lower,
        rate_ratio_upper, p_alive, clv``."""
        from shopperlens.service import clv as _clv

        return _clv.channel_effects(store=self.store, by=by)

    def intent(self, *, save: bool = False) -> pd.DataFrame:
        """Calibrated purchase intent of every looker with its top drivers, highest first:
        ``visitor_id, customer_id, session_id, intent, top_drivers``."""
        from shopperlens.service import intent as _intent

        return _intent.visitor_intent(store=self.store, save=save)


def open(  # noqa: A001
    path: str | Path = ":memory:", *, settings: Settings | None = None, read_only: bool = False
) -> Shop:
    """Open the shop stored at ``path`` (created when missing; ``":memory:"`` for a scratch one).

    Only a path is taken: ``open(5)`` made a store file named ``5`` in the working folder.
    ``read_only``: read a store without writing to it (a copy on a read-only disk, several
    readers at once); calls that would store something say so."""
    if not isinstance(path, str | os.PathLike):
        raise ShopperlensError(
            f"the store is a file path such as 'shop.duckdb' (text or a pathlib.Path), not {path!r}"
        )
    return Shop(connect(path, read_only=read_only), settings)


#: why ``survey_create()`` without a survey is refused
NO_SURVEY = (
    "survey_create needs a survey: a Survey, a dict as a survey file holds it, a built-in "
    "survey's name ('demo-profile'), path=FILE (YAML/JSON) or from_bank=[question ids] with "
    "name=…"
)


def _text_id(value: object, name: str, example: str = "'00001'") -> str:
    """``value`` as an id, which the store holds as text: a number is refused rather than
    guessed (DuckDB cast ``1`` to match ``'00001'`` in one query and nothing in the next, and
    failed on ids that are no numbers, quoting other people's ids)."""
    if isinstance(value, str):
        return value
    raise ShopperlensError(f"{name} must be text, as stored: {example}, not {value!r}")


def _optional_text(value: object, name: str, example: str = "'00001'") -> str | None:
    """An optional id (or e-mail): None stays None, anything else as :func:`_text_id`."""
    return None if value is None else _text_id(value, name, example)


def _text_ids(values: object, name: str) -> builtins.list[str]:
    """A list of ids; a single string is one id (a loop over it took each character for an
    id and refused customers ``'0'``, ``'1'``, ``'C'``)."""
    if isinstance(values, str):
        return [values]
    if not isinstance(values, Iterable):
        raise ShopperlensError(f"{name} must be a list of ids (text), not {values!r}")
    return [_text_id(v, f"each of {name}") for v in values]


#: what the shop passes to the service itself, never an option of the call
_SUPPLIED = frozenset({"store", "settings", "survey", "customer_ids"})


def _options(fn: Any, options: dict[str, Any], call: str) -> None:
    """Refuse an option ``fn`` does not take, naming those it does: Python's ``TypeError``
    ("unexpected keyword argument") said neither what the call takes nor that it is the
    caller's to fix."""
    import inspect

    params = inspect.signature(fn).parameters.values()
    takes = [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name not in _SUPPLIED]
    unknown = [key for key in options if key not in takes]
    if unknown:
        raise ShopperlensError(
            f"{call}() has no option {unknown[0]!r}; it takes: {', '.join(takes)}"
        )


def _file_paths(paths: tuple[Any, ...]) -> builtins.list[str | Path]:
    """The files of one import call: given one by one, or as a list or tuple of them (what
    ``glob.glob`` returns); each checked by :func:`_file_path`."""
    found: builtins.list[str | Path] = []
    for p in paths:
        found.extend(_file_path(q) for q in (p if isinstance(p, builtins.list | tuple) else [p]))
    return found


def _file_path(value: object) -> str | Path:
    """A file to read: text or a path-like; a DataFrame or anything else is refused with what
    to do (pathlib's TypeError named neither)."""
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return Path(os.fspath(value))
    if hasattr(value, "to_csv"):  # a pandas DataFrame or Series
        raise ShopperlensError(
            "imports read files, not a DataFrame: write it to a file first "
            "(df.to_csv('orders.csv', index=False)) and import that file"
        )
    raise ShopperlensError(f"not a file path: {value!r} (give a path such as 'orders.csv')")


def _run_date(value: Any, name: str = "as_of") -> datetime | None:
    """A types run's date (see :func:`shopperlens.service.types.run_date`)."""
    from shopperlens.service import types as _types

    return _types.run_date(value, name)
