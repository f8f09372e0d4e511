"""The v2 question scorer's matcher: whole words, negation, aliases, exact numbers, refusals, invented items."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from evals.scorers import questions as scorer
from evals.scorers.questions_match import (
    Entity,
    Known,
    has_term,
    invented,
    is_refusal,
    mentions,
    person_entity,
    scope_entity,
    states_verdict,
)

DATASETS = Path(scorer.__file__).resolve().parents[1] / "datasets"

DEB = person_entity(
    "deborah-kaplan",
    "Deborah Kaplan",
    ["@dkaplan", "deborah.kaplan@example.com", "U03T2Y0QKFM"],
    unique_first=True,
)


def num(v: float) -> Entity:
    return Entity("number", str(v), value=v)


def test_whole_words_only():
    pay = scope_entity("service:payments-api")
    assert mentions("The hero of payments-api is Deborah.", pay)
    assert mentions("service:payments-api has one hero", pay)
    assert mentions("the payments api pages at night", pay)
    assert not mentions("payments-api-v2 is fine", pay)
    assert not mentions("prepayments-api is fine", pay)
    assert has_term("Postgres failover", "postgres")
    assert not has_term("postgresql", "postgres")


def test_task_scope_needs_its_service_and_its_action():
    deploy = scope_entity("task:deploy:checkout-web")
    assert mentions("Only Alexandra deploys checkout-web.", deploy)
    assert mentions("task:deploy:checkout-web", deploy)
    assert not mentions("checkout-web pages at night", deploy)


def test_person_by_any_alias():
    assert mentions("Ask Deborah Kaplan.", DEB)
    assert mentions("ask @dkaplan", DEB)
    assert mentions("mail deborah.kaplan@example.com", DEB)
    assert mentions("Deborah resolved 20 of them", DEB)  # a unique first name
    assert not mentions("Debora Kaplan", DEB)
    assert not mentions("ask dkaplanx", DEB)
    shared = person_entity("a", "Alice Nguyen", [], unique_first=False)
    assert not mentions("Alice did it", shared)


def test_negation_of_verdicts():
    assert states_verdict("service:postgres is dependent on Andrew.", "dependent")
    assert not states_verdict("service:postgres is not dependent on anyone.", "dependent")
    assert not states_verdict("It isn't dependent any more.", "dependent")
    assert not states_verdict(
        "service:postgres is independent.", "dependent"
    )  # 'independent' is not 'dependent'
    assert states_verdict("postgres is independent.", "independent")
    assert not states_verdict("postgres is not independent yet: it is dependent.", "independent")
    assert not states_verdict("postgres is dependent; it is also independent", "dependent")
    assert states_verdict("Still dependent; it will count once it becomes independent.", "dependent")
    assert states_verdict("It is documented but unpractised.", "documented-unpractised")
    assert states_verdict("narrowing: the share routed to Andrew is falling", "narrowing")
    assert not states_verdict("not narrowing", "narrowing")


def test_numbers_exactly():
    assert mentions("Deborah was pulled in 20 times.", num(20))
    assert mentions("twenty? no: she made three rescues", num(3))
    assert not mentions("Deborah was pulled in 200 times.", num(20))
    assert not mentions("on 2026-03-20 she was pulled in", num(20))
    assert not mentions("k8s-platform", num(8))
    assert not mentions("it took 20.5 hours", num(20))
    assert mentions("2.2 effective responders", num(2.19))
    assert mentions("2.19 effective responders", num(2.19))
    assert not mentions("2 effective responders", num(2.19))
    assert mentions("65% of the work", num(0.651))
    assert mentions("0.65 of the work", num(0.651))
    assert not mentions("0.6 of the work", num(0.651))
    assert not mentions("[20] see the map", num(20))  # a citation marker is not a claim
    assert not mentions("1. Postgres\n2. Payments", num(2))  # nor is a list marker


def test_refusals():
    assert is_refusal("That question is beyond the offline engine.")
    assert is_refusal("I can't answer that from the data; try asking: who is the hero of X?")
    assert is_refusal("Salaries are outside the data Understudy holds.")
    assert not is_refusal("The hero of payments-api is Deborah Kaplan.")
    assert not is_refusal(
        "The runbook does not contain the failover steps; the on-call can't tell lag from loss."
    )
    assert not is_refusal("Deborah Kaplan. You can also ask: who could learn payments-api next?")


def test_invented_names_and_numbers():
    known = Known()
    known.add_person("Deborah Kaplan", ["@dkaplan", "deborah.kaplan@example.com"])
    known.add_person("Andrew Tanaka", [])
    known.add_number(20)
    known.add_number(0.651)
    assert invented("Deborah Kaplan made 20 rescues (65%).", known) == []
    assert invented("Deborah Kaplan made 21 rescues.", known) == ["number 21"]
    assert [x for x in invented("Ask Deborah Smith.", known) if "Deborah Smith" in x]
    assert invented("Ask @hboateng", known) == ["alias '@hboateng'"]
    assert invented("In the past 14 days: 20 rescues.", known, question="in the past 14 days?") == []
    assert invented("Payments Api Runbook", known) == []
    assert invented("Andrew Tanaka's pages; ask Deborah Kaplan's team", known) == []  # possessives
    assert (
        invented("Type `understudy whatif dkaplan`.", known) == []
    )  # the product's own command  # capitalised words that are no person's name


class FakeFacts:
    """Stands in for the workspace's analyses: a fixed map of look-ups (the matcher is what is tested)."""

    def __init__(self) -> None:
        self.entities = {"deborah-kaplan": DEB, "jonathan": person_entity("jonathan", "Jonathan Adeyemi", [])}

    def resolve(self, lookup):
        return {"hero_of": [DEB], "nobody": [], "top_sleep_person": [DEB]}[next(iter(lookup))]

    def rivals(self, expected):
        return list(self.entities.values())

    def number(self, lookup):
        return 20.0

    def verdict(self, scope):
        return "dependent"

    def scope(self, name):
        return name if ":" in name else f"service:{name}"

    def person(self, alias):
        return "deborah-kaplan" if "kaplan" in alias.lower() else "jonathan"

    def is_hero(self, alias):
        return self.person(alias) == "deborah-kaplan"

    def scan_changes(self):
        return None


