"""Runaway checks: run one document's check in a worker process with a time and a memory limit.

An assertion with cubic XPath cost, a ReDoS pattern in an XSD, or a document that inflates in
memory runs inside libxslt, libxml2 or ``re``, where no signal handler can stop it. A
:class:`Guard` therefore runs each call in a forked worker: the worker inherits everything the
parent has loaded and compiled, answers one call at a time over a pipe, and is killed (and replaced
on the next call) when a call runs over its wall-clock time or its address space.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import CdcxmlError, RunawayError

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Budget:
    """What one check may cost: wall-clock seconds and extra bytes of memory (None: unbounded)."""

    seconds: float | None = None
    memory: int | None = None

    @property
    def active(self) -> bool:
        """True when at least one limit is set."""
        return bool(self.seconds) or bool(self.memory)

    def describe(self) -> str:
        """The limits in words, for messages."""
        parts = []
        if self.seconds:
            parts.append(f"{self.seconds:g} s")
        if self.memory:
            parts.append(f"{self.memory // MB} MB")
        return " and ".join(parts) or "no limit"


def available() -> bool:
    """True where workers can be forked (POSIX), which a :class:`Guard` needs."""
    return "fork" in multiprocessing.get_all_start_methods()


class Guard:
    """Calls ``fn`` in a forked worker, one call at a time, stopping any call over ``budget``.

    ``fn``, its arguments and its results must be picklable except ``fn`` itself, which the worker
    inherits: build the guard after loading and compiling whatever ``fn`` uses.
    """

    def __init__(self, fn: Callable[..., Any], budget: Budget):
        if not available():
            raise CdcxmlError("time and memory limits need a platform that can fork processes")
        self.fn = fn
        self.budget = budget
        self._context = multiprocessing.get_context("fork")
        self._process = None
        self._conn = None

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve,
                                        args=(self.fn, child, self.budget.memory, os.getpid()),
                                        name="cdcxml-guard", daemon=True)
        # Frozen objects are not scanned by the worker's collector, so its pages stay shared.
        gc.freeze()
        try:
            with warnings.catch_warnings():
                # The worker only runs ``fn``; a lock another thread held at the fork can at worst
                # hang it, and then the time limit ends it like any runaway check.
                warnings.simplefilter("ignore", DeprecationWarning)
                process.start()
        finally:
            gc.unfreeze()
        child.close()
        self._process, self._conn = process, parent

    def _stop(self) -> None:
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join()
            self._process.close()
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None

    def close(self) -> None:
        """Stop the worker."""
        if self._conn is not None and self._process is not None and self._process.is_alive():
            try:
                self._conn.send(None)
                self._process.join(1.0)
            except (OSError, ValueError):
                pass
        self._stop()

    def __call__(self, *args: Any) -> Any:
        """``fn(*args)`` computed in the worker; :class:`RunawayError` when it runs over."""
        if self._process is None or not self._process.is_alive():
            self._stop()
            self._start()
        conn = self._conn
        try:
            conn.send(args)
            ready = conn.poll(self.budget.seconds or None)
        except (OSError, ValueError) as err:
            self._stop()
            raise RunawayError(f"the check's worker stopped: {err}") from None
        if not ready:
            self._stop()
            raise RunawayError(f"stopped after {self.budget.seconds:g} s: over the time limit "
                               "per document")
        try:
            kind, value = conn.recv()
        except (EOFError, OSError):
            code = None
            if self._process is not None:
                self._process.join(5.0)
                code = self._process.exitcode
            self._stop()
            raise RunawayError(death_reason(code, self.budget)) from None
        if kind == "ok":
            return value
        if kind == "memory":
            self._stop()  # a fresh worker: the old one's heap may be fragmented or exhausted
            raise RunawayError("stopped: the check needed more memory than the limit of "
                               f"{(self.budget.memory or 0) // MB} MB")
        raise value


def death_reason(code: int | None, budget: Budget) -> str:
    """Why a worker died, in words: the limit it ran into or the signal that ended it."""
    if code is not None and code < 0:
        signal_number = -code
        if budget.memory:
            return (f"stopped: the check's worker was killed by signal {signal_number}, "
                    f"probably over the memory limit of {budget.memory // MB} MB")
        return f"stopped: the check's worker was killed by signal {signal_number}"
    return f"stopped: the check's worker ended unexpectedly (exit code {code})"


def _address_space() -> int | None:
    """This process's current virtual memory size in bytes, where the platform says it."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def limit_memory(extra: int) -> None:
    """Cap this process's address space at what it uses now plus ``extra`` bytes."""
    import resource

    current = _address_space() or 0
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + extra
    # Never loosen a limit the process was started with.
    for bound in (soft, hard):
        if bound != resource.RLIM_INFINITY:
            wanted = min(wanted, bound)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def die_with(parent: int) -> None:
    """End this worker when its parent ends, even a parent killed outright, mid-check."""
    import signal
    import threading

    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG, on Linux
    except (OSError, AttributeError):
        pass

    def watch() -> None:  # elsewhere: notice the parent is gone (while the GIL allows)
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="cdcxml-guard-watch", daemon=True).start()


def start_worker(memory: int | None, parent: int) -> None:
    """What every guarded worker does first: leave Ctrl-C to the parent, die with it, cap memory."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with(parent)
    if memory:
        limit_memory(memory)


def _serve(fn: Callable[..., Any], conn, memory: int | None, parent: int) -> None:
    """The worker's loop: one call at a time until told to stop (None) or the pipe closes."""
    start_worker(memory, parent)
    while True:
        try:
            args = conn.recv()
        except (EOFError, OSError):
            return
        if args is None:
            return
        try:
            answer = ("ok", fn(*args))
        except MemoryError:
            answer = ("memory", None)
        except Exception as err:  # handed to the caller, who raises it as if called directly
            answer = ("error", err)
        try:
            conn.send(answer)
        except MemoryError:
            conn.send(("memory", None))
        except Exception as err:  # an unpicklable result or exception
            conn.send(("error", CdcxmlError(f"the check's result could not be returned: {err}")))


__all__ = ["Budget", "Guard", "RunawayError", "available"]
