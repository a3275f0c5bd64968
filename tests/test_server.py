"""`fastapi-lint server` end to end: a real LSP client (pytest-lsp) drives the server process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
from lsprotocol import types
from pytest_lsp import make_test_lsp_client

PUBLISHED = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
TIMEOUT = 20  # seconds: a server that never answers fails the test instead of hanging it

# FAL301 (unsafe fix, edits over several lines), two FAL202 (safe fixes), the second one after
# an emoji: code point column 13, UTF-16 column 14, UTF-8 column 16.
CODE = """\
from sqlalchemy.ext.asyncio import AsyncSession


async def handler(session: AsyncSession, tags: list[str] = []) -> None:
    session.execute("x")
    x = "\U0001f600"; session.commit()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    return tmp_path


@contextlib.asynccontextmanager
async def server(root: Path, encodings: list[str] | None = None):
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "fastapi_lint", "server")
    general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(general=general),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="demo")],
        )
    )
    client.init_result = result
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


async def open_document(client, path: Path, text: str) -> list[types.Diagnostic]:
    uri = path.as_uri()
    waiting = client.wait_for_notification(PUBLISHED)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    await asyncio.wait_for(waiting, TIMEOUT)
    return list(client.diagnostics[uri])


async def replace_text(client, path: Path, text: str, version: int) -> list[types.Diagnostic]:
    uri = path.as_uri()
    waiting = client.wait_for_notification(PUBLISHED)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await asyncio.wait_for(waiting, TIMEOUT)
    return list(client.diagnostics[uri])


async def actions(client, path: Path, line: int, only: list[str] | None = None):
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            range=types.Range(types.Position(line, 0), types.Position(line, 0)),
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
    )


async def changed_on_disk(client, path: Path) -> None:
    """Tell the server a file changed (as a client's file watcher does); wait for the re-check."""
    waiting = client.wait_for_notification(PUBLISHED)
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=path.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await asyncio.wait_for(waiting, TIMEOUT)


async def hover_at(client, path: Path, line: int, character: int):
    return await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=path.as_uri()),
            position=types.Position(line, character),
        )
    )


def apply(text: str, action: types.CodeAction) -> str:
    """The client's side: apply a code action's edits (UTF-16 positions) to the document."""
    (change,) = action.edit.document_changes
    pieces = re.split(r"(\r\n|\r|\n)", text)
    lines = [
        pieces[i] + (pieces[i + 1] if i + 1 < len(pieces) else "") for i in range(0, len(pieces), 2)
    ]

    def offset(position: types.Position) -> int:
        before = sum(len(line) for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for index, character in enumerate(line):
            if units >= position.character:
                return before + index
            units += 2 if ord(character) > 0xFFFF else 1
        return before + len(line)

    for edit in sorted(change.edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def by_code(diagnostics, code: str) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == code]


@pytest.mark.asyncio
async def test_diagnostics_on_open_and_change(project: Path):
    path = project / "app" / "routes.py"
    async with server(project) as client:
        assert client.init_result.capabilities.position_encoding == "utf-16"
        found = await open_document(client, path, CODE)
        assert sorted(d.code for d in found) == ["FAL202", "FAL202", "FAL301"]
        first = by_code(found, "FAL202")[0]
        assert first.source == "fastapi-lint"
        assert first.severity == types.DiagnosticSeverity.Warning
        assert first.code_description is None  # no made-up web page: the hover has the docs
        # after the emoji: UTF-16 counts it as two units
        after_emoji = by_code(found, "FAL202")[1]
        assert after_emoji.range.start == types.Position(5, 14)
        assert after_emoji.range.end == types.Position(5, 30)

        fixed = CODE.replace('    session.execute("x")\n', "")
        updated = await replace_text(client, path, fixed, 2)
        assert sorted(d.code for d in updated) == ["FAL202", "FAL301"]
        assert by_code(updated, "FAL202")[0].range.start == types.Position(4, 14)


@pytest.mark.asyncio
async def test_an_incremental_change_after_an_emoji_on_a_crlf_document(project: Path):
    path = project / "app" / "routes.py"
    async with server(project) as client:
        await open_document(client, path, CODE.replace("\n", "\r\n"))
        waiting = client.wait_for_notification(PUBLISHED)
        at = types.Position(5, 14)  # UTF-16: just after `"😀"; `
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=types.Range(at, at), text="await ")
                ],
            )
        )
        await asyncio.wait_for(waiting, TIMEOUT)
        remaining = client.diagnostics[path.as_uri()]
        assert sorted((d.code, d.range.start.line) for d in remaining) == [
            ("FAL202", 4),
            ("FAL301", 3),
        ]


