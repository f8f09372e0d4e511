"""activities: the incident index holds the action, person and time, and only activities on an incident

The rescue rules and the escalation graph group activities per incident and person (first assignment,
latest act, first page); with these columns in the index those scans read the index alone instead of one
table row per activity. Activities on no incident (every commit, most deploys and chat) were in the old
index without serving any query; leaving them out keeps the cost of storing an activity where it was.

Revision ID: 0006_covering_activity_indexes
Revises: 0005_judged_messages
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_covering_activity_indexes"
down_revision = "0005_judged_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_activity_incident", table_name="activities")
    op.create_index(
        "ix_activity_incident_action",
        "activities",
        ["incident", "action", "person_id", "ts"],
        unique=False,
        sqlite_where=sa.text("incident IS NOT NULL"),
        postgresql_where=sa.text("incident IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_activity_incident_action", table_name="activities")
    op.create_index("ix_activity_incident", "activities", ["incident"], unique=False)
