"""Imports of the shared seed helpers, whichever way tests/ is on sys.path."""

try:
    from tests.drafting.conftest import HERO, SCOPE, add_incidents, approve_pack, seed_people
except ImportError:
    from tests.drafting.conftest import HERO, SCOPE, add_incidents, approve_pack, seed_people

__all__ = ["HERO", "SCOPE", "add_incidents", "approve_pack", "seed_people"]
