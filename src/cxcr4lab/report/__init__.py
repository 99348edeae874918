"""Reports (app layer): matplotlib figures and self-contained HTML."""

from cxcr4lab.report.html import potency_text, render_report, write_report

__all__ = ["potency_text", "render_report", "write_report"]
