"""Forked worker processes that talk to the parent through pipes.

Each worker runs one function of its own in the child (the pipeline gives it a share of the
files); the parent reads their messages as they come and can send each of them data. Objects
the parent holds when it forks (loaded files, trees, the linter) are inherited, never pickled.
A worker that raises sends its traceback, and the parent raises it: a run never hangs on a
worker that died.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import selectors
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection

from fastapi_lint import parsing

_FAILED = "failed"


class WorkerFailed(RuntimeError):
    pass


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Workers:
    """One forked process per function; `work(connection)` runs in the child."""

    def __init__(self, works: list[Callable[[Connection], None]]) -> None:
        context = multiprocessing.get_context("fork")
        self.connections: list[Connection] = []
        self.processes = []
        try:
            for work in works:
                mine, theirs = context.Pipe()
                process = context.Process(target=_serve, args=(work, theirs), daemon=True)
                process.start()
                theirs.close()
                self.connections.append(mine)
                self.processes.append(process)
        except BaseException:
            self.close(stop=True)
            raise

    def messages(self, last: str) -> Iterator[tuple[int, tuple]]:
        """(worker, message) as they arrive, until every worker has sent a message whose
        first element is `last` (given too)."""
        for number, message, _ in self.messages_and_bytes(last):
            yield number, message

    def messages_and_bytes(self, last: str) -> Iterator[tuple[int, tuple, bytes]]:
        """As `messages`, with each message's pickle as received (to pass on to another
        worker without pickling it again)."""
        waiting = {connection: number for number, connection in enumerate(self.connections)}
        # One selector for the whole wait (`multiprocessing.connection.wait` makes one per
        # call, and a cold run waits once per message).
        with selectors.DefaultSelector() as selector:
            for connection in waiting:
                selector.register(connection, selectors.EVENT_READ)
            while waiting:
                for key, _ in selector.select():
                    connection = key.fileobj
                    try:
                        data = connection.recv_bytes()
                    except (EOFError, OSError):
                        raise WorkerFailed("a worker process ended unexpectedly") from None
                    message = pickle.loads(data)
                    if message[0] == _FAILED:
                        raise WorkerFailed(f"a worker process failed:\n{message[1]}")
                    number = waiting[connection]
                    if message[0] == last:
                        del waiting[connection]
                        selector.unregister(connection)
                    yield number, message, data

    def send_bytes(self, number: int, data: bytes) -> None:
        connection = self.connections[number]
        try:
            connection.send_bytes(data)
        except OSError:  # it ended: what it sent last says why, not the broken pipe
            raise _failure(connection) from None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, failure: type | None, *_) -> None:
        self.close(stop=failure is not None)

    def close(self, stop: bool = False) -> None:
        """Wait for the workers to end (`stop`: end them now, the run failed or was stopped)."""
        for connection in self.connections:
            connection.close()
        for process in self.processes:
            if stop:
                process.terminate()
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()


def _failure(connection: Connection) -> WorkerFailed:
    """Why the worker at the other end of `connection` ended: the traceback it sent, if any."""
    with contextlib.suppress(EOFError, OSError, pickle.UnpicklingError):
        while connection.poll():
            message = pickle.loads(connection.recv_bytes())
            if message[0] == _FAILED:
                return WorkerFailed(f"a worker process failed:\n{message[1]}")
    return WorkerFailed("a worker process ended unexpectedly")


def _serve(work: Callable[[Connection], None], connection: Connection) -> None:
    try:
        work(connection)
    except BaseException:  # the parent says it; the child only reports
        with contextlib.suppress(OSError):
            connection.send((_FAILED, traceback.format_exc()))
    finally:
        connection.close()
        os._exit(0)  # skip the parent's exit handlers, inherited by the fork


class RecordingFallback:
    """The lowering cache as a worker sees it: answers from the copy it inherited, and records
    what it used and learnt, for the parent to replay into the cache it saves."""

    def __init__(self, inherited) -> None:
        self.inherited = inherited
        self.used: list[tuple[str, list | None]] = []  # (text, entry put, or None: a hit)

    def get(self, text: str) -> list | None:
        entry = self.inherited.get(text)
        if entry is not None:
            self.used.append((text, None))
        return entry

    def put(self, text: str, entry: list) -> None:
        self.inherited.put(text, entry)
        self.used.append((text, entry))

    def save(self) -> None:
        pass

    def taken(self) -> list[tuple[str, list | None]]:
        used, self.used = self.used, []
        return used


def record_fallback() -> RecordingFallback:
    """In a worker: record the lowering cache's use (see `replay_fallback`)."""
    recording = RecordingFallback(parsing.fallback_cache)
    parsing.fallback_cache = recording
    return recording


def replay_fallback(used: list[tuple[str, list | None]]) -> None:
    """In the parent: what a worker used of the lowering cache, and what it added to it."""
    for text, entry in used:
        if entry is None:
            parsing.fallback_cache.get(text)  # marks it used: it is kept
        else:
            parsing.fallback_cache.put(text, entry)
