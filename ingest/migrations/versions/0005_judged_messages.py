"""judged_messages: each stored message's verdict (fix, pull-ins) under one version of the rules

Revision ID: 0005_judged_messages
Revises: 0004_reviewer_accounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_judged_messages"
down_revision = "0004_reviewer_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "judged_messages",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.String(length=16), nullable=False),
        sa.Column("positive", sa.Boolean(), nullable=False),
        sa.Column("fix", sa.Boolean(), nullable=False),
        sa.Column("pulled", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("activity_id"),
    )
    op.create_index("ix_judged_messages_positive", "judged_messages", ["positive"])


def downgrade() -> None:
    op.drop_index("ix_judged_messages_positive", table_name="judged_messages")
    op.drop_table("judged_messages")