@pytest.mark.asyncio
async def test_utf8_position_encoding_is_negotiated(project: Path):
    path = project / "app" / "routes.py"
    async with server(project, encodings=["utf-8", "utf-16"]) as client:
        assert client.init_result.capabilities.position_encoding == "utf-8"
        found = await open_document(client, path, CODE)
        assert by_code(found, "FAL202")[1].range.start == types.Position(5, 16)


@pytest.mark.asyncio
async def test_quick_fixes_safe_and_unsafe_on_a_crlf_document(project: Path):
    path = project / "app" / "routes.py"
    text = CODE.replace("\n", "\r\n")
    async with server(project) as client:
        found = await open_document(client, path, text)
        assert by_code(found, "FAL202")[1].range.start == types.Position(5, 14)

        on_emoji_line = await actions(client, path, 5)
        (fix,) = [a for a in on_emoji_line if a.title.startswith("fastapi-lint (FAL202)")]
        assert fix.is_preferred and fix.kind == types.CodeActionKind.QuickFix
        assert apply(text, fix) == text.replace("; session.commit", "; await session.commit")

        on_def_line = await actions(client, path, 3)
        (unsafe,) = [a for a in on_def_line if a.title.startswith("fastapi-lint (FAL301)")]
        assert unsafe.title.endswith("(unsafe)") and not unsafe.is_preferred
        result = apply(text, unsafe)
        assert "\n" not in result.replace("\r\n", "")  # every inserted line ends with CRLF
        assert "tags: list[str] | None = None) -> None:\r\n    if tags is None:\r\n" in result
        assert "        tags = []\r\n    session.execute" in result


@pytest.mark.asyncio
async def test_a_quick_fix_removes_the_import_it_leaves_unused_as_fix_does(project: Path):
    path = project / "app" / "clock.py"
    text = "import time\n\n\nasync def wait() -> None:\n    time.sleep(1)\n"
    async with server(project) as client:
        await open_document(client, path, text)
        (fix,) = [a for a in await actions(client, path, 4) if "(FAL201)" in a.title]
        assert apply(text, fix) == (
            "import asyncio\n\n\nasync def wait() -> None:\n    await asyncio.sleep(1)\n"
        )


@pytest.mark.asyncio
async def test_fix_all_applies_safe_fixes_only(project: Path):
    path = project / "app" / "routes.py"
    async with server(project) as client:
        await open_document(client, path, CODE)
        (fix_all,) = await actions(client, path, 0, only=["source.fixAll"])
        assert fix_all.kind == "source.fixAll.fastapi-lint"
        assert fix_all.title == "Fix all fastapi-lint (safe)"
        result = apply(CODE, fix_all)
        assert result == CODE.replace("session.", "await session.")  # FAL301 is unsafe
        remaining = await replace_text(client, path, result, 2)
        assert [d.code for d in remaining] == ["FAL301"]


@pytest.mark.asyncio
async def test_fix_all_includes_unsafe_fixes_where_the_project_allows_them(project: Path):
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\nunsafe-fixes = true\n")
    path = project / "app" / "routes.py"
    async with server(project) as client:
        await open_document(client, path, CODE)
        (fix_all,) = await actions(client, path, 0, only=["source.fixAll.fastapi-lint"])
        assert "unsafe" in fix_all.title.replace("(safe)", "")
        assert "if tags is None:" in apply(CODE, fix_all)


