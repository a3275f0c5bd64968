"""Time `fastapi-lint server` on a generated application (run by hand; asserts nothing).

    python tests/benchmarks/server_latency.py [--app-modules 2000] [--keystrokes 30]

Builds the application of bench.py in a temporary folder, starts the server with a real LSP
client (pytest-lsp) and prints: the time to `initialize`; the first diagnostics of an opened
file with no cache (the project index is built) and again in a new server with the cache warm;
then, for a file of about 1,000 lines, the time from each keystroke (`didChange`) to its
diagnostics, median and worst, with and without the server's debounce pause.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import make_test_lsp_client

sys.path.insert(0, str(Path(__file__).parent))
from bench import ROUTE_MODULE, generate_app

from fastapi_lint.server import DEBOUNCE_SECONDS

PUBLISHED = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS


def thousand_lines() -> str:
    text = ROUTE_MODULE.format(n=0)
    number = 0
    while text.count("\n") < 1000:
        number += 1
        text += (
            f"\n\nasync def helper{number}(db: SessionDep, tags=[]) -> list[int]:\n"
            "    rows = await db.scalars(select(Item0.id))\n"
            "    db.commit()\n"
            "    return [row for row in rows if row not in tags]\n"
        )
    return text


async def start(root: Path):
    client = make_test_lsp_client()
    began = time.perf_counter()
    await client.start_io(sys.executable, "-m", "fastapi_lint", "server")
    await client.initialize_session(
        types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=root.as_uri())
    )
    return client, time.perf_counter() - began


async def open_and_wait(client, path: Path, text: str) -> float:
    began = time.perf_counter()
    waiting = client.wait_for_notification(PUBLISHED)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="python", version=1, text=text
            )
        )
    )
    await waiting
    return time.perf_counter() - began


async def stop(client) -> None:
    await client.shutdown_session()
    await client.stop()


async def main(modules: int, count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        generate_app(root, modules)
        opened = root / "app" / "routes" / "items0.py"
        text = opened.read_text()

        client, started = await start(root)
        cold = await open_and_wait(client, opened, text)
        await stop(client)
        client, _ = await start(root)
        warm = await open_and_wait(client, opened, text)
        await stop(client)

        client, _ = await start(root)
        small = await keystrokes(client, opened, text, count)
        big = await keystrokes(client, root / "app" / "routes" / "big.py", thousand_lines(), count)
        await stop(client)

    print(f"application: {modules} route modules ({modules + 4} files)")
    print(f"start + initialize:                   {started * 1000:7.0f} ms")
    print(f"first diagnostics, cold (no cache):   {cold * 1000:7.0f} ms")
    print(f"first diagnostics, index from cache:  {warm * 1000:7.0f} ms")
    for lines, found, times in (small, big):
        median, worst = statistics.median(times), max(times)
        pause = DEBOUNCE_SECONDS
        print(f"keystroke -> diagnostics, {lines} lines, {found} findings, {count} edits:")
        print(
            f"  median {(median - pause) * 1000:.0f} ms, worst {(worst - pause) * 1000:.0f} ms "
            f"(+ the {pause * 1000:.0f} ms debounce pause)"
        )


async def keystrokes(client, path: Path, document: str, count: int):
    """(lines, findings, seconds from each edit to its diagnostics) for `count` edits."""
    await open_and_wait(client, path, document)
    times = []
    for version in range(2, count + 2):
        document = document.replace("tags=[]", f"tags=[{version}]", 1)
        began = time.perf_counter()
        waiting = client.wait_for_notification(PUBLISHED)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=path.as_uri(), version=version
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=document)],
            )
        )
        await waiting
        times.append(time.perf_counter() - began)
        document = document.replace(f"tags=[{version}]", "tags=[]", 1)
    return document.count("\n"), len(client.diagnostics[path.as_uri()]), times


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--app-modules", type=int, default=2000)
    parser.add_argument("--keystrokes", type=int, default=30)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.app_modules, arguments.keystrokes))
