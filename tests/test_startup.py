"""What starting the command imports: only what the run asked for needs, when it needs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

# Prints the modules a command imported, whatever way it exits.
_RUN = """
import json, sys
from fastapi_lint.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
sys.stdout.flush()
print("\\n" + json.dumps(sorted(sys.modules)))
"""


# Files and folders changed just now count as settled (the walk memo and the caches trust
# their status at once): its modules are imported by every run.
_SETTLED = (
    "import fastapi_lint.cache as c, fastapi_lint.discovery as d\nc._FRESH_NS = d._FRESH_NS = 0\n"
)


def imported(*args: str, cwd: Path | None = None, settled: bool = False) -> set[str]:
    env = {**os.environ, "FASTAPI_LINT_JOBS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", (_SETTLED if settled else "") + _RUN, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=True,
    )
    return set(json.loads(done.stdout.rstrip().rpartition("\n")[2]))


def heavy(modules: set[str], *names: str) -> list[str]:
    return sorted(m for m in modules if m in names or m.startswith(tuple(n + "." for n in names)))


def test_importing_the_command_line_imports_no_run():
    modules = imported("--version")
    unwanted = heavy(
        modules,
        "packaging",
        "pathspec",
        "tomllib",
        "multiprocessing",
        "pickle",
        "libcst",
        "fastapi_lint.runner",
        "fastapi_lint.pipeline",
        "fastapi_lint.engine",
        "fastapi_lint.rules",
        "fastapi_lint.semantic",
        "fastapi_lint.discovery",
        "fastapi_lint.dependencies",
        "fastapi_lint.metadata",
        "fastapi_lint.reporters.concise",
        "fastapi_lint.reporters.sarif",
    )
    assert unwanted == []


def test_a_small_check_imports_no_workers_and_only_its_reporter(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\ndependencies = ["fastapi", "pydantic>=2", "pydantic-settings"]\n'
    )
    (tmp_path / "app.py").write_text(textwrap.dedent("def f(x=[]):\n    return x\n"))
    modules = imported("check", "app.py", "--output-format", "json", cwd=tmp_path)
    assert "fastapi_lint.reporters.json_report" in modules  # it did run and report
    assert "fastapi_lint.metadata" in modules  # `pydantic>=2` was read
    unwanted = heavy(
        modules,
        "multiprocessing",
        "pickle",
        "packaging",  # a plain requirement is split, and its `>=2` read, without it
        "fastapi_lint.reporters.concise",
        "fastapi_lint.reporters.sarif",
        "fastapi_lint.reporters.junit",
    )
    assert unwanted == []


def test_requirements_are_parsed_only_when_one_may_be_pydantic(tmp_path):
    from fastapi_lint.dependencies import project_pydantic

    def major(*requirements: str) -> int | None:
        return project_pydantic(tmp_path, {"project": {"dependencies": list(requirements)}})

    assert major("fastapi", "pydantic-settings>=2", "pydantic_core<2") is None
    assert major("fastapi", " PyDantic[email] >=1.10,<2 ; python_version>'3.8'") == 1
    assert major("pydantic>=2", "pydantic.v1<2") == 2  # `pydantic.v1` is another name
    assert major("pydantic>=1.10,<3") is None  # both majors


def test_settings_without_rule_options_load_no_rule(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.fastapi-lint]\nsrc = ["."]\n')
    script = (
        "import json, sys; from pathlib import Path; from fastapi_lint.config import load;"
        f"load(Path({str(tmp_path / 'pyproject.toml')!r}));"
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    modules = set(json.loads(done.stdout))
    # (A rule's options, or codes to check against the registry, need the rules.)
    assert heavy(modules, "fastapi_lint.rules.security", "fastapi_lint.semantic") == []


def test_plain_requirements_read_here_as_packaging_reads_them():
    from packaging.requirements import InvalidRequirement, Requirement

    from fastapi_lint.metadata import _PLAIN, _admits_some, _requirement

    prefixes = [(1,), (2,), (3,), (1, 10), (2, 0), (2, 5)]
    plain = 0
    names = ["pydantic", "Pydantic", "py-dantic", "pydantic_core", "-bad", "a.", "x"]
    extras = ["", "[email]", "[ email , timezone ]", "[]", "[bad extra]", "[a,]"]
    specs = [
        "",
        ">=2",
        " >= 2 ",
        ">=1.10,<3",
        ">=1.10 , <3",
        "==2.*",
        "~=2.5",
        "!=2.0.0,>1",
        "==v2",
        ">=2,",
        "=>2",
        "==2.*.1",
        "<2a1",
        "===2.0",
        "(>=2)",
        ">=2; python_version>'3.8'",
        "@ https://example.com/p.whl",
        " >=2 junk",
    ]
    for name in names:
        for extra in extras:
            for spec in specs:
                text = f"{name}{extra}{spec}"
                try:  # the name, and which majors and minors the specifier admits
                    parsed = Requirement(text)
                    admits = [_admits_some(parsed.specifier, prefix) for prefix in prefixes]
                    expected = (parsed.name, admits)
                except InvalidRequirement:
                    expected = None
                found = _requirement(text)
                assert (found and (found[0], [found[1](p) for p in prefixes])) == expected, text
                plain += _PLAIN.fullmatch(text) is not None
    assert plain > 100  # the split here, not only packaging's, was compared


def test_importing_the_run_and_every_rule_compiles_no_pattern_of_ours():
    """Module-level patterns compile when first used (lazy_re.py): a warm run, which takes its
    findings from the cache, runs almost none of them."""
    script = textwrap.dedent(
        """
        import json, re, sys
        ours = []
        real = re._compile

        def compiling(pattern, flags):
            caller = sys._getframe(1)
            while caller is not None and caller.f_code.co_filename.startswith(
                re.__file__.rpartition("/")[0]
            ):
                caller = caller.f_back
            if caller is not None and "fastapi_lint" in caller.f_code.co_filename:
                ours.append(caller.f_code.co_filename)
            return real(pattern, flags)

        re._compile = compiling
        import fastapi_lint.cli, fastapi_lint.runner, fastapi_lint.checking
        import fastapi_lint.reporters.concise, fastapi_lint.suppression
        from fastapi_lint.rules import all_rules
        all_rules()
        print(json.dumps(sorted(set(ours))))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_a_lazy_pattern_is_the_compiled_one():
    import re

    from fastapi_lint import lazy_re

    lazy = lazy_re.compile(r"(?P<word>[a-z]+)(\d*)", re.IGNORECASE)
    compiled = re.compile(r"(?P<word>[a-z]+)(\d*)", re.IGNORECASE)
    text = "Abc12 de 3"
    for _ in range(2):  # the first use compiles it, the second uses what it bound
        assert lazy.match(text).groups() == compiled.match(text).groups()
        assert lazy.fullmatch("ab1").group("word") == "ab"
        assert lazy.search(" x").span() == compiled.search(" x").span()
        assert lazy.findall(text) == compiled.findall(text)
        assert [m.span() for m in lazy.finditer(text)] == [
            m.span() for m in compiled.finditer(text)
        ]
        assert lazy.sub("-", text) == compiled.sub("-", text)
        assert lazy.split(text) == compiled.split(text)
        assert (lazy.pattern, lazy.flags, lazy.groups) == (compiled.pattern, compiled.flags, 2)
        assert lazy.groupindex == compiled.groupindex
    # copied or pickled (a worker that is spawned, not forked), before or after its first use
    import copy
    import pickle

    for pattern in (lazy, lazy_re.compile(r"(?P<word>[a-z]+)(\d*)", re.IGNORECASE)):
        for again in (pickle.loads(pickle.dumps(pattern)), copy.copy(pattern)):
            assert again.findall(text) == compiled.findall(text)


