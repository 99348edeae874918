"""FastAPI JSON API and server-rendered pages (app layer).

:func:`create_app` builds the app from :class:`Settings`; ``cxcr4lab serve`` runs it with uvicorn.
"""

from cxcr4lab.web.app import create_app
from cxcr4lab.web.settings import DEFAULT_MAX_UPLOAD_BYTES, Settings

__all__ = ["DEFAULT_MAX_UPLOAD_BYTES", "Settings", "create_app"]
