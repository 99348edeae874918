"""The interactive figures of each analysis kind: ``plots/<kind>.py`` defines
``figures(result) -> dict[str, dict]`` (figure name -> plotly figure dict), named by the kind's
``plots`` field and looked up by :func:`cxcr4lab.web.figures.figures_for`.

Each draws from the stored result alone, plain JSON data in milliseconds; the shared pieces
(colours, axes, bands, the concentration-response figure, the plate heatmap) are in
:mod:`cxcr4lab.web.figures`. The names are the page's element ids (``plot-<name>``) and, through
:func:`cxcr4lab.web.figures.heading`, its headings; the page keeps their order.
"""
