"""Strict matching of an answer's text against expected facts: whole words, aliases, negation, exact numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

WORD_CHARS = r"[\w-]"
"""Characters that continue a word: 'payments-api' is not mentioned by 'payments-api-v2', nor 'dependent' by 'independent'."""

NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "neither",
        "nor",
        "without",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "doesn't",
        "don't",
        "didn't",
        "hasn't",
        "haven't",
        "cannot",
        "can't",
        "won't",
        "nobody",
        "none",
    ]
)
"""Words that negate a claim that follows them within :data:`NEGATION_WINDOW` words."""

HEDGES = frozenset(
    [
        "become",
        "becomes",
        "becoming",
        "be",
        "toward",
        "towards",
        "until",
        "before",
        "once",
        "reach",
        "reaches",
        "called",
    ]
)
"""Words that make a following verdict a condition or a goal, not a claim ('until it becomes independent')."""

NEGATION_WINDOW = 4
"""How many words before a term a negator or hedge still governs it ('is not one of the heroes': 4 words)."""

SMALL_NUMBERS = {
    "zero": 0, "no": 0, "one": 1, "once": 1, "two": 2, "twice": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
"""Numbers an answer may spell out; matched as exactly as digits."""

NUMBER_RE = re.compile(r"(?<![\w.:/@-])(\d+(?:[.,]\d+)?)(\s?%| percent)?(?![\w:/@]|-\w|\.\d)")
"""A number standing alone: not inside a word ('k8s', '5xx'), a date, a time, an id or a path."""

CITATION_RE = re.compile(r"\[(?:[a-z]{0,8}[:#]?\s?\d+(?:\s*[,;]\s*[a-z]{0,8}[:#]?\s?\d+)*)\]", re.I)
"""Citation markers such as [1], [2, 3] or [c4]: references, not claims."""

LIST_MARKER_RE = re.compile(r"(?m)^\s*(?:\d+[.)]|[-*•])\s+")
"""A numbered or bulleted list item's marker at the start of a line."""

CODE_RE = re.compile(r"`[^`\n]*`")
"""An inline code span: quoted commands, checked against the ingested text rather than the facts."""

VERDICT_FORMS = {
    "dependent": ("dependent", "dependant"),
    "documented-unpractised": (
        "documented-unpractised",
        "documented, unpractised",
        "documented but unpractised",
        "documented but not practised",
        "documented but not practiced",
        "documented-unpracticed",
        "documented but unpracticed",
        "unpractised",
        "unpracticed",
    ),
    "narrowing": ("narrowing",),
    "independent": ("independent",),
}
"""How an answer may state each verdict of ``independence --json``."""

REFUSAL_MARKERS = (
    "beyond the offline engine",
    "outside the data",
    "not in the data",
    "nothing in the data",
    "no data on",
    "no data about",
    "no data for",
    "don't have data",
    "do not have data",
    "don't have any data",
    "the data does not say",
    "the data doesn't say",
    "the data cannot",
    "the data can't",
    "cannot answer",
    "can't answer",
    "can not answer",
    "unable to answer",
    "i don't know",
    "did you mean",
    "could you rephrase",
    "not sure what you",
    "could not find that",
    "couldn't find that",
    "no person matches",
    "no scope matches",
)
"""Phrases that make an answer a refusal or a question back (wrong unless the question is outside the data).
Only phrases about the answer itself: 'the runbook does not contain', 'the on-call can't tell' are claims."""

PRODUCT_COMMAND = "understudy "
"""A code span naming the product's own command (a question to type next) is not a claim about the data."""

NAME_SEQ_RE = re.compile(r"\b[A-ZÀ-Þ][\w'À-ÿ-]+(?:\s+[A-ZÀ-Þ][\w'À-ÿ-]+)+")
"""Two or more capitalised words: how a full name appears in an answer."""

HANDLE_RE = re.compile(r"(?<![\w.])@[a-z][\w.-]*[a-z0-9]", re.I)
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def fold(text: str) -> str:
    """Lower-case with typographic apostrophes and dashes made plain."""
    return text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", " - ").lower()


def term_re(term: str) -> re.Pattern[str]:
    """A pattern for ``term`` as a whole word (spaces in the term match any run of spaces)."""
    body = r"\s+".join(re.escape(part) for part in fold(term).split())
    return re.compile(rf"(?<!{WORD_CHARS}){body}(?!{WORD_CHARS})")


def has_term(text: str, term: str) -> bool:
    """Whether ``term`` occurs in ``text`` as a whole word (case-insensitive)."""
    return bool(term.strip()) and term_re(term).search(fold(text)) is not None


