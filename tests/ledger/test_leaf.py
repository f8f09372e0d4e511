"""The ledger is a leaf: importing it never imports the drafting workflow."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_ledger_does_not_import_the_drafting_graph():
    code = (
        "import agent.ledger, sys; assert 'agent.drafting.graph' not in sys.modules, 'agent.drafting.graph'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_ui_and_the_evals_share_the_ledgers_vocabulary():
    from agent.ledger import rules
    from evals.scorers import rules as rules_eval
    from review_ui import services

    assert services.PRACTICE_KINDS is rules.PRACTICE_KINDS and services.PRACTICE_OUTCOMES is rules.OUTCOMES
    assert rules_eval.PRACTICE_KINDS is rules.PRACTICE_KINDS and rules_eval.OUTCOMES is rules.OUTCOMES


def test_no_ledger_module_imports_the_workflow_even_lazily():
    import ast
    from pathlib import Path

    import agent.ledger

    found = []
    for path in Path(agent.ledger.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("agent.drafting.graph"):
                found.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Import) and any(
                a.name.startswith("agent.drafting.graph") for a in node.names
            ):
                found.append(f"{path.name}:{node.lineno}")
    assert found == [], found
