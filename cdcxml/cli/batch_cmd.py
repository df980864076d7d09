"""``cdcxml batch``: every captured document against every contract (and the XSD), at scale."""

from __future__ import annotations

import importlib
import signal
import sys
import time
from collections import Counter
from dataclasses import replace

import click

from ..batch import (
    ArchiveLimits,
    ReportSink,
    Spec,
    Tally,
    check_all,
    count,
    default_jobs,
    resume_run,
)
from ..batch.inputs import DEFAULT_LIMITS as DEFAULT_ARCHIVE_LIMITS
from ..checking import compile_all
from ..report import text
from .common import (
    OUTPUT_HELP,
    cannot_write,
    echo_warnings,
    hints_for,
    interaction_option,
    loaded,
    note,
    strict_option,
    verbosity,
)
from .limits_opt import limit_options
from .sources_opt import contracts_option

# The progress bar is redrawn at most this often (seconds): a terminal is not a log.
REDRAW_EVERY = 0.1


# The report formats a batch streams: each writer's format module and class, imported when chosen
# (the HTML one loads lxml's HTML builder, which the other formats do without).
WRITERS = {"text": ("text", "TextWriter"), "json": ("jsonout", "JsonWriter"),
           "jsonl": ("jsonout", "JsonlWriter"), "junit": ("junit", "DocumentsWriter"),
           "html": ("html", "HtmlWriter")}


def _writer(fmt: str, out):
    module, name = WRITERS[fmt]
    return getattr(importlib.import_module(f"cdcxml.report.{module}"), name)(out)


@click.command("batch")
@contracts_option
@click.option("--xsd", type=click.Path(dir_okay=False),
              metavar="FILE", help="Also validate against this XSD (SOAP envelopes are unwrapped for it).")
@click.option("--phase", help="Run only this phase of each contract.")
@interaction_option
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes; 0 (the default) uses every core.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on this Dask cluster instead of local processes (needs cdcxml[dask]).")
@click.option("--format", "fmt", type=click.Choice(list(WRITERS)), default="text",
              show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help=OUTPUT_HELP)
@click.option("--fail-fast", is_flag=True, help="Stop at the first document that does not hold.")
@click.option("--resume", is_flag=True,
              help="Continue a --format jsonl --output FILE run: skip the documents it holds.")
@limit_options
@click.option("--archive-max-members", type=click.IntRange(min=1),
              default=DEFAULT_ARCHIVE_LIMITS.max_members, show_default=True,
              help="Members one archive or HAR file may hold, documents or not.")
@click.option("--archive-max-member-bytes", type=click.IntRange(min=1),
              default=DEFAULT_ARCHIVE_LIMITS.max_member_bytes, show_default=True,
              help="Bytes of one archive member.")
@click.option("--archive-max-total-bytes", type=click.IntRange(min=1),
              default=DEFAULT_ARCHIVE_LIMITS.max_total_bytes, show_default=True,
              help="Bytes one archive may hold or inflate to, all members counted.")
@click.option("--archive-max-ratio", type=click.IntRange(min=1),
              default=DEFAULT_ARCHIVE_LIMITS.max_ratio, show_default=True,
              help="How many times its size a compressed tar archive may inflate to.")
@click.option("--archive-max-seconds", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_ARCHIVE_LIMITS.max_seconds, show_default=True,
              help="Seconds reading one archive may take (its documents' checks not counted).")
@click.argument("paths", nargs=-1, required=True)
@strict_option
def command(contracts, xsd, phase, interaction, jobs, scheduler, fmt, output, fail_fast, resume,
            budget, archive_max_members, archive_max_member_bytes, archive_max_total_bytes,
            archive_max_ratio, archive_max_seconds, paths, strict):
    """Validate captured documents: files, directories, globs, zip/tar archives, HAR files."""
    if resume and (fmt != "jsonl" or not output):
        raise click.UsageError("--resume continues a run written with --format jsonl --output FILE")
    archives = replace(DEFAULT_ARCHIVE_LIMITS, max_members=archive_max_members,
                       max_member_bytes=archive_max_member_bytes,
                       max_total_bytes=archive_max_total_bytes, max_ratio=archive_max_ratio,
                       max_seconds=archive_max_seconds)
    with _CtrlC() as ctrl_c:
        tally, writer, sink = _run(contracts, xsd, (phase, interaction), jobs, scheduler, fmt,
                                   output, fail_fast, resume, paths, budget, ctrl_c, archives,
                                   strict)
    interrupted = ctrl_c.pressed
    try:
        writer.finish(tally, interrupted=interrupted)
        sink.close()
    except OSError as err:  # a full disk: the previous report stays as it was
        sink.discard()
        raise cannot_write(err, output) from err
    if fmt == "jsonl" and verbosity() >= 0:
        for line in tally.text_lines():
            click.echo(line, err=True)
    if output or fmt == "jsonl":  # the report went elsewhere: the summary goes to stderr
        note(text.summary_line(tally.summary))
    if interrupted:
        click.echo("cdcxml: interrupted; the report covers the documents checked so far", err=True)
        sys.exit(130)
    s = tally.summary
    sys.exit(0 if s.invalid == 0 and s.errors == 0 else 1)


