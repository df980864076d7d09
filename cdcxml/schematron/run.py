"""Apply a compiled schema to a document and read the result into findings or SVRL."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from lxml import etree

from .. import results, xmlio
from ..errors import CdcxmlError, RunError, SchematronError
from ..fsutil import within
from . import lines
from .compile import Plan
from .model import Schema
from .ns import RUN, SVRL, XML

R = f"{{{RUN}}}"
S = f"{{{SVRL}}}"

_state = threading.local()


def _normalize(text: str) -> str:
    return " ".join(text.split())


def _string(el: etree._Element) -> str:
    """The XPath string value of an element: its descendant text, comments and PIs left out."""
    return "".join(el.itertext())


class Locator:
    """Turns a node handed to ``cdcr:locate`` into its XPath (with the schema's prefixes) and line."""

    # Readable prefixes for the envelopes messages travel in, where the contract binds none.
    WELL_KNOWN = {"http://schemas.xmlsoap.org/soap/envelope/": "soap",
                  "http://www.w3.org/2003/05/soap-envelope": "soap12"}

    def __init__(self, ns: dict[str, str]):
        self.prefix: dict[str, str] = {}
        for prefix, uri in ns.items():
            self.prefix.setdefault(uri, prefix)
        for uri, prefix in self.WELL_KNOWN.items():
            if uri not in self.prefix and prefix not in ns:
                self.prefix[uri] = prefix

    def _name(self, tag: str) -> str:
        q = etree.QName(tag)
        if not q.namespace:
            return q.localname
        prefix = self.prefix.get(q.namespace)
        if prefix:
            return f"{prefix}:{q.localname}"
        return f"*[local-name()='{q.localname}' and namespace-uri()='{q.namespace}']"

    def element_path(self, el: etree._Element) -> str:
        steps = []
        node = el
        while node is not None:
            if isinstance(node, etree._Comment):
                n = 1 + sum(1 for _ in node.itersiblings(etree.Comment, preceding=True))
                steps.append(f"comment()[{n}]")
            elif isinstance(node, etree._ProcessingInstruction):
                n = 1 + sum(1 for s in node.itersiblings(etree.PI, preceding=True)
                            if s.target == node.target)
                steps.append(f"processing-instruction('{node.target}')[{n}]")
            else:
                steps.append(f"{self._name(node.tag)}[{_position(node)}]")
            node = node.getparent()
        return "/" + "/".join(reversed(steps))

    def spelled_path(self, steps: str) -> str:
        """The XPath of a node from the steps the stylesheet spelled out (``compile._steps_of``)."""
        out = []
        for record in steps.splitlines():
            kind, *fields = record.split(" ")
            if kind == "e":
                uri, local, n = fields
                out.append(f"{self._name(f'{{{uri}}}{local}' if uri else local)}[{n}]")
            elif kind == "a":
                uri, local = fields
                out.append("@" + self._name(f"{{{uri}}}{local}" if uri else local))
            elif kind == "t":
                out.append(f"text()[{fields[0]}]")
            elif kind == "c":
                out.append(f"comment()[{fields[0]}]")
            elif kind == "p":
                out.append(f"processing-instruction('{fields[0]}')[{fields[1]}]")
        return "/" + "/".join(out)

    def locate(self, node, roots) -> tuple[etree._Element | None, str | None, str]:
        """(element whose start tag gives the line, document URL, XPath) of a node from the
        transformed (or a subordinate) document."""
        root = roots[0] if roots else None
        url = root.getroottree().docinfo.URL if root is not None else None
        if node is None:
            return root, url, "/"
        if isinstance(node, etree._Element):
            return node, url, self.element_path(node)
        parent = node.getparent() if hasattr(node, "getparent") else None
        if parent is None:
            return None, url, "/"
        if getattr(node, "is_attribute", False):
            return parent, url, f"{self.element_path(parent)}/@{self._name(node.attrname)}"
        if getattr(node, "is_tail", False):
            owner = parent.getparent()
            base = self.element_path(owner) if owner is not None else ""
            n = (1 if owner is not None and owner.text else 0) + 1 + sum(
                1 for s in parent.itersiblings(preceding=True) if s.tail)
            return parent, url, f"{base}/text()[{n}]"
        return parent, url, f"{self.element_path(parent)}/text()[1]"


def _position(el: etree._Element) -> int:
    """The element's position among its same-named siblings, in time linear over a run.

    Failures come in document order, so the position is counted on from the previous failure
    among the same siblings; counting every preceding sibling again for each failure is quadratic
    when thousands of siblings fail (a 50 MB search result with 10,000 broken products).
    """
    parent = el.getparent()
    if parent is None:
        return 1
    memos = getattr(_state, "sibling", None)
    if memos is None:
        memos = _state.sibling = {}
    key = (parent, el.tag)
    memo = memos.get(key)
    if memo is not None:
        if memo[0] is el:  # several findings on one node, or on its descendants
            return memo[1]
        before = (el.sourceline or 0) < (memo[0].sourceline or 0)
        n = memo[1]
        for sibling in () if before else memo[0].itersiblings(el.tag):
            n += 1
            if sibling is el:
                memos[key] = (el, n)
                return n
    # XPath objects are not shared between threads: one set per thread.
    counters = getattr(_state, "counters", None)
    if counters is None:
        counters = _state.counters = {}
    counter = counters.get(el.tag)
    if counter is None:
        q = etree.QName(el)
        step = f"t:{q.localname}" if q.namespace else q.localname
        counter = etree.XPath(f"count(preceding-sibling::{step})",
                              namespaces={"t": q.namespace} if q.namespace else None)
        counters[el.tag] = counter
    n = 1 + int(counter(el))
    memos[key] = (el, n)
    return n


class _DocumentResolver(etree.Resolver):
    """Lets ``document()`` read files only inside the contract's folder, through the safe loader."""

    def __init__(self, folders: tuple[Path, ...]):
        super().__init__()
        self.folders = folders

    def resolve(self, url, pubid, context):
        parsed = urlparse(url)
        if parsed.scheme not in ("", "file"):
            raise RunError(f"document({url!r}) refused: only local files may be read")
        path = Path(unquote(parsed.path)).resolve()
        if not any(within(path, f) for f in self.folders):
            raise RunError(f"document({url!r}) refused: outside the contract's folder")
        try:
            data = xmlio.read_bytes(path)
            xmlio.parse_bytes(data, str(path))  # refuse DOCTYPEs and the like before libxml2 sees it
        except CdcxmlError as err:
            # A subordinate document that cannot be read spoils this document's check, not the run.
            raise RunError(f"document({url!r}): {err.message}", path=str(path),
                           line=err.line) from err
        return self.resolve_string(data, context, base_url=path.as_uri())


def _settle_lines(raw: etree._Element, pending: list, tree: etree._ElementTree,
                  source: bytes | None) -> None:
    """Replace the "@n" placeholders of the raw findings by the located elements' lines."""
    if not pending:
        return
    root = tree.getroot()
    exact: dict = {}
    main = [el for el in pending if el.getroottree().getroot() is root]
    if main:
        data = source
        url = tree.docinfo.URL
        if data is None and url and url.startswith("file:"):
            try:
                data = xmlio.read_bytes(Path(unquote(urlparse(url).path)))
            except CdcxmlError:
                data = None
        if data is not None and lines.needs_scan(data):
            exact = lines.start_lines(data, root, main) or {}
    for f in raw.iterchildren(R + "f"):
        where = f.get("l", "")
        if where.startswith("@"):
            index, rest = where[1:].split("\t", 1)
            el = pending[int(index)]
            line = exact.get(el) or el.sourceline
            f.set("l", f"{line or ''}\t{rest}")


_NO_OUTPUT = etree.Element(R + "out")  # what a document the pre-check settles produced: nothing


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one run: findings, and the raw output for SVRL."""

    findings: tuple[results.Finding, ...]
    raw: etree._Element
    compiled: Compiled
    document: str | None
    silent: tuple[int, ...] | None = None  # patterns (plan indexes) that fired no required rule

    def svrl(self) -> etree._ElementTree:
        """The run as an SVRL document."""
        return self.compiled.to_svrl(self.raw, self.document)


class Compiled:
    """A compiled schema for one phase: reusable, cheap to apply to many documents."""

    def __init__(self, schema: Schema, plan: Plan, xslt_tree: etree._ElementTree,
                 folder: Path | None):
        self.schema = schema
        self.plan = plan
        self.xslt_source = etree.tostring(xslt_tree, pretty_print=True, encoding="UTF-8",
                                          xml_declaration=True)
        self.ns = dict(schema.ns)
        self.locator = Locator(self.ns)
        uses_documents = b"document(" in self.xslt_source
        folders = (folder,) if folder else ()
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        parser.resolvers.add(_DocumentResolver(folders))
        access = (etree.XSLTAccessControl(read_file=True, write_file=False, create_dir=False,
                                          read_network=False, write_network=False)
                  if uses_documents else etree.XSLTAccessControl.DENY_ALL)
        # The contract's own URI as base, so relative document() calls resolve in its folder.
        base = (folder / "contract.xsl").as_uri() if folder else None
        tree = etree.fromstring(self.xslt_source, parser, base_url=base).getroottree()
        extensions = {(RUN, "locate"): self._locate, (RUN, "uri"): self._uri,
                      (RUN, "enter"): self._enter}
        try:
            self.xslt = etree.XSLT(tree, access_control=access, extensions=extensions)
        except etree.XSLTParseError as err:
            raise _compile_error(err, plan, schema) from err
        # The outcomes of the documents the pre-check settles: no finding (and every pattern
        # fired), one object for all of them.
        self.settled = Outcome((), _NO_OUTPUT, self, None)
        self.settled_fired = Outcome((), _NO_OUTPUT, self, None, ())

    # extension functions ------------------------------------------------------------------------
    def _locate(self, _ctx, nodes, roots):
        el, _, path = self.locator.locate(nodes[0] if nodes else None, roots)
        # The line is settled after the run (``_settle_lines``): "@n" is the n-th located element.
        pending = _state.pending
        line = ""
        if el is not None:
            line = f"@{len(pending)}"
            pending.append(el)
        return f"{line}\t{getattr(_state, 'doc', None) or ''}\t{path}"

    @staticmethod
    def _uri(_ctx):
        return getattr(_state, "doc", None) or ""

    @staticmethod
    def _enter(_ctx, uri):
        # lxml hands nodes of subordinate documents over as nodes of the main one, so the
        # stylesheet says which document it walks.
        main = getattr(_state, "main", None)
        _state.doc = urljoin(main, uri) if uri and main else (uri or main)
        return ""

    # running ------------------------------------------------------------------------------------
    precheck: etree.XPath | None = None  # set by compile_schematron when one XPath can tell
    fired: etree.XPath | None = None  # which patterns fire, where the pre-check settles a document
    # Where every required rule's context is element names: those names, per pattern (precheck.py).
    fired_names: tuple[tuple[str, ...] | None, ...] | None = None
    warnings: tuple = ()  # Leniency: what compile_schematron ran although ISO forbids it

    def run(self, tree: etree._ElementTree, *, silent: bool = False,
            source: bytes | None = None) -> Outcome:
        """Apply to a parsed document; with ``silent``, also say which patterns fired nothing.

        ``source``, the document's bytes, makes every line exact (without them, a document read
        from a file is read again when its lines need it)."""
        if self.precheck is not None and not (silent and self.fired is None) \
                and not self._flagged(tree):
            if not silent:
                return self.settled
            quiet = self._silent_by_xpath(tree)
            if quiet == ():
                return self.settled_fired
            if quiet is not None:
                return Outcome((), _NO_OUTPUT, self, None, quiet)
        url = tree.docinfo.URL
        _state.main = _state.doc = url
        _state.pending = []
        try:
            try:
                result = self.xslt(tree)
            except etree.XSLTApplyError as err:
                raise RunError(f"the contract could not be applied: {_xslt_error(err)}",
                               path=self.schema.where.file) from err
            raw = result.getroot()
            if raw is None:
                raise RunError("the contract produced no result", path=self.schema.where.file)
            _settle_lines(raw, _state.pending, tree, source)
        finally:
            _state.main = _state.doc = _state.sibling = _state.pending = None
        return Outcome(self.findings(raw, url), raw, self, url, self._silent(raw))

    def _silent(self, raw: etree._Element) -> tuple[int, ...]:
        hit = {int(h.get("p")) for h in raw.iterchildren(R + "h")}
        return tuple(i for i, p in enumerate(self.plan.patterns)
                     if p.required_rules and i not in hit)

    def _silent_by_xpath(self, tree: etree._ElementTree) -> tuple[int, ...] | None:
        names = self.fired_names
        if names is not None:  # contexts that are element names: lxml finds one without XPath
            root = tree.getroot()
            quiet = [i for i, tags in enumerate(names)
                     if tags is not None and next(root.iter(*tags), None) is None]
            return tuple(quiet) if quiet else ()
        try:
            digits = str(self.fired(tree))
        except etree.XPathError:
            return None
        return tuple(i for i, d in enumerate(digits) if d == "0")

    def _flagged(self, tree: etree._ElementTree) -> bool:
        """True when the pre-check sees a finding (or cannot tell): the stylesheet must run."""
        try:
            return bool(self.precheck(tree))
        except etree.XPathError:
            return True

    def findings(self, raw: etree._Element, url: str | None) -> tuple[results.Finding, ...]:
        """Read the findings out of a raw result."""
        out = []
        plan = self.plan
        for f in raw.iterchildren(R + "f"):
            ri, a = plan.assertions[int(f.get("a"))]
            _, rule = plan.rules[ri]
            pattern = plan.patterns[plan.rules[ri][0]]
            line, doc, path = self._where(f)
            location = results.Location(path, int(line) if line else None,
                                        doc if doc and doc != url else None)
            diagnostics, properties, message = [], [], ""
            for child in f:
                if child.tag == R + "t":
                    message = _normalize(_string(child))
                elif child.tag == R + "d":
                    d = plan.diagnostics[int(child.get(R + "i"))]
                    diagnostics.append(results.Diagnostic(d.id, _normalize(_string(child)), d.text.lang))
                elif child.tag == R + "pr":
                    p = plan.properties[int(child.get(R + "i"))]
                    properties.append(results.Property(p.id, _normalize(_string(child)), p.role,
                                                       p.scheme))
            out.append(results.Finding(
                kind=a.kind, id=a.id, pattern=pattern.id, context=rule.context, test=a.test,
                message=message, location=location, role=a.role or rule.role,
                flag=a.flag or rule.flag, lang=a.text.lang, diagnostics=tuple(diagnostics),
                properties=tuple(properties)))
        return tuple(out)

    def _where(self, raw_f: etree._Element) -> tuple[str, str, str]:
        """(line, document, XPath) of a raw finding."""
        line, doc, path = raw_f.get("l", "\t\t").split("\t", 2)
        steps = raw_f.get("x")
        return line, doc, self.locator.spelled_path(steps) if steps is not None else path

    # SVRL ---------------------------------------------------------------------------------------
    def to_svrl(self, raw: etree._Element, document: str | None = None) -> etree._ElementTree:
        """Rebuild the raw output as SVRL: active patterns in order, each with its fired rules."""
        plan = self.plan
        nsmap = {"svrl": SVRL}
        nsmap.update({p: u for p, u in self.schema.ns if p not in nsmap and p})
        out = etree.Element(S + "schematron-output", nsmap=nsmap)
        _set(out, "title", self.schema.title)
        _set(out, "phase", plan.phase)
        _set(out, "schemaVersion", self.schema.schema_version)
        for prefix, uri in self.schema.ns:
            etree.SubElement(out, S + "ns-prefix-in-attribute-values", prefix=prefix, uri=uri)
        groups: dict[int, list[etree._Element]] = {i: [] for i in range(len(plan.patterns))}
        docs: dict[int, str] = {}
        for child in raw:
            if child.tag == R + "p":
                docs[int(child.get("p"))] = _normalize(child.get("docs", ""))
            elif child.tag == R + "r":
                ri = int(child.get("r"))
                p_index, rule = plan.rules[ri]
                fired = etree.Element(S + "fired-rule", context=rule.context)
                for attr, value in (("id", rule.id), ("role", rule.role), ("flag", rule.flag),
                                    ("document", child.get("d"))):
                    _set(fired, attr, value)
                groups[p_index].append(fired)
            elif child.tag == R + "f":
                ri, a = plan.assertions[int(child.get("a"))]
                p_index, rule = plan.rules[ri]
                groups[p_index].append(self._svrl_finding(child, a, rule))
        for i, pattern in enumerate(plan.patterns):
            active = etree.SubElement(out, S + "active-pattern")
            _set(active, "id", pattern.id)
            _set(active, "name", pattern.name)
            _set(active, "role", pattern.role)
            _set(active, "documents", docs.get(i) if pattern.documents else document)
            out.extend(groups[i])
        return etree.ElementTree(out)

    def _svrl_finding(self, raw_f: etree._Element, a, rule) -> etree._Element:
        tag = "failed-assert" if a.kind == "assert" else "successful-report"
        el = etree.Element(S + tag)
        line, doc, path = self._where(raw_f)
        _set(el, "id", a.id)
        _set(el, "role", a.role or rule.role)
        _set(el, "flag", a.flag or rule.flag)
        el.set("test", a.test)
        el.set("location", path)
        _set(el, f"{{{XML}}}lang", a.text.lang)
        message = None
        for child in raw_f:
            if child.tag == R + "d":
                d = self.plan.diagnostics[int(child.get(R + "i"))]
                ref = etree.SubElement(el, S + "diagnostic-reference", diagnostic=d.id)
                ref.append(_svrl_text(child, d.text))
            elif child.tag == R + "pr":
                p = self.plan.properties[int(child.get(R + "i"))]
                ref = etree.SubElement(el, S + "property-reference", property=p.id)
                _set(ref, "role", p.role)
                _set(ref, "scheme", p.scheme)
                ref.append(_svrl_text(child, p.text))
            elif child.tag == R + "t":
                message = _svrl_text(child, a.text, lang=False)
        if message is not None:
            el.append(message)
        return el


def _svrl_text(raw: etree._Element, text, *, lang: bool = True) -> etree._Element:
    el = etree.Element(S + "text")
    if lang:
        _set(el, f"{{{XML}}}lang", text.lang)
    for attr in ("see", "icon", "fpi"):
        _set(el, attr, getattr(text, attr))
    for name, value in raw.attrib.items():
        if not name.startswith(R):  # attributes an xsl:copy-of put on the text
            el.set(name, value)
    el.text = raw.text
    for child in raw:
        el.append(child)
    return el


def _set(el: etree._Element, name: str, value: str | None) -> None:
    if value is not None:
        el.set(name, value)


def _compile_error(err: etree.XSLTParseError, plan: Plan, schema: Schema) -> SchematronError:
    """Blame the rule whose context libxslt could not compile as a pattern, when there is one."""
    message = _xslt_error(err)
    for _, rule in plan.rules:
        if f"'{rule.context}'" in message:
            why = "; ".join(m for m in message.split("; ") if rule.context not in m
                            and m not in ("error", "compilation error, element 'template'"))
            return SchematronError(f"rule context {rule.context!r} is not a valid XSLT 1.0 "
                                   f"pattern ({why or message})", path=rule.where.file,
                                   line=rule.where.line)
    return SchematronError(message, path=schema.where.file)


def _xslt_error(err: Exception) -> str:
    log = getattr(err, "error_log", None)
    messages = [e.message for e in log] if log else []
    messages = [m for m in messages if m] or [str(err)]
    return "; ".join(dict.fromkeys(_normalize(m) for m in messages))
