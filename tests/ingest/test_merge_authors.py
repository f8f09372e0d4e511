"""A merge rewrites the authors of documents the merged person wrote, and only theirs."""

from __future__ import annotations

from sqlalchemy import select

from ingest.db import Person, RecordRow
from ingest.identity import merge_people


def test_merge_rewrites_authors_of_their_documents_only(ws) -> None:
    with ws.session() as s:
        for pid in ("zoë-brandt", "zoe-brandt", "ann", "anne"):
            s.add(Person(id=pid, name=pid))
        s.add_all(
            [
                RecordRow(
                    kind="markdown", key="doc:1", record_hash="h1", path="a.md", authors=["ann", "zoë-brandt"]
                ),
                RecordRow(kind="markdown", key="doc:2", record_hash="h2", path="b.md", authors=["anne"]),
                RecordRow(kind="markdown", key="doc:3", record_hash="h3", path="c.md", authors=None),
            ]
        )
    with ws.session() as s:
        merge_people(s, "zoë-brandt", "zoe-brandt")
        merge_people(s, "ann", "anne")
    with ws.session() as s:
        authors = dict(s.execute(select(RecordRow.key, RecordRow.authors)).all())
        merged = dict(s.execute(select(Person.id, Person.merged_into)).all())
    assert authors == {"doc:1": ["anne", "zoe-brandt"], "doc:2": ["anne"], "doc:3": None}
    assert merged["zoë-brandt"] == "zoe-brandt" and merged["ann"] == "anne"
