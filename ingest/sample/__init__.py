"""A deterministic sample organisation in real export formats, with the ground truth it planted.

from ingest.sample import generate, GroundTruth
truth = generate(out_dir, seed=7, scale=1.0, variant="default", months=6, start=date(2026, 1, 1))
"""

from ingest.sample.generator import VARIANTS, generate
from ingest.sample.truth import (
    GroundTruth,
    TruthAlias,
    TruthBot,
    TruthChatFix,
    TruthEscalation,
    TruthHero,
    TruthPerson,
    TruthRescue,
    TruthService,
)

__all__ = [
    "VARIANTS",
    "GroundTruth",
    "TruthAlias",
    "TruthBot",
    "TruthChatFix",
    "TruthEscalation",
    "TruthHero",
    "TruthPerson",
    "TruthRescue",
    "TruthService",
    "generate",
]
