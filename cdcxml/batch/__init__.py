"""Validating captured documents at scale: sources, workers, the run and its summary."""

from __future__ import annotations

from .inputs import ArchiveLimits, Capture, captures, count
from .run import Tally, check_all, read_jsonl, resume_run
from .sink import ReportSink
from .workers import Spec, default_jobs

__all__ = ["ArchiveLimits", "Capture", "Spec", "Tally", "captures", "check_all", "count",
           "default_jobs", "read_jsonl", "resume_run", "ReportSink"]
