"""Exceptions: each one means "could not check", never "the check failed"."""

from __future__ import annotations


class CdcxmlError(Exception):
    """Root of every cdcxml error; carries the file and line it is about, and the CLI exit code."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return where + self.message

    @property
    def brief(self) -> str:
        """The error on one line, naming its file and line: what the command line prints."""
        return " ".join(str(self).splitlines())

    @property
    def local(self) -> str:
        """The error without its file, for a report that already names the document."""
        return (f"line {self.line}: " if self.line else "") + self.message


class UnsafeXMLError(CdcxmlError, ValueError):
    """An XML input was refused by the hardened loader (DOCTYPE, too large, bad encoding...)."""


class XMLSyntaxError(CdcxmlError, ValueError):
    """An XML input is not well-formed."""


class DocumentError(CdcxmlError, ValueError):
    """A document to analyse cannot be read or parsed: a failure of that document (exit 1), as
    validate, contrast and batch count it, not a command that could not run."""

    exit_code = 1


class InputError(CdcxmlError, OSError):
    """An input could not be read (missing file, permission, directory)."""


class SchematronError(CdcxmlError, ValueError):
    """A Schematron schema is invalid: it cannot be compiled as the standard says."""


class QueryBindingError(SchematronError):
    """The schema asks for a query language this engine does not run."""


class ContractError(CdcxmlError, ValueError):
    """A contract's cdc metadata is invalid."""


class RunError(CdcxmlError, RuntimeError):
    """A compiled contract could not be applied to a document (runtime XPath/XSLT error)."""


class ConfigError(CdcxmlError, ValueError):
    """A configuration file or option is invalid."""


class WsdlError(CdcxmlError, ValueError):
    """A WSDL cannot be read: not WSDL 1.1, a refused or missing import, no usable binding."""


class XsdError(CdcxmlError, ValueError):
    """A schema cannot be loaded: not well-formed, invalid, or an import that cannot be resolved."""


class ParserMemoryError(UnsafeXMLError, MemoryError):
    """libxml2 ran out of memory: a document error, and a MemoryError to a guard that counts it."""


class RunawayError(CdcxmlError, RuntimeError):
    """A check ran over its time or memory limit and was stopped."""


class RepositoryError(CdcxmlError, RuntimeError):
    """A contract repository or package could not be reached or read."""


class LockError(CdcxmlError, ValueError):
    """The lock file cannot be read, or a contract no longer matches it."""


class LockMismatchError(LockError):
    """A pinned contract's files are not the ones recorded in the lock file."""


class PublishError(CdcxmlError, RuntimeError):
    """A contract cannot be published as asked (a version already out, a bad name, git refused)."""


class PackageError(CdcxmlError, RuntimeError):
    """A contract package could not be built."""


class KeepError(CdcxmlError, ValueError):
    """A ``--keep`` path cannot be read or matches nothing in the schema."""


class RecordError(CdcxmlError, ValueError):
    """A record cannot be read, or cannot be written as asked."""


class TamperedRecordError(RecordError):
    """A record is not what was written: its digest or its place does not match its content."""


class JsonError(CdcxmlError, ValueError):
    """A JSON input (a record, a lock file, a HAR file, a provider-state reply) cannot be read."""
