"""reviewer accounts in the database, and recorded "these are different people" decisions

Revision ID: 0004_reviewer_accounts
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_reviewer_accounts"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviewer_accounts",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_index("ix_reviewer_accounts_token_hash", "reviewer_accounts", ["token_hash"])
    op.create_table(
        "people_distinct",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_a", sa.String(length=64), nullable=False),
        sa.Column("person_b", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_a", "person_b", name="uq_people_distinct"),
    )


def downgrade() -> None:
    op.drop_table("people_distinct")
    op.drop_index("ix_reviewer_accounts_token_hash", table_name="reviewer_accounts")
    op.drop_table("reviewer_accounts")
