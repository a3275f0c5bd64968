"""The command line: `fastapi-lint check`, `rule`, `rules`, `server`, `version`.

Exit status: 0 nothing left to report, 1 diagnostics remain (also after `--fix`), 2 usage,
configuration or internal error (FAL002 included).
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fastapi_lint import __version__
from fastapi_lint.config import (
    OUTPUT_FORMATS,
    ConfigError,
    Settings,
    load,
    validate_codes,
)
from fastapi_lint.diagnostics import TOOL_CODES, has_internal_error
from fastapi_lint.projects import Projects
from fastapi_lint.reporters import EDIT_FORMATS, HUMAN_FORMATS, ReportOptions, renderer

if TYPE_CHECKING:  # the run and the rules are imported by the commands that use them
    from fastapi_lint.baseline import Baseline
    from fastapi_lint.results import RunResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_TOOL_CODES = frozenset(TOOL_CODES)
# Set by the console script (memo.script), which exits without freeing what a run made: a
# check's result is kept here, not freed object by object as the command returns.
kept_until_exit: list | None = None


def _codes(values: tuple[str, ...], flag: str) -> tuple[str, ...]:
    codes = [code.strip().upper() for value in values for code in value.split(",") if code.strip()]
    if not codes:  # `--select ""` would otherwise select nothing and pass
        raise ConfigError(f"{flag}: no rule code given (e.g. FAL301, FAL3, ALL)")
    return validate_codes(codes, flag)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="fastapi-lint")
def main() -> None:
    """Find and fix FastAPI + SQLAlchemy anti-patterns."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False, path_type=Path))
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (replaces config).")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to enable as well.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--fix/--no-fix", default=False, help="Apply fixes to the files.")
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    default=None,
    help="Also offer and apply fixes that may change behaviour.",
)
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--output-format", type=click.Choice(OUTPUT_FORMATS), default=None)
@click.option("--output-file", "-o", type=click.Path(path_type=Path), help="Write the report here.")
@click.option("--statistics", is_flag=True, help="Count the findings per rule.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only, no summary.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="A pyproject.toml, another TOML file with [tool.fastapi-lint], or one with the settings "
    "at its top level.",
)
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the caches here (above `cache-dir` and FASTAPI_LINT_CACHE_DIR).",
)
@click.option("--force-exclude", is_flag=True, help="Apply excludes to files named explicitly.")
@click.option("--stdin-filename", help="The file name of code read from stdin (path `-`).")
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(path_type=Path),
    help="Report only findings that are not in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path),
    help="Record today's findings in this file (then exit 0).",
)
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: FALxxx` to every line with a finding.")
def check(**given: Any) -> None:
    """Check PATHS (default: the current folder) for FastAPI + SQLAlchemy anti-patterns."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        # A file name that is not UTF-8 (Python keeps its bytes as surrogates) is printed as
        # those bytes, as `ls` does, instead of failing the whole report.
        sys.stdout.reconfigure(errors="surrogateescape")
    try:
        status = _check(CheckChoices(**given))
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        status = EXIT_ERROR
    except (click.ClickException, BrokenPipeError):
        raise  # click reports the first; it ends quietly on the second (reader went away)
    except Exception as exc:  # never a bare traceback for the user
        click.echo(f"error: fastapi-lint failed: {type(exc).__name__}: {exc}", err=True)
        if os.environ.get("FASTAPI_LINT_DEBUG"):
            import traceback

            traceback.print_exc()
        else:
            click.echo("(set FASTAPI_LINT_DEBUG=1 for the traceback, and report it)", err=True)
        status = EXIT_ERROR
    sys.audit("fastapi_lint.done", status)  # the run finished: its output is whole (memo.py)
    sys.exit(status)


@dataclass(frozen=True)
class CheckChoices:
    """What `fastapi-lint check` was asked: one field per argument and option, by its name."""

    paths: tuple[Path, ...]
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    fix: bool
    unsafe_fixes: bool | None
    diff: bool
    output_format: str | None
    output_file: Path | None
    statistics: bool
    exit_zero: bool
    quiet: bool
    config_path: Path | None
    isolated: bool
    no_cache: bool
    cache_dir: Path | None
    force_exclude: bool
    stdin_filename: str | None
    baseline_path: Path | None
    write_baseline: Path | None
    add_noqa: bool


def _check(asked: CheckChoices) -> int:
    from fastapi_lint.runner import Options, run

    paths = asked.paths
    # As ruff does: `--stdin-filename` with no paths reads the code from stdin too.
    use_stdin = paths == (Path("-"),) or (not paths and asked.stdin_filename is not None)
    if use_stdin:
        paths = (Path("-"),)
    if not paths:
        paths = (Path("."),)
    if Path("-") in paths and not use_stdin:
        raise click.UsageError("`-` (stdin) cannot be combined with other paths")
    anchor = _anchor(paths, asked.stdin_filename if use_stdin else None, use_stdin)

    overrides = _overrides(asked)
    # Hierarchical settings: each file is checked with its own project's pyproject.toml,
    # unless one configuration is imposed on every file.
    if asked.config_path is not None or asked.isolated:
        settings, base = _imposed_settings(asked.config_path, asked.isolated)
        settings = overrides(settings)
        projects = Projects(fixed=(settings, base))
    else:
        # The project of the paths given (found as each file's is): its settings give the
        # output format, `unsafe-fixes` and the excludes that prune the walk (loaded once: the
        # same projects check the files).
        projects = Projects(adjust=overrides)
        project = projects.project_at(anchor)
        settings, base = projects.settings(project), projects.base(project)

    exclusive = [
        name
        for name, on in (
            ("--fix", asked.fix),
            ("--diff", asked.diff),
            ("--add-noqa", asked.add_noqa),
        )
        if on
    ]
    if len(exclusive) > 1:
        raise click.UsageError(f"{' and '.join(exclusive)} cannot be used together")
    if asked.add_noqa and use_stdin:
        raise click.UsageError("--add-noqa cannot be used with stdin")
    human = settings.output_format in HUMAN_FORMATS and not asked.statistics
    progress = Progress() if human and asked.output_file is None and not use_stdin else None
    options = Options(
        fix=asked.fix,
        unsafe_fixes=settings.unsafe_fixes,
        diff=asked.diff,
        force_exclude=asked.force_exclude,
        use_cache=not asked.no_cache,
        cache_dir=asked.cache_dir,
        stdin_filename=asked.stdin_filename,
        baseline=_baseline(asked.baseline_path),
        add_noqa=asked.add_noqa,
        # JSON and SARIF show each fix's edits: they are made as the files are checked
        fix_edits=settings.output_format in EDIT_FORMATS and not (asked.statistics or asked.diff),
        rows_only=_rows_only(asked, settings.output_format),
        progress=progress,
    )
    stdin_text = None
    if use_stdin:
        stdin_text = sys.stdin.buffer.read().decode("utf-8", errors="replace").lstrip("\ufeff")
    if kept_until_exit is not None:
        from fastapi_lint.pipeline import leave_trees_to_exit

        leave_trees_to_exit(kept_until_exit)  # the trees it lints are not freed either
    try:
        result = run(
            list(paths), settings, options, base=base, stdin_text=stdin_text, projects=projects
        )
    finally:
        if progress is not None:
            progress.clear()
    _vouch(result, progress)
    if kept_until_exit is not None:
        kept_until_exit.append(result)  # not freed as this returns (memo.script)

    if not result.files and not use_stdin:
        shown = " ".join(str(path) for path in paths)
        click.echo(f"warning: No Python files found under {shown}", err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for report in result.files:
        for problem in report.problems:
            click.echo(f"warning: {report.path}: {problem}", err=True)
        for note in report.left_out:
            click.echo(f"note: {report.path}: {note}", err=True)

    if asked.diff:
        return _report_diff(result)
    if asked.write_baseline is not None:
        from fastapi_lint.baseline import not_baselined
        from fastapi_lint.baseline import write_baseline as write_baseline_file

        with _writing(asked.write_baseline):
            count = write_baseline_file(asked.write_baseline, result)
        click.echo(
            f"Wrote {count} finding{'s' if count != 1 else ''} to {asked.write_baseline}.", err=True
        )
        left = not_baselined(result)
        for line in left:
            click.echo(f"not baselined: {line}", err=True)
        if left:
            click.echo(
                f"{len(left)} finding{'s' if len(left) != 1 else ''} cannot be baselined (a file "
                "that cannot be read or parsed, an internal error): mend them, or the next run "
                "with the baseline reports them.",
                err=True,
            )
        if has_internal_error(result.diagnostics):
            return EXIT_ERROR
        return EXIT_FINDINGS if left else EXIT_CLEAN
    if asked.add_noqa:
        added = sum(report.noqa_added for report in result.files)
        skipped = sum(report.noqa_skipped for report in result.files)
        click.echo(f"Added {added} noqa directive{'s' if added != 1 else ''}.", err=True)
        if skipped:
            click.echo(
                f"{skipped} finding(s) on lines that cannot take a comment were left as they are.",
                err=True,
            )
        return EXIT_ERROR if has_internal_error(result.diagnostics) else EXIT_CLEAN

    report_options = ReportOptions(
        unsafe_fixes=settings.unsafe_fixes,
        fix_mode=asked.fix,
        color=asked.output_file is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR"),
        show_summary=not asked.quiet,
    )
    if use_stdin and asked.fix:
        # The fixed code goes to stdout; what remains goes to stderr.
        sys.stdout.write(result.files[-1].fixed_text or stdin_text or "")
        sys.stdout.flush()
        text = _render(result, settings.output_format, asked.statistics, report_options)
        if result.count:
            click.echo(text, err=True, nl=False)
    else:
        text = _render(result, settings.output_format, asked.statistics, report_options)
        if asked.output_file is not None:
            with _writing(asked.output_file):
                asked.output_file.write_text(text, encoding="utf-8", errors="surrogateescape")
        else:
            click.echo(text, nl=False, color=report_options.color)

    if result.internal_error:
        return EXIT_ERROR
    if asked.exit_zero or not result.count:
        return EXIT_CLEAN
    return EXIT_FINDINGS


def _vouch(result: RunResult, progress: Progress | None) -> None:
    """Tells the output memo (memo.py) not to keep a run that showed progress (its output
    depends on time), met a file it could not read or parse, or failed."""
    from fastapi_lint.results import row_code  # (imported by the run already)

    unsure = (progress is not None and progress.shown) or bool(result.warnings)
    for report in result.files:
        if unsure:
            break
        if report.rows is not None:
            unsure = not _TOOL_CODES.isdisjoint(map(row_code, report.rows))
        else:
            unsure = any(diagnostic.code in TOOL_CODES for diagnostic in report.diagnostics)
    if unsure:
        sys.audit("fastapi_lint.unsure")


def _rows_only(asked: CheckChoices, output_format: str) -> bool:
    """Whether this run shows no more of its findings than rows (results.py): concise lines and
    the summary. Every other output, and anything that writes, needs whole diagnostics."""
    writes = asked.fix or asked.diff or asked.add_noqa or asked.write_baseline is not None
    return output_format == "concise" and not (
        asked.statistics or writes or asked.baseline_path is not None
    )


def _baseline(path: Path | None) -> Baseline | None:
    if path is None:
        return None
    from fastapi_lint.baseline import load_baseline  # only runs that use one pay for it

    baseline = load_baseline(path)
    if baseline.unmasked:
        click.echo(
            f"warning: {path} was written by an older fastapi-lint, which hashed the lines of "
            "secrets as written; it still applies. Rewrite it with `--write-baseline`.",
            err=True,
        )
    return baseline


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Around writing a file the user named (`-o`, `--write-baseline`): missing parent folders
    are created, as ruff does, and a failure is a clear error naming the file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


class Progress:
    """`Checking files: 120/480` on stderr, only on a terminal and after the first second."""

    DELAY = 1.0

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.started < self.DELAY:
            return
        sys.stderr.write(f"\rChecking files: {done}/{total}")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _overrides(asked: CheckChoices) -> Callable[[Settings], Settings]:
    """What the command line changes in any project's settings (validated once, here)."""
    chosen = _codes(asked.select, "--select") if asked.select else None
    more = _codes(asked.extend_select, "--extend-select") if asked.extend_select else ()
    dropped = _codes(asked.ignore, "--ignore") if asked.ignore else ()
    unsafe_fixes, output_format = asked.unsafe_fixes, asked.output_format

    def apply(settings: Settings) -> Settings:
        if chosen is not None:
            settings = replace(settings, select=chosen)
        if more:
            settings = replace(settings, extend_select=settings.extend_select + more)
        if dropped:
            settings = replace(settings, ignore=settings.ignore + dropped)
        if unsafe_fixes is not None:
            settings = replace(settings, unsafe_fixes=unsafe_fixes)
        if output_format:
            settings = replace(settings, output_format=output_format)
        return settings

    return apply


def _anchor(paths: tuple[Path, ...], stdin_filename: str | None, use_stdin: bool) -> Path:
    if use_stdin:
        return Path(stdin_filename).resolve().parent if stdin_filename else Path.cwd()
    from fastapi_lint.resolving import common_parent

    return common_parent(list(paths)) if paths else Path.cwd()


def _imposed_settings(config_path: Path | None, isolated: bool) -> tuple[Settings, Path]:
    """The settings of `--isolated` or `--config` (given one), for every file."""
    if isolated or config_path is None:
        return Settings(), Path.cwd().resolve()
    if config_path.is_dir():
        raise ConfigError(f"{config_path}: is a directory, not a configuration file")
    if not config_path.exists():
        raise ConfigError(f"{config_path}: no such configuration file")
    return load(config_path), config_path.resolve().parent


def _render(result: RunResult, output_format: str, statistics: bool, options) -> str:
    if statistics:
        return _statistics(result, options, output_format)
    return renderer(output_format)(result, options)


def _statistics(result: RunResult, options: ReportOptions, output_format: str) -> str:
    counts = Counter(d.code for d in result.diagnostics)
    names = {d.code: d.name for d in result.diagnostics}
    fixable = {d.code for d in result.diagnostics if options.fixable(d)}
    if output_format == "json":
        import json

        rows = [
            {"code": code, "name": names[code], "count": count, "fixable": code in fixable}
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
        return json.dumps(rows, indent=2) + "\n"
    width = max((len(str(count)) for count in counts.values()), default=1)
    lines = [
        f"{count:>{width}}\t{code}\t{'[*]' if code in fixable else '[ ]'} {names[code]}"
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    if output_format in HUMAN_FORMATS and options.show_summary and not lines:
        lines.append("All checks passed!")
    return "\n".join(lines) + "\n" if lines else ""


def _report_diff(result: RunResult) -> int:
    diffs = [report.diff for report in result.files if report.diff]
    fixed = sum(sum(report.fixed.values()) for report in result.files)
    for text in diffs:
        sys.stdout.write(text)
    sys.stdout.flush()
    left_out = sum(len(report.left_out) for report in result.files)
    if fixed:
        noun = "error" if fixed == 1 else "errors"
        click.echo(f"\nWould fix {fixed} {noun}.", err=True)
    elif not left_out:
        click.echo("No errors would be fixed.", err=True)
    if left_out:
        click.echo(f"Left out of the diff, as they would show a secret: {left_out}.", err=True)
    if has_internal_error(result.diagnostics):
        return EXIT_ERROR
    # --fix would change files also when the changes are left out of the diff (secrets)
    return EXIT_FINDINGS if fixed or left_out else EXIT_CLEAN


@main.command("rule")
@click.argument("key")
def rule_command(key: str) -> None:
    """Print the documentation of a rule (by code or name)."""
    from fastapi_lint.rules import rule_by_code_or_name
    from fastapi_lint.rules.base import FixAvailability

    rule = rule_by_code_or_name(key)
    if rule is None:
        click.echo(f"error: unknown rule `{key}` (see `fastapi-lint rules`)", err=True)
        sys.exit(EXIT_ERROR)
    availability = {
        FixAvailability.ALWAYS: "Fix is always available.",
        FixAvailability.SOMETIMES: "Fix is sometimes available.",
        FixAvailability.NONE: "Fix is not available.",
    }[rule.fix_availability]
    parts = [f"# {rule.name} ({rule.code})", "", availability, "", rule.documentation()]
    if rule.options:
        parts += ["", "## Option values"]
        for option in rule.options:
            parts.append(f"- `{option.name}` (default {_toml(option.default)}): {option.doc}")
    click.echo("\n".join(parts))


@main.command("rules")
def rules_command() -> None:
    """List every rule: code, name, fix availability, on by default, summary.

    Fix: `fix` when every finding has a fix, `fix?` when some do, `-` when none;
    `fastapi-lint rule CODE` says which, and whether the fix is safe.
    """
    from fastapi_lint.rules import all_rules
    from fastapi_lint.rules.base import FixAvailability

    click.echo(f"{'Code':<6}  {'Name':<32} {'Fix':<5} {'On':<4} Summary")
    for rule in all_rules():
        fix = {
            FixAvailability.ALWAYS: "fix",
            FixAvailability.SOMETIMES: "fix?",
            FixAvailability.NONE: "-",
        }[rule.fix_availability]
        default = "on" if rule.default_enabled else "off"
        click.echo(f"{rule.code}  {rule.name:<32} {fix:<5} {default:<4} {rule.summary}")
    click.echo(
        "\nFix: `fix` every finding has a fix, `fix?` some do, `-` none. On: on by default.\n"
        "`fastapi-lint rule CODE` explains a rule and whether its fix is safe."
    )


@main.command("server")
def server_command() -> None:
    """Run the language server over stdio (for editors)."""
    try:
        from fastapi_lint.server import serve
    except ImportError as exc:
        missing = (exc.name or "pygls").split(".")[0]
        click.echo(
            f"fastapi-lint: the language server needs the `server` extra ({missing} is missing):"
            " pip install 'fastapi-lint[server]'",
            err=True,
        )
        sys.exit(EXIT_ERROR)
    serve()


@main.command("version")
def version_command() -> None:
    """Print the version."""
    click.echo(f"fastapi-lint {__version__}")


def _toml(value) -> str:
    """A default as it is written in pyproject.toml (`[]`, `true`, `"x"`), not as Python."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)
