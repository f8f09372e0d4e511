"""scans: one snapshot per scheduled scan (who ran it, the map it saw, what was new)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ran_by", sa.String(length=200), nullable=True),
        sa.Column("ran_by_person", sa.String(length=64), nullable=True),
        sa.Column("paths", sa.JSON(), nullable=True),
        sa.Column("ingest", sa.JSON(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=True),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("drafts", sa.JSON(), nullable=True),
        sa.Column("report_json", sa.String(length=1000), nullable=True),
        sa.Column("report_md", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_scan_snapshots_status_id", "scan_snapshots", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_scan_snapshots_status_id", table_name="scan_snapshots")
    op.drop_table("scan_snapshots")
