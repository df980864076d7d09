"""Runaway checks over many items: :class:`GuardedMap` runs ``fn`` on each item in a forked worker.

A :class:`~cdcxml.limits.guard.Guard` answers one call per round trip, which costs more than checking a
small document. A :class:`GuardedMap` hands its worker a whole list at once; the worker writes the
index and start time of the item at hand into memory it shares with the parent, and sends results
back about twice a second. The parent watches that memory: an item over its time limit is stopped by
killing the worker, reported as a :class:`~cdcxml.limits.guard.RunawayError`, and the items after it go to
a fresh worker. Items finished since the last batch of results are checked again there, which
costs at most the half second of work they took.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import mmap
import multiprocessing
import os
import signal
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import CdcxmlError, RunawayError
from .guard import MB, Budget, available, death_reason, start_worker

FLUSH_SECONDS = 0.5


class GuardedMap:
    """Calls ``fn`` on items in a forked worker, each call under ``budget``.

    The worker is forked at the first :meth:`map` (and again after a stop) and inherits ``fn`` and
    whatever this process holds then: load and compile what ``fn`` uses before. Items and results
    must be picklable. Without an active budget, or where processes cannot be forked, ``fn`` runs
    in this process.
    """

    def __init__(self, fn: Callable[[Any], Any], budget: Budget, *,
                 flush_seconds: float = FLUSH_SECONDS, forked: bool = False):
        self.fn = fn
        self.budget = budget
        # ``forked``: in a worker even without a limit (a worker of a parallel run).
        self.guarded = (budget.active or forked) and available()
        self.flush_seconds = flush_seconds
        self._pid: int | None = None
        self._conn = None
        # [start time, index] of the item the worker is on, shared with every worker forked. An
        # anonymous mapping, not multiprocessing's shared heap: that needs a file, which a process
        # at its file size limit cannot grow.
        self._progress = _shared_doubles(2) if self.guarded else None

    def __enter__(self) -> GuardedMap:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Fork the worker now (else at the first :meth:`map`)."""
        if self.guarded and self._pid is None:
            self._start()

    def close(self) -> None:
        """Stop the worker."""
        if self._conn is not None and self._pid is not None:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(None)
        self._stop(kill=False)

    def map(self, items: Sequence[Any]) -> list[Any]:
        """``fn(item)`` for each item, in order; an item stopped at its limit gives a RunawayError.

        An exception ``fn`` raises is raised here, as if ``fn`` had been called directly.
        """
        items = list(items)
        if not self.guarded:
            return [self.fn(item) for item in items]
        results: list[Any] = [None] * len(items)
        todo = list(range(len(items)))
        while todo:
            done, stopped, reason = self._round([items[k] for k in todo])
            for k, value in zip(todo, done, strict=False):
                results[k] = value
            if stopped is None:
                break
            results[todo[stopped]] = RunawayError(reason)
            # Items after the last results received are checked again by the next worker.
            todo = todo[len(done):stopped] + todo[stopped + 1:]
        return results

    # -- the parent's side ---------------------------------------------------------------------

    def _round(self, items: list[Any]) -> tuple[list[Any], int | None, str]:
        """Results of the items up to the first one stopped, its position and why (None: none)."""
        if self._pid is not None and _exit_code(self._pid, within=0) is not None:
            self._pid = None  # the idle worker is gone (its parent thread ended, say): a fresh one
            self._stop()
        if self._pid is None:
            self._start()
        self._progress[0], self._progress[1] = time.monotonic(), 0.0
        try:
            self._conn.send(items)
        except (OSError, ValueError):  # it ended just now: a fresh one
            self._stop()
            self._start()
            self._progress[0] = time.monotonic()
            self._conn.send(items)
        done: list[Any] = []
        seconds = self.budget.seconds
        while True:
            wait = None
            if seconds:
                index, started = self._where()
                wait = started + seconds - time.monotonic()
                if wait <= 0:
                    self._stop()
                    return done, index, (f"stopped after {seconds:g} s: over the time limit "
                                         "per document")
            try:
                if not self._conn.poll(wait):
                    continue
                kind, values, *error = self._conn.recv()
            except (EOFError, OSError):
                index, _ = self._where()
                code = self._stop()
                return done, max(index, len(done)), death_reason(code, self.budget)
            done.extend(values)
            if kind == "end":
                return done, None, ""
            if kind == "memory":
                self._stop()  # a fresh worker: the old one's heap may be fragmented or exhausted
                return done, len(done), ("stopped: the check needed more memory than the limit of "
                                         f"{(self.budget.memory or 0) // MB} MB")
            if kind == "error":
                raise error[0]

    def _where(self) -> tuple[int, float]:
        """The worker's item at hand and when it started, read consistently."""
        progress = self._progress
        while True:
            index = progress[1]
            started = progress[0]
            if progress[1] == index:
                return int(index), started

    def _start(self) -> None:
        parent, child = multiprocessing.Pipe()
        me = os.getpid()
        # Frozen objects are not scanned by the worker's collector, so its pages stay shared.
        gc.freeze()
        try:
            with warnings.catch_warnings():
                # The worker only runs ``fn``; a lock another thread held at the fork can at worst
                # hang it, and then the time limit ends it like any runaway check.
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    parent.close()
                    _serve(self.fn, child, self._progress, self.budget.memory, me,
                           self.flush_seconds)
                    code = 0
                finally:
                    os._exit(code)
        finally:
            gc.unfreeze()
        child.close()
        self._pid, self._conn = pid, parent

    def _stop(self, *, kill: bool = True) -> int | None:
        """End the worker (killed, or left to finish on its own); its exit code."""
        code = None
        if self._pid is not None:
            code = None if kill else _exit_code(self._pid, within=1.0)
            if code is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._pid, signal.SIGKILL)
                code = _exit_code(self._pid, within=None)
        if self._conn is not None:
            self._conn.close()
        self._pid = self._conn = None
        return code


