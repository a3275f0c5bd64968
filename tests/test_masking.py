"""Secrets never appear in full in any output: every format, frames, diffs, statistics."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from fastapi_lint.cli import main
from harness import FIXTURES

SECRETS = (
    "9f8e7d6c5b4a39281706",
    "jwt-signing-value-42",
    "db-pass-7781",
    "changeme",
    "live-api-key-0001",
    "b1946ac92492d2347c6235b4d2611184",
    "hunter2-but-longer",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "MIIEowIBAAKCAQEA",
    "default-pass-99",
    "inline-pass-123",
    "my-signing-key",
    "hunter22",
    "cache-pass",
    "guest-pass",
    "s3cr3t",
)
FORMATS = ("concise", "full", "json", "json-lines", "sarif", "github", "junit", "gitlab")


@pytest.fixture
def secrets_project(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    for name in ("FAL401/settings.py", "FAL401/constants.py", "FAL402/urls.py"):
        shutil.copy(FIXTURES / name, project / name.replace("/", "_"))
    monkeypatch.chdir(project)
    return project


def outputs(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", ".", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_the_fixture_really_holds_the_secrets(secrets_project):
    text = "".join(path.read_text() for path in secrets_project.glob("*.py"))
    for secret in SECRETS:
        assert secret in text


@pytest.mark.parametrize(
    "args",
    [
        *(("--output-format", output_format) for output_format in FORMATS),
        ("--output-format", "full", "--unsafe-fixes"),
        ("--diff", "--unsafe-fixes"),
        ("--statistics",),
        ("--output-format", "json", "--unsafe-fixes"),
    ],
    ids=lambda args: " ".join(args),
)
def test_no_output_shows_a_secret(secrets_project, args):
    text = outputs(*args)
    assert "FAL40" in text or "@@" in text
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, f"secrets in the output: {leaked}"


def test_output_file_and_baseline_mask_too(secrets_project):
    outputs("--output-format", "sarif", "--output-file", "report.sarif")
    outputs("--write-baseline", "baseline.json")
    for name in ("report.sarif", "baseline.json"):
        text = (secrets_project / name).read_text()
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"secrets in {name}: {leaked}"
