"""Reports: Jinja2 templates and charts over service results (HTML, Markdown, JSON, PDF)."""

from shopperlens.reports.site import Page, register, write_report

__all__ = ["Page", "register", "write_report"]
