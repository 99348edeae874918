"""Reports (app layer): matplotlib figures and self-contained HTML."""

from cxcr4lab.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