def test_a_warm_run_imports_no_rule_and_no_fixing(tmp_path):
    """Every result comes from the cache: the engine, the rules, the exclude patterns' matcher
    and what fixes, diffs or fingerprints findings are imported by the runs that need them."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (tmp_path / "app.py").write_text("def f(x=[]):\n    return x\n")
    (tmp_path / "clean.py").write_text("x = 1\n")
    cold = imported("check", ".", cwd=tmp_path)
    assert "fastapi_lint.engine" in cold and "fastapi_lint.rules.models" in cold
    imported("check", ".", cwd=tmp_path, settled=True)  # the walk remembered as it is now
    for output_format in ("concise", "json"):
        warm = imported("check", ".", "--output-format", output_format, cwd=tmp_path, settled=True)
        assert (
            f"fastapi_lint.reporters.{'json_report' if output_format == 'json' else 'concise'}"
            in warm
        )
        unwanted = heavy(
            warm,
            "fastapi_lint.engine",
            "fastapi_lint.rules",
            "fastapi_lint.diffs",
            "fastapi_lint.fingerprints",
            "fastapi_lint.add_noqa",
            "fastapi_lint.writing",
            "pathspec",  # no pattern is matched: the walk is the one remembered
            "tempfile",  # no cache is written: nothing changed
        )
        if output_format == "concise":  # (JSON shows each fix's final edits: fixes.py)
            unwanted += heavy(warm, "fastapi_lint.fixes", "fastapi_lint.fix_imports")
        assert unwanted == [], output_format


def test_a_run_that_writes_the_cache_imports_no_tempfile(tmp_path):
    """An edit of one file rewrites its results: the cache's temporary files are made without
    `tempfile` (which brings shutil, random, bz2 and lzma)."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (tmp_path / "app.py").write_text("def f(x=[]):\n    return x\n")
    imported("check", ".", cwd=tmp_path, settled=True)
    (tmp_path / "app.py").write_text("def f(x={}):\n    return x\n")
    edited = imported("check", ".", cwd=tmp_path, settled=True)
    assert "fastapi_lint.engine" in edited  # it linted the file, and wrote its results
    assert list((tmp_path / ".fastapi_lint_cache").glob("results-*")) != []
    assert heavy(edited, "tempfile", "shutil") == []
    assert list((tmp_path / ".fastapi_lint_cache").glob("*.tmp")) == []