def _shared_doubles(n: int):
    """``n`` floats in memory that forked processes share with this one."""
    return (ctypes.c_double * n).from_buffer(mmap.mmap(-1, n * ctypes.sizeof(ctypes.c_double)))


def _exit_code(pid: int, *, within: float | None) -> int | None:
    """The worker's exit code once it has ended (waiting ``within`` seconds; None: as long as it
    takes); None if it is still running."""
    deadline = None if within is None else time.monotonic() + within
    while True:
        try:
            found, status = os.waitpid(pid, 0 if deadline is None else os.WNOHANG)
        except ChildProcessError:  # already collected
            return 0
        if found:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.01)


# -- the worker's side -----------------------------------------------------------------------------

def _serve(fn: Callable[[Any], Any], conn, progress, memory: int | None, parent: int,
           flush: float) -> None:
    """The worker's loop: one list of items at a time until told to stop (None) or the pipe closes."""
    start_worker(memory, parent)
    while True:
        try:
            items = conn.recv()
        except (EOFError, OSError):
            return
        if items is None:
            return
        done: list[Any] = []
        sent = time.monotonic()
        for index, item in enumerate(items):
            now = time.monotonic()
            if done and now - sent >= flush:
                conn.send(("part", done))
                done, sent = [], now
            progress[0] = now  # the start time first: the parent reads the index first
            progress[1] = index
            try:
                done.append(fn(item))
            except MemoryError:
                conn.send(("memory", done))
                return
            except Exception as err:  # handed to the caller, who raises it as if called directly
                _send(conn, ("error", done, err))
                break
        else:
            _send(conn, ("end", done))


def _send(conn, message: tuple) -> None:
    try:
        conn.send(message)
    except MemoryError:
        conn.send(("memory", []))
    except Exception as err:  # an unpicklable result or exception
        conn.send(("error", [], CdcxmlError(f"the check's result could not be returned: {err}")))


__all__ = ["GuardedMap"]
