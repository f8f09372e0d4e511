"""Ingest: read operational sources in their real formats into facts (SQL) and chunks (Chroma)."""