def test_plain_lower_and_upper_bounds_are_read_without_packaging():
    """`>=` and `<` clauses on plain releases (`pydantic>=2`, `>=3.11`) are an interval read
    here, as packaging reads them, without importing it (15 ms of each run)."""
    script = textwrap.dedent(
        """
        import json, sys
        from fastapi_lint.metadata import oldest_python, pydantic_major
        found = [pydantic_major(["pydantic>=2"]), pydantic_major(["fastapi", "pydantic <2.0"])]
        found += [oldest_python(">=3.11"), oldest_python(">= 3.9.2, <4")]
        print(json.dumps([found, "packaging" in sys.modules]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert json.loads(done.stdout) == [[2, 1, [3, 11], [3, 9]], False], done.stderr
    from packaging.specifiers import SpecifierSet

    from fastapi_lint.metadata import _admits_some, _interval, _interval_admits

    releases = ["0", "1", "1.0", "1.10", "1.10.2", "2", "2.0.0", "2.5", "3", "3.9", "3.11.4", "4"]
    clauses = [f"{op}{release}" for op in (">=", "<", " >= ", "< ") for release in releases]
    prefixes = [(major,) for major in range(5)] + [(3, minor) for minor in range(13)]
    specifiers = ["", *clauses, *(f"{a},{b}" for a in clauses[:24] for b in clauses[12:])]
    for text in specifiers:
        interval = _interval(text)
        assert interval is not None, text
        for prefix in prefixes:
            expected = _admits_some(SpecifierSet(text), prefix)
            assert _interval_admits(interval, prefix) == expected, (text, prefix)
    for other in ("==2.*", "~=2.5", ">2", "<=2", "!=2", ">=2a1", ">=2.*", ">=v2", ">=2,,<3"):
        assert _interval(other) is None, other  # packaging reads these
