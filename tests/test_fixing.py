"""Applying fixes: rounds cost a file's size, not its size times its number of fixes; imports
that fixes add or leave unused are handled like ruff's isort and F401 would want them."""

from __future__ import annotations

import random
from dataclasses import replace

from fastapi_lint import fixes
from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix


def _finding(offset: int, content: str = "None") -> Diagnostic:
    fix = Fix(
        title="t", edits=(Edit(offset, offset + 2, content),), applicability=Applicability.SAFE
    )
    return Diagnostic(
        code="FAL301",
        name="mutable-default",
        message="m",
        line=1,
        column=0,
        end_line=1,
        end_column=0,
        path="p.py",
        start_offset=offset,
        fix=fix,
    )


def test_choosing_a_rounds_fixes_compares_each_edit_with_its_neighbours_only(monkeypatch):
    calls = 0
    overlap = fixes._overlap

    def counting(a, b):
        nonlocal calls
        calls += 1
        return overlap(a, b)

    monkeypatch.setattr(fixes, "_overlap", counting)
    count = 2000
    findings = [_finding(10 * i) for i in range(count)]
    findings.append(_finding(11))  # overlaps the second one: waits for the next round
    chosen = fixes.choose(findings)
    assert len(chosen) == count
    assert 11 not in [d.start_offset for d in chosen]
    # Linear: a few comparisons per fix (comparing with every earlier edit made ~2,000,000).
    assert calls <= 4 * len(findings)


def test_choosing_agrees_with_comparing_every_pair():
    rng = random.Random(7)
    for _ in range(300):
        findings = []
        for _ in range(rng.randrange(1, 12)):
            start = rng.randrange(0, 30)
            edits, position = [], start
            for _ in range(rng.randrange(1, 3)):  # a fix's own edits never overlap
                position += rng.randrange(0, 8)
                edits.append(Edit(position, position + rng.choice((0, 0, 1, 3)), "x"))
                position = edits[-1].end + 1
            edits = tuple(edits)
            fix = Fix(title="t", edits=edits, applicability=Applicability.SAFE)
            findings.append(replace(_finding(start), fix=fix))
        expected, taken = [], []
        for diagnostic in sorted(findings, key=lambda d: (d.start_offset, d.code)):
            edits = diagnostic.fix.edits
            if not any(fixes._overlap(a, b) for a in edits for b in taken):
                taken.extend(edits)
                expected.append(diagnostic)
        assert fixes.choose(findings) == expected
