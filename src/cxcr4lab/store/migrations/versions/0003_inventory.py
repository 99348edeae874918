"""Compound inventory: stocks (lots as powder or solution) and their labelled aliquots.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("compound", sa.String(255), nullable=False),
        sa.Column("lot", sa.String(64), nullable=False),
        sa.Column("form", sa.String(32), nullable=False),
        sa.Column("solvent", sa.String(64), nullable=True),
        sa.Column("concentration_value", sa.Double(), nullable=True),
        sa.Column("concentration_unit", sa.String(32), nullable=True),
        sa.Column("peptide_content", sa.Double(), nullable=True),
        sa.Column("salt_form", sa.String(64), nullable=True),
        sa.Column("prepared_on", sa.Date(), nullable=False),
        sa.Column("storage_temperature_c", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_stocks_created_by_users", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_stocks_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stocks"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_stocks_compound", "stocks", ["compound"])
    op.create_index("ix_stocks_created_by", "stocks", ["created_by"])
    op.create_index("ix_stocks_project_id", "stocks", ["project_id"])
    op.create_table(
        "aliquots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("volume_l", sa.Double(), nullable=False),
        sa.Column("prepared_on", sa.Date(), nullable=False),
        sa.Column("storage_temperature_c", sa.Double(), nullable=False),
        sa.Column("freeze_thaw_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stock_id"], ["stocks.id"], name="fk_aliquots_stock_id_stocks", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name="fk_aliquots_created_by_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_aliquots"),
        sa.UniqueConstraint("label", name="uq_aliquots_label"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_aliquots_stock_id", "aliquots", ["stock_id"])
    op.create_index("ix_aliquots_created_by", "aliquots", ["created_by"])


def downgrade() -> None:
    op.drop_index("ix_aliquots_created_by", table_name="aliquots")
    op.drop_index("ix_aliquots_stock_id", table_name="aliquots")
    op.drop_table("aliquots")
    op.drop_index("ix_stocks_project_id", table_name="stocks")
    op.drop_index("ix_stocks_created_by", table_name="stocks")
    op.drop_index("ix_stocks_compound", table_name="stocks")
    op.drop_table("stocks")