def test_grade_applies_every_expectation_strictly():
    facts = FakeFacts()
    item = {"expect": {"mentions": [{"hero_of": "x"}], "number": {"rescues_of": "x"}, "verdict_of": "x"}}
    ok = "Deborah Kaplan made 20 rescues; service:x is still dependent on her."
    assert scorer.grade(item, ok, facts) == []
    assert scorer.grade(item, "Deborah Kaplan made 20 rescues; x is not dependent.", facts)
    assert scorer.grade(item, "Deborah Kaplan made 2 rescues; x is dependent.", facts)
    assert scorer.grade(item, "Deborah Kaplan made 20 rescues; it is dependent.", facts)  # which scope?
    assert scorer.grade(item, ok + " I can't answer the rest.", facts) == [
        "refused a question the data answers"
    ]
    empty = {"expect": {"mentions_any_of": [{"nobody": True}]}}
    assert scorer.grade(empty, "Nobody else has deployed it.", facts) == []
    assert scorer.grade(empty, "Deborah Kaplan can.", facts)
    scan = {"expect": {"changes_since_last_scan": True}}
    assert scorer.grade(scan, "No scan has run yet.", facts) == []
    assert scorer.grade(scan, "Two new heroes.", facts)


def test_grade_outside_data_and_hero_status():
    facts = FakeFacts()
    outside = {"outside_data": True}
    assert scorer.grade(outside, "That is outside the data Understudy holds.", facts) == []
    assert scorer.grade(outside, "Deborah earns 20.", facts)
    chatty = {"expect": {"hero_status_of": "Jonathan"}}
    assert scorer.grade(chatty, "Jonathan Adeyemi asks for updates, but he is not a hero.", facts) == []
    assert scorer.grade(chatty, "Jonathan Adeyemi is a hero.", facts)
    assert scorer.grade(chatty, "He is not a hero.", facts)  # must name him
    hero = {"expect": {"hero_status_of": "Deborah Kaplan"}}
    assert scorer.grade(hero, "Yes: Deborah Kaplan is the hero of payments-api.", facts) == []
    assert scorer.grade(hero, "Deborah Kaplan is not a hero.", facts)


def test_v2_set_is_big_stratified_and_uses_only_the_vocabulary():
    spec = scorer.load_v2(DATASETS)
    qs = spec["questions"]
    assert len(qs) >= 60 and len({q["id"] for q in qs}) == len(qs)
    sets = Counter(q["set"] for q in qs)
    assert abs(sets["test"] - sets["tune"]) <= 2
    for intent in {q["intent"] for q in qs}:
        c = Counter(q["set"] for q in qs if q["intent"] == intent)
        assert c["test"] >= 1 and c["tune"] >= 1 and abs(c["test"] - c["tune"]) <= 1, intent
    assert {q["role"] for q in qs} == {"manager", "sre_lead", "member"}
    from evals.scorers.questions_facts import Facts

    header = (DATASETS / "questions.v2.yaml").read_text(encoding="utf-8").split("version:")[0]
    for q in qs:
        assert q.get("outside_data") or q.get("expect"), q["id"]
        for lookup in [
            *q.get("expect", {}).get("mentions", []),
            *q.get("expect", {}).get("mentions_any_of", []),
        ]:
            (key,) = [k for k in lookup if k not in ("window", "first")]
            assert hasattr(Facts, f"_l_{key}") and f"{key}:" in header, key
        exp = q.get("expect", {})
        for n in ([exp["number"]] if "number" in exp else []) + exp.get("number_any_of", []):
            (key,) = [k for k in n if k != "window"]
            assert hasattr(Facts, f"_n_{key}") and f"{key}:" in header, key


def test_hero_negation_reaches_four_words_back():
    from evals.scorers.questions_match import affirms, denies

    assert denies("Jonathan is not one of the heroes.", ["hero", "heroes"])
    assert affirms("Deborah is one of the heroes.", ["hero", "heroes"])
    assert affirms("class X has no runbook", ["no runbook"])  # a condition, stated
    assert not affirms("class X has no runbook", ["runbook"])


def test_ranks_first_ignores_people_the_question_names():
    facts = FakeFacts()
    item = {
        "question": "Who pulls Jonathan Adeyemi in the most?",
        "expect": {"ranks_first": {"top_sleep_person": True}},
    }
    assert scorer.grade(item, "Jonathan Adeyemi is pulled in most by Deborah Kaplan.", facts) == []
    other = {"question": "Who is woken up most?", "expect": {"ranks_first": {"top_sleep_person": True}}}
    assert scorer.grade(other, "Deborah Kaplan, then Jonathan Adeyemi.", facts) == []
    assert scorer.grade(other, "Jonathan Adeyemi, then Deborah Kaplan.", facts)
    assert scorer.grade(other, "Jonathan Adeyemi.", facts)
