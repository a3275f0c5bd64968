"""`fastapi-lint server`: a language server over stdio, built on pygls.

Every open document is checked as its unsaved text by the engine of `fastapi-lint check`
(`runner.check_text`, the path of `--stdin-filename`), with the settings of its project and that
project's index, built once and kept warm: a saved or changed project file updates its module's
facts, a changed pyproject.toml reloads the settings. Positions are converted to the encoding
negotiated with the client (see lsp_positions.py).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import gc
import logging
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from fastapi_lint import __version__
from fastapi_lint.add_noqa import add_noqa
from fastapi_lint.cache import cache_folder, chosen_cache_dir
from fastapi_lint.config import ConfigError
from fastapi_lint.diagnostics import INTERNAL_ERROR, TOOL_CODES, Applicability, Diagnostic, Edit
from fastapi_lint.lsp_positions import (
    client_position,
    minimal_edit,
    offset_position,
)
from fastapi_lint.parsing import parse
from fastapi_lint.projects import Project, Projects
from fastapi_lint.redaction import secret_texts, shows_secret
from fastapi_lint.results import FileReport
from fastapi_lint.rules import rule_by_code_or_name
from fastapi_lint.runner import Options, check_text, index_project
from fastapi_lint.semantic.facts import extract
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.source import DecodeError, LineIndex, SourceFile, _newline, normalize_newlines

SOURCE = "fastapi-lint"
FIX_ALL_KIND = "source.fixAll.fastapi-lint"
FIX_ALL = "Fix all fastapi-lint (safe)"
FIX_ALL_UNSAFE = "Fix all fastapi-lint (safe and unsafe: the project sets `unsafe-fixes`)"
DEBOUNCE_SECONDS = 0.05  # a burst of keystrokes is checked once, after the last
# LSP tags: a Pydantic v1 API is deprecated in v2
TAGS = {code: [types.DiagnosticTag.Deprecated] for code in ("FAL501", "FAL502", "FAL503")}

logger = logging.getLogger(__name__)


@dataclass
class Checked:
    """The last check of a document: what the client's text was and what was found in it."""

    raw: str  # as the client holds it
    text: str  # `\n` newlines: what the engine saw
    report: FileReport
    lines: LineIndex = field(init=False)

    def __post_init__(self) -> None:
        self.lines = LineIndex(self.text)

    @property
    def newline(self) -> str:
        return _newline(self.raw)


class FastapiLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "fastapi-lint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
        )
        self.projects = Projects()
        self.indexes: dict[Project, ProjectIndex] = {}
        self.checked: dict[str, Checked] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.errors_shown: set[str] = set()

    # -- checking ------------------------------------------------------------------------------
    @property
    def encoding(self) -> str:
        negotiated = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        return str(getattr(negotiated, "value", negotiated))

    def current(self, uri: str) -> Checked | None:
        """The check of the document's text as it is now (checked again if it changed)."""
        document = self.workspace.get_text_document(uri)
        checked = self.checked.get(uri)
        if checked is None or checked.raw != document.source:
            checked = self.check(uri)
        return checked

    def checks(self, uri: str) -> bool:
        """Whether the document is Python on disk (an untitled buffer has no project)."""
        path = to_fs_path(uri)
        if path is None:
            return False
        document = self.workspace.get_text_document(uri)
        return document.language_id == "python" or Path(path).suffix in (".py", ".pyi")

    def check(self, uri: str) -> Checked | None:
        """Check the document and publish its diagnostics; None when its settings are broken or
        it is not a Python file."""
        if not self.checks(uri):
            return None
        document = self.workspace.get_text_document(uri)
        path = to_fs_path(uri)
        name = Path(path)
        raw = document.source
        text = normalize_newlines(raw)
        try:
            # the quick fixes' edits are made with the check, as `--fix` makes them
            report = self._report(name, text, Options(stdin_filename=path, fix_edits=True))
        except ConfigError as exc:
            self.checked.pop(uri, None)
            self._show_error(str(exc))
            self._publish(uri, document.version, [])
            return None
        checked = Checked(raw, text, report)
        self.checked[uri] = checked
        self._publish(
            uri, document.version, [self._diagnostic(d, checked) for d in report.diagnostics]
        )
        return checked

    def _report(self, name: Path, text: str, options: Options) -> FileReport:
        project = self.projects.project_of(name.resolve())
        settings = self.projects.settings(project)  # a broken file raises ConfigError
        if self.projects.excluder(project).excluded(name, False):
            # as `check --force-exclude` (pre-commit): an excluded file shows nothing
            return FileReport(path=str(name), source_text=text)
        index = self.indexes.get(project)
        if index is None:
            folder = cache_folder(project.root, chosen_cache_dir(None, settings.cache_dir))
            index = index_project(project, self.projects, folder, settings.max_file_size)
            self.indexes[project] = index
            # The warm index is long-lived and holds no cycles: keep the cycle collector from
            # rescanning it on every keystroke's garbage.
            gc.freeze()
        try:
            report, _ = check_text(name, text, self.projects, options, index)
        except Exception as exc:  # a bug must not end the session: this document says so
            logger.exception("checking %s failed", name)
            report = FileReport(path=str(name), source_text=text)
            report.diagnostics.append(_internal_error(str(name), exc))
        return report

    def _publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics)
        )

    def _show_error(self, message: str) -> None:
        if message in self.errors_shown:
            return  # once per distinct problem, not on every keystroke
        self.errors_shown.add(message)
        self.window_show_message(
            types.ShowMessageParams(
                type=types.MessageType.Error, message=f"fastapi-lint: {message}"
            )
        )

    def schedule(self, uri: str) -> None:
        """Check the document after a short pause; a newer change restarts the pause."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._check_later(uri))

    async def _check_later(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self.pending.pop(uri, None)
        with contextlib.suppress(KeyError):  # closed meanwhile
            self.current(uri)

    def recheck_open(self, project: Project | None = None, skip: str = "") -> None:
        """Check the open documents again (of one project only, when given)."""
        for uri in list(self.workspace.text_documents):
            if uri == skip:
                continue
            path = to_fs_path(uri)
            if path is None or not self.checks(uri):
                continue
            try:
                ours = project is None or self.projects.project_of(Path(path).resolve()) == project
            except ConfigError:
                ours = True  # its check shows the problem
            if ours:
                self.check(uri)

    # -- the project index ---------------------------------------------------------------------
    def reload_settings(self) -> None:
        """A pyproject.toml changed: settings, projects and indexes are found again."""
        self.projects = Projects()
        self.indexes.clear()
        self.errors_shown.clear()
        self.recheck_open()

    def file_changed(self, path: Path, deleted: bool) -> Project | None:
        """Update the warm index of the project of a module that changed on disk; the project
        affected, if its index was built."""
        resolved = path.resolve()
        try:
            return self._update_index(path, resolved, deleted)
        except ConfigError:  # shown when a document of that project is checked
            return None

    def _update_index(self, path: Path, resolved: Path, deleted: bool) -> Project | None:
        project = self.projects.project_of(resolved)
        index = self.indexes.get(project)
        if index is None:
            return None
        if deleted:
            del self.indexes[project]  # rebuilt (from the cache) by the next check
            return project
        if any(to_fs_path(uri) == str(path) for uri in self.workspace.text_documents):
            return project  # an open document: its unsaved text already stands for it
        try:
            tree = parse(SourceFile.decode(resolved.read_bytes()).text, str(path))
        except (OSError, DecodeError):
            return project
        if not isinstance(tree, ast.Module):
            return project  # unreadable now: the index keeps what it knew
        primary, package, names = self.projects.module_names(resolved, project)
        with contextlib.suppress(RecursionError):
            index.add(extract(tree, primary, package), names)
            index.expand_stars()
        return project

    # -- diagnostics ---------------------------------------------------------------------------
    def _diagnostic(self, diagnostic: Diagnostic, checked: Checked) -> types.Diagnostic:
        encoding = self.encoding
        start = client_position(checked.lines, diagnostic.line, diagnostic.column, encoding)
        end = client_position(checked.lines, diagnostic.end_line, diagnostic.end_column, encoding)
        broken = diagnostic.code in TOOL_CODES
        return types.Diagnostic(
            range=types.Range(types.Position(*start), types.Position(*end)),
            message=diagnostic.message,
            severity=types.DiagnosticSeverity.Error if broken else types.DiagnosticSeverity.Warning,
            code=diagnostic.code,
            source=SOURCE,
            tags=TAGS.get(diagnostic.code),
        )

    def lsp_range(self, checked: Checked, start: int, end: int) -> types.Range:
        return types.Range(
            types.Position(*offset_position(checked.lines, start, self.encoding)),
            types.Position(*offset_position(checked.lines, end, self.encoding)),
        )

    def text_edits(self, checked: Checked, edits: list[Edit]) -> list[types.TextEdit]:
        """Edits of the `\\n` text as edits of the client's document (its own newlines)."""
        newline = checked.newline
        return [
            types.TextEdit(
                range=self.lsp_range(checked, edit.start, edit.end),
                new_text=edit.content.replace("\n", newline),
            )
            for edit in edits
        ]

    # -- code actions --------------------------------------------------------------------------
    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        checked = self.current(uri)
        if checked is None:
            return []
        only = params.context.only
        first, last = params.range.start.line + 1, params.range.end.line + 1
        secrets = secret_texts(checked.text, checked.report.secrets)
        actions: list[types.CodeAction] = []
        for diagnostic in checked.report.diagnostics:
            if diagnostic.line > last or diagnostic.end_line < first:
                continue
            lsp_diagnostic = self._diagnostic(diagnostic, checked)
            if _wanted(types.CodeActionKind.QuickFix, only):
                fix = self._quick_fix(uri, diagnostic, lsp_diagnostic, checked, secrets)
                if fix is not None:
                    actions.append(fix)
                noqa = self._noqa(uri, diagnostic, lsp_diagnostic, checked)
                if noqa is not None:
                    actions.append(noqa)
        if _wanted(FIX_ALL_KIND, only):
            fix_all = self._fix_all(uri, checked)
            if fix_all is not None:
                actions.append(fix_all)
        return actions

    def _quick_fix(self, uri, diagnostic, lsp_diagnostic, checked, secrets):
        fix = diagnostic.fix
        if fix is None or not fix.edits or fix.applicability is Applicability.DISPLAY_ONLY:
            return None
        safe = fix.applicability is Applicability.SAFE
        title = fix.title if not shows_secret(fix.title, secrets) else "Apply the fix"
        label = f"fastapi-lint ({diagnostic.code}): {title}" + ("" if safe else " (unsafe)")
        edits = list(diagnostic.edits if diagnostic.edits is not None else fix.edits)
        return types.CodeAction(
            title=label,
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[lsp_diagnostic],
            is_preferred=safe,
            edit=self._workspace_edit(uri, checked, edits),
        )

    def _noqa(self, uri, diagnostic, lsp_diagnostic, checked):
        if diagnostic.code in TOOL_CODES:  # a noqa comment does not silence them
            return None
        text, added, _ = add_noqa(checked.text, [diagnostic])
        edit = minimal_edit(checked.text, text) if added else None
        if edit is None:
            return None  # the line cannot take a comment (it ends inside a string)
        return types.CodeAction(
            title=f"Disable {diagnostic.code} for this line",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[lsp_diagnostic],
            edit=self._workspace_edit(uri, checked, [edit]),
        )

    def _fix_all(self, uri: str, checked: Checked) -> types.CodeAction | None:
        """Every fix `fastapi-lint check --fix` applies to the text (safe ones, and unsafe ones
        only where the project's settings allow them)."""
        if not any(d.fix is not None and d.fix.edits for d in checked.report.diagnostics):
            return None
        path = to_fs_path(uri)
        try:
            report = self._report(Path(path), checked.text, Options(fix=True, stdin_filename=path))
            unsafe = self._unsafe_fixes(path)
        except ConfigError:
            return None
        fixed = report.fixed_text
        edit = minimal_edit(checked.text, fixed) if fixed is not None else None
        if edit is None:
            return None
        return types.CodeAction(
            title=FIX_ALL_UNSAFE if unsafe else FIX_ALL,
            kind=FIX_ALL_KIND,
            edit=self._workspace_edit(uri, checked, [edit]),
        )

    def _unsafe_fixes(self, path: str) -> bool:
        """Whether the file's project applies unsafe fixes too (`unsafe-fixes = true`)."""
        project = self.projects.project_of(Path(path).resolve())
        return self.projects.settings(project).unsafe_fixes

    def _workspace_edit(self, uri: str, checked: Checked, edits: list[Edit]) -> types.WorkspaceEdit:
        version = self.workspace.get_text_document(uri).version
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=self.text_edits(checked, edits),
                )
            ]
        )

    # -- hover ---------------------------------------------------------------------------------
    def hover(self, params: types.HoverParams) -> types.Hover | None:
        checked = self.current(params.text_document.uri)
        if checked is None:
            return None
        at = (params.position.line, params.position.character)
        shown = []
        for diagnostic in checked.report.diagnostics:
            found = self._diagnostic(diagnostic, checked)
            start = (found.range.start.line, found.range.start.character)
            end = (found.range.end.line, found.range.end.character)
            if start <= at <= end and diagnostic.code not in shown:
                shown.append(diagnostic.code)
        parts = [_short_doc(code) for code in shown]
        if not parts:
            return None
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)
            )
        )