def _run(contracts, xsd, phases, jobs, scheduler, fmt, output, fail_fast, resume, paths, budget,
         ctrl_c: _CtrlC, archives: ArchiveLimits, strict: bool = False):
    """Load, check and write the documents; returns what the closing summary needs."""
    phase, interaction = phases
    contracts = compile_all(loaded(contracts), phase, strict=strict)
    echo_warnings(contracts)
    hints_for(contracts, interaction)  # an interaction no contract has stops the run here
    if xsd:
        from ..xsd import load_xsd

        load_xsd(xsd)  # a broken schema stops the run here, before any worker starts
    spec = Spec.of(contracts, phase=phase, xsd=xsd, budget=budget, interaction=interaction)

    tally, skip = resume_run(output) if resume else (Tally(), Counter())
    try:
        sink = ReportSink(output, append=resume, direct=fmt == "jsonl")
    except OSError as err:  # a folder that does not exist, a file where a folder should be
        raise cannot_write(err, output) from err
    writer = _writer(fmt, sink.stream)
    if ctrl_c.pressed:  # Ctrl-C while the contracts were loading: report that nothing was done
        return tally, writer, sink
    progress = _Progress(paths, skip_total=sum(skip.values()), limits=archives,
                         quiet=verbosity() < 0)
    reports = check_all(paths, spec, jobs=jobs or default_jobs(), scheduler=scheduler, skip=skip,
                        limits=archives)
    try:
        for d in reports:
            if sink.to_terminal and _prints(d):
                progress.clear()
            try:
                writer.document(d)
            except OSError as err:  # a full disk
                raise cannot_write(err, output) from err
            tally.add(d)
            progress.step()
            if (fail_fast and not d.valid) or ctrl_c.pressed:
                break
    except BaseException:
        sink.discard()
        raise
    finally:
        progress.close()
    reports.close()
    return tally, writer, sink


class _CtrlC:
    """The first Ctrl-C ends the run after the document at hand; a second one stops at once."""

    def __init__(self):
        self.pressed = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def __enter__(self) -> _CtrlC:
        # A flag, not an exception: an exception could land anywhere, even inside a fork.
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self._previous)


def _prints(d) -> bool:
    return not d.valid or any(c.findings for c in d.contracts)


class _Progress:
    """A bar with rate and ETA on a terminal's stderr; nothing when stderr is not a terminal."""

    def __init__(self, paths, *, skip_total: int, limits: ArchiveLimits, quiet: bool = False,
                 clock=time.monotonic):
        self.bar = None
        if quiet or not sys.stderr.isatty():
            return
        self.clock = clock
        self.pending = 0
        self.drawn = float("-inf")
        total = max(0, count(paths, limits=limits) - skip_total)
        self.start = clock()
        self.done = 0
        self.bar = click.progressbar(length=total, label="checking", file=sys.stderr,
                                     show_eta=True, show_pos=True, item_show_func=lambda r: r)
        self.bar.__enter__()

    def step(self) -> None:
        """Count one document; the bar is redrawn at most every REDRAW_EVERY seconds."""
        if self.bar is None:
            return
        self.done += 1
        self.pending += 1
        now = self.clock()
        if now - self.drawn < REDRAW_EVERY:
            return
        self.drawn = now
        elapsed = max(now - self.start, 1e-9)
        self.bar.update(self.pending, f"{self.done / elapsed:,.0f} docs/s")
        self.pending = 0

    def clear(self) -> None:
        """Wipe the bar's line before a report line shares the terminal with it."""
        if self.bar is not None:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            if self.pending:
                self.bar.update(self.pending)
            self.bar.__exit__(None, None, None)
            self.bar = None
