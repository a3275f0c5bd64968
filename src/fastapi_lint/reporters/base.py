"""What every reporter needs besides the diagnostics: which fixes count as available."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit


@dataclass(frozen=True)
class ReportOptions:
    unsafe_fixes: bool = False
    fix_mode: bool = False  # --fix was given: the summary counts what was fixed
    color: bool = False
    show_summary: bool = True  # False with --quiet

    def fixable(self, diagnostic: Diagnostic) -> bool:
        return diagnostic.fix is not None and diagnostic.fix.applies(self.unsafe_fixes)


# `Diagnostic.sort_key` without a call per diagnostic (tests/test_formats.py keeps them equal).
by_position = attrgetter("path", "line", "column", "code")


def shown_edits(diagnostic: Diagnostic) -> tuple[Edit, ...]:
    """The edits of the diagnostic's fix as `--fix` makes them, made where the file was checked
    (`Options.fix_edits`); reporters never compute them. Without them, the fix's own edits."""
    if diagnostic.edits is not None:
        return diagnostic.edits
    fix = diagnostic.fix
    return tuple(sorted(fix.edits, key=lambda edit: edit.start)) if fix is not None else ()


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary(diagnostics: list[Diagnostic], fixed: int, options: ReportOptions) -> list[str]:
    """The closing lines ruff users know: counts and how to fix."""
    fixes = [d.fix.applicability.value for d in diagnostics if d.fix is not None]
    return summary_of(len(diagnostics), fixes, fixed, options)


def summary_of(remaining: int, fixes: list[str], fixed: int, options: ReportOptions) -> list[str]:
    """`summary` from the count of findings and the applicability of each of their fixes."""
    if options.fix_mode and (fixed or remaining):
        lines = [
            f"Found {plural(remaining + fixed, 'error')} ({fixed} fixed, {remaining} remaining)."
        ]
    elif remaining == 0:
        return ["All checks passed!"]
    else:
        lines = [f"Found {plural(remaining, 'error')}."]
    unsafe = fixes.count(Applicability.UNSAFE.value)
    fixable = fixes.count(Applicability.SAFE.value) + (unsafe if options.unsafe_fixes else 0)
    hidden = unsafe if not options.unsafe_fixes else 0
    hint = ""
    if hidden:
        noun = "fix" if hidden == 1 else "fixes"
        hint = f" ({hidden} hidden {noun} can be enabled with the `--unsafe-fixes` option)"
    if fixable and options.fix_mode:  # --fix left them: a read-only or changed file, say
        lines.append(f"[*] {fixable} fixable left as they were (see the warnings above).{hint}")
    elif fixable:
        lines.append(f"[*] {fixable} fixable with the `--fix` option.{hint}")
    elif hint:
        lines.append(f"No fixes available{hint}.")
    return lines