@pytest.mark.asyncio
async def test_noqa_action_adds_and_extends_a_comment(project: Path):
    path = project / "app" / "routes.py"
    text = CODE.replace("-> None:\n", "-> None:  # noqa: E501\n")
    async with server(project) as client:
        await open_document(client, path, text)
        (noqa,) = [a for a in await actions(client, path, 3) if a.title.startswith("Disable")]
        assert noqa.title == "Disable FAL301 for this line"
        result = apply(text, noqa)
        assert "-> None:  # noqa: E501, FAL301\n" in result
        remaining = await replace_text(client, path, result, 2)
        assert sorted(d.code for d in remaining) == ["FAL202", "FAL202"]
        (noqa,) = [a for a in await actions(client, path, 4) if a.title.startswith("Disable")]
        assert '    session.execute("x")  # noqa: FAL202\n' in apply(result, noqa)


@pytest.mark.asyncio
async def test_an_excluded_file_shows_nothing(project: Path):
    (project / "pyproject.toml").write_text(
        '[tool.fastapi-lint]\nextend-exclude = ["app/gen_*.py"]\n'
    )
    async with server(project) as client:
        assert await open_document(client, project / "app" / "gen_routes.py", CODE) == []
        assert len(await open_document(client, project / "app" / "routes.py", CODE)) == 3


@pytest.mark.asyncio
async def test_hover_shows_the_rule_documentation(project: Path):
    path = project / "app" / "routes.py"
    async with server(project) as client:
        await open_document(client, path, CODE)
        hover = await hover_at(client, path, 4, 8)
        assert hover.contents.kind == types.MarkupKind.Markdown
        assert hover.contents.value.startswith("**FAL202** `unawaited-session-call`")
        assert "## What it does" in hover.contents.value
        assert hover.contents.value.endswith("With examples: `fastapi-lint rule FAL202`")
        nothing = await hover_at(client, path, 0, 0)
        assert nothing is None


@pytest.mark.asyncio
async def test_syntax_error_is_reported_and_the_server_stays_up(project: Path):
    path = project / "app" / "broken.py"
    async with server(project) as client:
        found = await open_document(client, path, "def broken(:\n    pass\n")
        (error,) = found
        assert error.code == "FAL001"
        assert error.severity == types.DiagnosticSeverity.Error
        assert not await actions(client, path, 0)
        repaired = await replace_text(client, path, CODE, 2)
        assert sorted(d.code for d in repaired) == ["FAL202", "FAL202", "FAL301"]


@pytest.mark.asyncio
async def test_broken_pyproject_is_shown_and_reloaded_when_fixed(project: Path):
    pyproject = project / "pyproject.toml"
    pyproject.write_text("[tool.fastapi-lint\nselect = [\n")
    path = project / "app" / "routes.py"
    async with server(project) as client:
        assert await open_document(client, path, CODE) == []
        (message,) = client.messages
        assert message.type == types.MessageType.Error
        assert "pyproject.toml" in message.message and "invalid TOML" in message.message

        pyproject.write_text('[project]\nname = "demo"\n[tool.fastapi-lint]\nignore = ["FAL301"]\n')
        await changed_on_disk(client, pyproject)
        assert sorted(d.code for d in client.diagnostics[path.as_uri()]) == ["FAL202", "FAL202"]


@pytest.mark.asyncio
async def test_shutdown_and_exit(project: Path):
    async with server(project) as client:
        await open_document(client, project / "app" / "routes.py", CODE)
        process = client._server
    assert process.returncode == 0


@pytest.mark.asyncio
async def test_a_module_changed_on_disk_updates_the_project_index(project: Path):
    db = project / "app" / "db.py"
    db.write_text("Session = int\n")
    path = project / "app" / "use.py"
    code = "from app.db import Session\n\n\nasync def handler(session: Session) -> None:\n"
    code += "    session.commit()\n"
    async with server(project) as client:
        assert await open_document(client, path, code) == []
        db.write_text("from sqlalchemy.ext.asyncio import AsyncSession\n\nSession = AsyncSession\n")
        await changed_on_disk(client, db)
        assert [d.code for d in client.diagnostics[path.as_uri()]] == ["FAL202"]


