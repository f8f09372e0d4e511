"""Claude is offered every tool the offline engine uses, with its prompt from a versioned file; verify
flags numbers an answer states without citing anything."""

from __future__ import annotations

from agent.ask import verify
from agent.ask.claude import system_prompt
from agent.ask.models import Answer, Citation
from agent.ask.tools import TOOL_SCHEMAS, TOOLS
from agent.ask.verify import UNCITED
from agent.prompting import load


def test_every_tool_is_declared_to_claude() -> None:
    declared = [s["name"] for s in TOOL_SCHEMAS]
    assert sorted(declared) == sorted(TOOLS)
    for s in TOOL_SCHEMAS:
        assert set(s["input_schema"].get("required", [])) <= set(s["input_schema"]["properties"]), s["name"]


def test_the_ask_system_prompt_comes_from_its_versioned_file() -> None:
    assert system_prompt() == load("ask").render()
    assert "Every person's name and every number" in system_prompt()


def test_numbers_without_any_citation_are_flagged() -> None:
    results = [{"tool": "hero_map", "args": {}, "result": {"rescues": 9}}]
    bare = Answer(answer="There were 9 rescues.")
    assert UNCITED in verify(bare, results)
    cited = Answer(answer="There were 9 rescues.", citations=[Citation(ref="map:service:x")])
    assert verify(cited, results) == []