def _words_before(text: str, start: int) -> list[str]:
    """The words of the same clause before ``start``, nearest last."""
    clause = re.split(r"[.;:!?\n]|,\s(?:but|while|whereas)\s|\bbut\b", text[:start])[-1]
    return re.findall(r"[\w'-]+", clause)


def occurrences(text: str, term: str) -> list[str]:
    """Each occurrence of ``term``: 'affirmed', 'negated' or 'hedged' by the words before it."""
    folded = fold(text)
    out = []
    for m in term_re(term).finditer(folded):
        before = _words_before(folded, m.start())[-NEGATION_WINDOW:]
        if any(w in NEGATORS or w.endswith("n't") for w in before):
            out.append("negated")
        elif any(w in HEDGES for w in before):
            out.append("hedged")
        else:
            out.append("affirmed")
    return out


def affirms(text: str, terms: Iterable[str]) -> bool:
    """Whether any of ``terms`` is stated without a negation or a hedge."""
    return any("affirmed" in occurrences(text, t) for t in terms)


def denies(text: str, terms: Iterable[str]) -> bool:
    """Whether any of ``terms`` is stated with a negation ('not a hero', "isn't dependent")."""
    return any("negated" in occurrences(text, t) for t in terms)


def states_verdict(text: str, verdict: str) -> bool:
    """The answer states ``verdict`` and does not state its contradiction (dependent vs independent)."""
    if not affirms(text, VERDICT_FORMS.get(verdict, (verdict,))):
        return False
    opposite = {"dependent": "independent", "independent": "dependent"}.get(verdict)
    if opposite and affirms(text, VERDICT_FORMS[opposite]):
        return False
    return not (verdict == "independent" and denies(text, VERDICT_FORMS["independent"]))


