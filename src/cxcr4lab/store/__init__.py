"""The results store: saved analyses, their parameters, results and input files.

Generic on purpose: results arrive as JSON-able dicts tagged with a ``kind``, and the app layer
maps kinds to result classes. SQLite by default (:func:`default_url`), PostgreSQL by URL; the
schema is managed by the Alembic migrations shipped in ``migrations/``.
"""

from cxcr4lab.store._accounts import Accounts, ProjectInfo, UserInfo
from cxcr4lab.store._inventory import AliquotRecord, AliquotSpec, Inventory, StockRecord
from cxcr4lab.store._records import (
    AnalysisRecord,
    AnalysisSummary,
    InputBlob,
    InputRef,
    JsonText,
)
from cxcr4lab.store._store import Store, encode_json
from cxcr4lab.store._url import default_url

__all__ = [
    "Accounts",
    "AliquotRecord",
    "AliquotSpec",
    "AnalysisRecord",
    "AnalysisSummary",
    "InputBlob",
    "InputRef",
    "Inventory",
    "JsonText",
    "ProjectInfo",
    "StockRecord",
    "Store",
    "UserInfo",
    "default_url",
    "encode_json",
]
