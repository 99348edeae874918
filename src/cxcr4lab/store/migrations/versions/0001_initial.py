"""Initial schema: input_files, analyses, analysis_inputs.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "input_files",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_input_files"),
    )
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("software_version", sa.String(64), nullable=False),
        sa.Column("parameters_json", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_analyses"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_analyses_kind", "analyses", ["kind"])
    op.create_index("ix_analyses_created_at", "analyses", ["created_at"])
    op.create_table(
        "analysis_inputs",
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name="fk_analysis_inputs_analysis_id_analyses",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["input_files.sha256"], name="fk_analysis_inputs_sha256_input_files"
        ),
        sa.PrimaryKeyConstraint("analysis_id", "role", "name", name="pk_analysis_inputs"),
    )
    op.create_index("ix_analysis_inputs_sha256", "analysis_inputs", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_analysis_inputs_sha256", table_name="analysis_inputs")
    op.drop_table("analysis_inputs")
    op.drop_index("ix_analyses_created_at", table_name="analyses")
    op.drop_index("ix_analyses_kind", table_name="analyses")
    op.drop_table("analyses")
    op.drop_table("input_files")