def sentences(text: str) -> list[str]:
    """The answer's sentences and list items."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p for p in parts if p.strip()]


@dataclass(frozen=True)
class Entity:
    """Something an answer can mention: a person (by any alias), a scope (by its forms) or a number."""

    kind: str
    key: str
    forms: tuple[str, ...] = ()
    value: float | None = None
    label: str = ""

    def __str__(self) -> str:
        return self.label or self.key


def person_entity(pid: str, name: str, aliases: Iterable[str], unique_first: bool = False) -> Entity:
    """A person mentioned by their name, any alias, their handle with or without '@', or a unique first name."""
    forms = {name, pid, *aliases}
    forms |= {a.lstrip("@") for a in aliases if a.startswith("@")}
    if unique_first and " " in name.strip():
        forms.add(name.split()[0])
    forms = {f for f in forms if f and len(f) > 1 and not re.fullmatch(r"[A-Z0-9]{8,}", f)}
    return Entity("person", pid, tuple(sorted(forms, key=lambda f: (-len(f), f))), label=name)


TASK_WORDS = {
    "deploy": ("deploy", "deploys", "deploying", "deployment", "deployments", "release", "releases"),
    "rollback": ("rollback", "rollbacks", "roll back", "rolling back", "rolled back"),
    "failover": ("failover", "failovers", "fail over", "failing over"),
    "hotfix": ("hotfix", "hotfixes"),
    "migration": ("migration", "migrations", "migrate"),
}
"""How an answer may name the action of a ``task:<action>:<service>`` scope."""


def scope_entity(scope: str) -> Entity:
    """A scope mentioned by its id, its name, or its name with spaces for dashes."""
    kind, _, rest = scope.partition(":")
    name = rest.split(":")[-1]
    forms = {scope, name, name.replace("-", " "), name.replace("/", " ")}
    if kind == "path":
        forms.add(rest.split("/")[-1])
    return Entity("scope", scope, tuple(sorted(forms, key=lambda f: (-len(f), f))), label=scope)


def mentions(text: str, entity: Entity) -> bool:
    """Whether the answer names ``entity``: a person by any alias, a scope by its forms, a number exactly."""
    if entity.kind == "number":
        return entity.value is not None and has_number(text, entity.value)
    if entity.kind == "word":
        return affirms(text, entity.forms)
    if entity.kind == "scope" and entity.key.startswith("task:"):
        _, action, service = entity.key.split(":", 2)
        if has_term(text, entity.key):
            return True
        words = TASK_WORDS.get(action, (action,))
        return any(has_term(text, f) for f in (service, service.replace("-", " "))) and any(
            has_term(text, w) for w in words
        )
    return any(has_term(text, f) for f in entity.forms)


def first_position(text: str, entity: Entity) -> int | None:
    """Where the answer first names ``entity`` (None when it does not)."""
    folded = fold(text)
    forms = list(entity.forms)
    if entity.kind == "scope" and entity.key.startswith("task:"):
        if not mentions(text, entity):
            return None
        service = entity.key.split(":", 2)[2]
        forms = [entity.key, service, service.replace("-", " ")]
    hits = [m.start() for f in forms if f.strip() for m in [term_re(f).search(folded)] if m]
    return min(hits) if hits else None


def ranks_first(text: str, expected: Entity, rivals: Iterable[Entity]) -> bool:
    """Whether ``expected`` is named, and before every rival that the answer also names."""
    at = first_position(text, expected)
    if at is None:
        return False
    for r in rivals:
        if r.key == expected.key:
            continue
        other = first_position(text, r)
        if other is not None and other < at:
            return False
    return True


def numbers_in(text: str) -> list[tuple[float, int, bool]]:
    """(value, decimals shown, is a percentage) of every free-standing number in ``text``."""
    clean = CITATION_RE.sub(" ", CODE_RE.sub(" ", LIST_MARKER_RE.sub(" ", text)))
    out = []
    for m in NUMBER_RE.finditer(clean):
        raw = m.group(1).replace(",", ".") if re.fullmatch(r"\d+,\d{1,2}", m.group(1)) else m.group(1)
        raw = raw.replace(",", "")
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        out.append((float(raw), decimals, bool(m.group(2))))
    folded = fold(clean)
    for word, n in SMALL_NUMBERS.items():
        if word in ("no", "once"):
            continue
        if has_term(folded, word):
            out.append((float(n), 0, False))
    return out


def number_matches(shown: float, decimals: int, percent: bool, value: float) -> bool:
    """Whether a number as shown states ``value`` exactly: integers as themselves, fractions to the decimals
    shown (at least one), shares of 1 also as percentages ('71%' for 0.714)."""
    if percent:
        v = value * 100 if abs(value) <= 1 else value
        return round(v, decimals) == shown
    if value == int(value):
        return shown == value
    return decimals >= 1 and round(value, decimals) == shown


def has_number(text: str, value: float) -> bool:
    """Whether ``text`` states ``value`` exactly (an integer as digits or spelled out)."""
    return any(number_matches(n, d, p, value) for n, d, p in numbers_in(text))


def is_refusal(text: str) -> bool:
    """Whether the answer refuses, asks back or says the data cannot tell."""
    folded = fold(text)
    return any(marker in folded for marker in REFUSAL_MARKERS)


@dataclass
class Known:
    """Every name and number the data holds: what an answer may say without inventing."""

    names: set[str] = field(default_factory=set)
    first_names: set[str] = field(default_factory=set)
    last_names: set[str] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    code: str = ""

    def add_number(self, value: float) -> None:
        """A number from the data, with its rounded and percentage forms."""
        for v in (value, value * 100) if 0 < abs(value) <= 1 else (value,):
            self.numbers.add(v)
            for d in (0, 1, 2, 3):
                self.numbers.add(round(v, d))

    def add_person(self, name: str, aliases: Iterable[str]) -> None:
        """A person's name and aliases (first and last names help tell a name from a phrase)."""
        for n in (name, *aliases):
            if n:
                self.names.add(fold(n).lstrip("@"))
        words = name.split()
        if len(words) >= 2:
            self.first_names.add(fold(words[0]))
            self.last_names.add(fold(words[-1]))


def invented(text: str, known: Known, question: str = "") -> list[str]:
    """Names and numbers in the answer that the data does not hold (numbers of the question are allowed)."""
    out: list[str] = []
    allowed = {n for n, _, _ in numbers_in(question)}
    for n, _d, p in numbers_in(text):
        if n in allowed or n in known.numbers:
            continue
        out.append(f"number {n:g}{'%' if p else ''}")
    for span in CODE_RE.findall(text):
        inner = span.strip("`").strip()
        if inner.startswith(PRODUCT_COMMAND):
            continue
        if inner and known.code and fold(inner) not in known.code:
            out.append(f"command {inner!r}")
    for m in NAME_SEQ_RE.finditer(text):
        words = [re.sub(r"['’]s?$", "", w) for w in m.group().split()]
        lowered = [fold(w) for w in words]
        if not (set(lowered) & (known.first_names | known.last_names)):
            continue
        joined = " ".join(lowered)
        if joined in known.names or any(
            " ".join(lowered[i : i + 2]) in known.names for i in range(len(lowered) - 1)
        ):
            continue
        out.append(f"name {m.group()!r}")
    for m in EMAIL_RE.finditer(text):
        if fold(m.group()) not in known.names:
            out.append(f"alias {m.group()!r}")
    for m in HANDLE_RE.finditer(text):
        if fold(m.group()).lstrip("@") not in known.names:
            out.append(f"alias {m.group()!r}")
    return out
