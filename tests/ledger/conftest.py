"""Ledger tests share the drafting fixtures (seeded hero scope, approve helper)."""

try:
    from tests.drafting.conftest import org  # noqa: F401
except ImportError:  # tests/ is not a package: rootdir-relative import
    from tests.drafting.conftest import org  # noqa: F401
