"""What one file asked the project index, so that its cached results can outlive index changes.

A file's findings depend on its own text, the settings, and the answers the project index gave
while it was linted. `RecordingIndex` stands for the index in one lint: it answers every query
from the real index and notes the query with a fingerprint of the answer
(`ProjectIndex.fingerprint`). A later run re-asks the noted queries of a cached file on its own
index (`Replay`): when every answer's fingerprint is the same, so are the findings, whatever
else changed in the project.

Only the queries a lint makes are noted: the index's calls to itself are covered by the answer
of the query that made them. A query a later run cannot ask again (a predicate not registered
with `replayable`) is noted with an answer no replay gives, so it never matches. A cache file
only names predicates: replay calls none but the registered ones, whatever the file says.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi_lint.semantic.facts import ClassFact, ModuleFacts
from fastapi_lint.semantic.index import ProjectIndex

# The queries rules and semantic modules ask (with plain arguments: names, numbers).
_ASKED = (
    "class_kinds",
    "lookup",
    "definition",
    "class_fact",
    "ancestry",
    "defines_method",
    "field_annotation",
    "json_columns",
    "json_columns_printed",
    "classes_with_column",
    "value_callee",
    "alias",
    "function",
    "method",
    "returns_response",
    "methods_returning_response",
    "response_default",
    "is_json_response",
    "star_names",
    "has_module",
)
_UNNAMED = "?"  # the name of a predicate no later run can find: its query never matches
_PREDICATES: dict[str, Callable[[str], bool]] = {}  # the predicates replay may call, by name


def replayable(predicate: Callable[[str], bool]) -> Callable[[str], bool]:
    """Register a module-level predicate given to `ProjectIndex.packages_import`, so that a
    later run can ask its query again (by the name the cache holds)."""
    _PREDICATES[_name_of(predicate)] = predicate
    return predicate


class RecordingIndex:
    """The project index as one file's lint sees it: every answer is noted in `answers`
    (query -> fingerprint). Queries that take a file's own facts (`kinds_of`,
    `add_star_names`) run the index's code against this recorder, so the queries they make
    are the ones noted."""

    notes_queries = True

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.answers: dict[tuple, str] = {}
        self.modules = _RecordedModules(self)

    def __getattr__(self, name: str):
        if name not in _ASKED:
            raise AttributeError(name)
        asked = getattr(self.index, name)

        def recorded(*args):
            answer = asked(*args)
            self._note((name, *args), answer)
            return answer

        setattr(self, name, recorded)  # made once per lint, not per call
        return recorded

    def _note(self, query: tuple, answer: object, shared: bool = True) -> None:
        try:
            hash(query)
        except TypeError:  # arguments no cache file can name: a query that never matches
            self.answers[(_UNNAMED,)] = _UNNAMED
            return
        prints = self.index.answer_prints  # the same for every file of this index: once
        found = prints.get(query) if shared else None
        if found is None:
            try:
                found = self.index.fingerprint(answer)
            except TypeError:  # an answer of a shape fingerprints do not know: never matches
                found = _UNNAMED
            if shared:
                prints[query] = found
        self.answers[query] = found

    def kinds_of(self, fact: ClassFact) -> frozenset[str]:
        return ProjectIndex.kinds_of(self, fact)  # notes the `class_kinds` of its bases

    def add_star_names(self, facts: ModuleFacts) -> None:
        ProjectIndex.add_star_names(self, facts)  # notes `star_names` of each starred module

    def packages_import(self, packages: frozenset[str], predicate: Callable[[str], bool]) -> bool:
        answer = self.index.packages_import(packages, predicate)
        name = _registered_name(predicate)
        query = ("packages_import", tuple(sorted(packages)), name)
        self._note(query, answer, shared=name != _UNNAMED)  # two unnamed ones may differ
        return answer

    def facts_decoded(self) -> bool:
        return self.index.facts_decoded()  # not about the project: not noted

    def stored(self) -> dict[str, str]:
        """The answers as the results cache keeps them (queries written as JSON); a query of
        arguments JSON cannot hold is kept as one no replay answers."""
        texts = self.index.query_texts  # the same for every file of this index: once
        stored: dict[str, str] = {}
        try:
            for query, found in self.answers.items():
                text = texts.get(query)
                if text is None:
                    text = texts[query] = json.dumps(query)
                stored[text] = found
        except (TypeError, ValueError):
            return {_UNNAMED: _UNNAMED}
        return stored


class _RecordedModules:
    """`index.modules` for the one question a lint asks of it: is this module known?"""

    def __init__(self, recorder: RecordingIndex) -> None:
        self.recorder = recorder

    def __contains__(self, module: object) -> bool:
        return self.recorder.has_module(module)


def _name_of(predicate: Callable[[str], bool]) -> str:
    name = f"{getattr(predicate, '__module__', '')}:{getattr(predicate, '__qualname__', '')}"
    return _UNNAMED if "<" in name else name  # a lambda or a local function: not found later


def _registered_name(predicate: Callable[[str], bool]) -> str:
    name = _name_of(predicate)
    return name if _PREDICATES.get(name) is predicate else _UNNAMED


class Replay:
    """Asks stored queries again on the current index (each distinct query once per run)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._prints: dict[str, str | None] = {}

    def same_answers(self, stored: dict[str, str]) -> bool:
        """Whether every stored query gets an answer with the stored fingerprint today."""
        return all(self._print(query) == found for query, found in stored.items())

    def _print(self, query: str) -> str | None:
        if query not in self._prints:
            self._prints[query] = self._ask(query)
        return self._prints[query]

    def _ask(self, query: str) -> str | None:
        try:
            name, *args = json.loads(query)
        except (ValueError, TypeError):
            return None
        if name == "packages_import":
            if len(args) != 2 or not isinstance(args[0], list) or not isinstance(args[1], str):
                return None
            predicate = _PREDICATES.get(args[1])
            if predicate is None:
                return None
            try:
                answer = self.index.packages_import(frozenset(args[0]), predicate)
            except Exception:  # a damaged entry (a package that is no name): a miss, no failure
                return None
        elif name in _ASKED:
            try:
                answer = getattr(self.index, name)(*args)
            except Exception:  # a damaged entry (arguments of the wrong kind): a miss
                return None
        else:
            return None
        try:
            return self.index.fingerprint(answer)
        except TypeError:
            return None
