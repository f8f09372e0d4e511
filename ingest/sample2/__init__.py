"""A second, independently written sample organisation style, with the ground truth it planted.

from ingest.sample2 import generate
truth = generate(out_dir, seed=3, scale=1.0, variant="mixed")
"""

from ingest.sample2.generate import VARIANTS, generate
from ingest.sample2.truth import Truth

__all__ = ["VARIANTS", "Truth", "generate"]