def _wanted(kind: str, only: list[str] | None) -> bool:
    """Whether a code action of `kind` is asked for (`only` names kinds and their parents)."""
    return only is None or any(kind == asked or kind.startswith(f"{asked}.") for asked in only)


def _short_doc(code: str) -> str:
    """The rule's documentation up to its examples, and where the rest is. The documentation
    ships with the tool (no web page does: a diagnostic carries no documentation link)."""
    rule = rule_by_code_or_name(code)
    if rule is None:
        return f"**{code}**"
    doc = rule.documentation().split("\n## Example", 1)[0].strip()
    more = f"With examples: `fastapi-lint rule {rule.code}`"
    return f"**{rule.code}** `{rule.name}`: {rule.summary}\n\n{doc}\n\n{more}"


def _internal_error(path: str, exc: Exception) -> Diagnostic:
    return Diagnostic(
        code=INTERNAL_ERROR,
        name="internal-error",
        message=(
            f"fastapi-lint raised {type(exc).__name__}: {exc}; the findings of this file are "
            "missing (please report this bug)"
        ),
        line=1,
        column=0,
        end_line=1,
        end_column=0,
        path=path,
    )


def create_server() -> FastapiLintServer:
    server = FastapiLintServer()

    @server.feature(types.INITIALIZED)
    def initialized(ls: FastapiLintServer, params: types.InitializedParams) -> None:
        watching = ls.client_capabilities.workspace
        watching = watching.did_change_watched_files if watching is not None else None
        if watching is None or not watching.dynamic_registration:
            return
        watchers = [
            types.FileSystemWatcher(glob_pattern=pattern)
            for pattern in ("**/*.py", "**/*.pyi", "**/pyproject.toml")
        ]
        ls.client_register_capability(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="fastapi-lint-watched-files",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=watchers
                        ),
                    )
                ]
            )
        )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: FastapiLintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.check(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: FastapiLintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: FastapiLintServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = to_fs_path(uri)
        if path is not None and Path(path).name == "pyproject.toml":
            ls.reload_settings()
            return
        checked = ls.check(uri)
        if checked is not None and path is not None:
            # the saved module's facts are in the index now: its importers may see them
            ls.recheck_open(ls.projects.project_of(Path(path).resolve()), skip=uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: FastapiLintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        waiting = ls.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        ls.checked.pop(uri, None)
        ls._publish(uri, None, [])
        path = to_fs_path(uri)
        if path is not None:  # unsaved text goes: the file on disk stands for the module again
            ls.file_changed(Path(path), deleted=not Path(path).exists())

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: FastapiLintServer, params: types.DidChangeWatchedFilesParams) -> None:
        touched: set[Project] = set()
        for change in params.changes:
            path = to_fs_path(change.uri)
            if path is None:
                continue
            if Path(path).name == "pyproject.toml":
                ls.reload_settings()
                return
            project = ls.file_changed(Path(path), change.type == types.FileChangeType.Deleted)
            if project is not None:
                touched.add(project)
        for project in touched:
            ls.recheck_open(project)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    def code_action(ls: FastapiLintServer, params: types.CodeActionParams):
        return ls.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: FastapiLintServer, params: types.HoverParams):
        return ls.hover(params)

    return server


def serve() -> None:
    create_server().start_io()