@pytest.mark.asyncio
async def test_saving_a_module_rechecks_the_open_files_of_its_project(project: Path):
    db, use = project / "app" / "db.py", project / "app" / "use.py"
    db.write_text("Session = int\n")
    code = "from app.db import Session\n\n\nasync def handler(session: Session) -> None:\n"
    code += "    session.commit()\n"
    async with server(project) as client:
        assert await open_document(client, use, code) == []
        await open_document(client, db, "Session = int\n")
        alias = "from sqlalchemy.ext.asyncio import AsyncSession\n\nSession = AsyncSession\n"
        await replace_text(client, db, alias, 2)
        assert client.diagnostics[use.as_uri()] == ()  # not re-checked on every keystroke
        db.write_text(alias)
        waiting = client.wait_for_notification(PUBLISHED)
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(db.as_uri()))
        )
        await asyncio.wait_for(waiting, TIMEOUT)  # the saved file itself
        while not client.diagnostics[use.as_uri()]:
            await asyncio.wait_for(client.wait_for_notification(PUBLISHED), TIMEOUT)
        assert [d.code for d in client.diagnostics[use.as_uri()]] == ["FAL202"]


def test_server_without_the_extra_says_how_to_install_it(monkeypatch):
    from click.testing import CliRunner

    from fastapi_lint.cli import main

    monkeypatch.delitem(sys.modules, "fastapi_lint.server", raising=False)
    monkeypatch.setitem(sys.modules, "pygls", None)  # what a missing package looks like
    result = CliRunner().invoke(main, ["server"])
    assert result.exit_code == 2
    assert "pip install 'fastapi-lint[server]'" in result.output
    assert "pygls is missing" in result.output


SECRET = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
PASSWORD = "hunter2-but-longer"


@pytest.mark.asyncio
async def test_secrets_are_masked_in_everything_the_client_shows(project: Path):
    path = project / "app" / "settings.py"
    code = (
        f'GITHUB_TOKEN = "{SECRET}"\nDB_URL = "postgresql://admin:{PASSWORD}@db.acme-corp.io/app"\n'
    )
    async with server(project) as client:
        found = await open_document(client, path, code)
        assert sorted(d.code for d in found) == ["FAL401", "FAL402"]
        offered = await actions(client, path, 0) + await actions(client, path, 1)
        assert any(a.title.startswith("fastapi-lint (FAL401)") for a in offered)
        hover = await hover_at(client, path, 0, 20)
    shown = repr(found) + repr([(a.title, a.diagnostics) for a in offered]) + repr(hover)
    assert SECRET not in shown and PASSWORD not in shown
    assert "gh***" in shown


def test_a_crashing_rule_gives_fal002_and_a_failing_check_too(project: Path, monkeypatch):
    from fastapi_lint import server as server_module
    from fastapi_lint.rules.models import MutableDefaultArgument
    from fastapi_lint.runner import Options

    path = project / "app" / "routes.py"
    instance = server_module.FastapiLintServer()

    def crash(self, node):
        raise ValueError("boom")

    monkeypatch.setattr(MutableDefaultArgument, "visit_AsyncFunctionDef", crash, raising=False)
    report = instance._report(path, CODE, Options(stdin_filename=str(path)))
    assert sorted(d.code for d in report.diagnostics) == ["FAL002", "FAL202", "FAL202"]

    def fail(*args, **kwargs):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(server_module, "check_text", fail)
    report = instance._report(path, CODE, Options(stdin_filename=str(path)))
    (error,) = report.diagnostics
    assert error.code == "FAL002" and "RuntimeError: engine bug" in error.message


def test_the_server_finds_what_the_cli_finds(tmp_path: Path):
    """One engine: the demo application's files, as unsaved text, give the CLI's findings."""
    from click.testing import CliRunner

    from fastapi_lint.cli import main
    from fastapi_lint.runner import Options
    from fastapi_lint.server import FastapiLintServer
    from harness import FIXTURES

    demo = tmp_path / "demo_app"
    shutil.copytree(FIXTURES / "demo_app", demo)
    instance = FastapiLintServer()
    seen = set()
    for path in sorted(demo.rglob("*.py")):
        report = instance._report(path, path.read_text(), Options(stdin_filename=str(path)))
        seen |= {(path.name, d.line, d.column + 1, d.code) for d in report.diagnostics}
    result = CliRunner().invoke(
        main, ["check", str(demo), "--output-format", "json", "--no-cache"], catch_exceptions=False
    )
    cli = {
        (
            Path(item["filename"]).name,
            item["location"]["row"],
            item["location"]["column"],
            item["code"],
        )
        for item in json.loads(result.output)
    }
    assert len(cli) > 5
    assert seen == cli
