"""The project's own schemas compile, accept what they should and reject what they should not."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import xmlschema
from lxml import etree, isoschematron

from cdcxml import xmlio
from cdcxml.contract import CDC_NS, load_contract

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
DATA = Path(__file__).resolve().parent / "data"
PRODUCTSEARCH = DATA / "productsearch"
SAMPLES = DATA / "schemas"

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"
PRODUCTS_NS = "urn:example.com:productsearch:products"

TARGET_NAMESPACES = {
    "cdc-contract.xsd": CDC_NS,
    "soap11-envelope.xsd": SOAP11_NS,
    "soap12-envelope.xsd": SOAP12_NS,
    "svrl.xsd": SVRL_NS,
    "xml.xsd": "http://www.w3.org/XML/1998/namespace",
}


class _InsideFolders(etree.Resolver):
    """Resolves schema imports to files inside the given folders and refuses everything else."""

    def __init__(self, *folders: Path):
        super().__init__()
        self.folders = [f.resolve() for f in folders]

    def resolve(self, url, pubid, context):
        parts = urlparse(url)
        target = Path(unquote(parts.path)).resolve()
        if parts.scheme in ("", "file") and any(target.is_relative_to(f) for f in self.folders):
            return self.resolve_filename(str(target), context)
        raise etree.XMLSchemaParseError(f"refused to load {url}")


def _lxml_schema(source: bytes, base: Path, *folders: Path) -> etree.XMLSchema:
    # xmlio's parser refuses every external resource, imports of local schemas included, so
    # schemas are compiled with a parser that reaches the schema's own folder and nothing else.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_InsideFolders(*(folders or (base.parent,))))
    return etree.XMLSchema(etree.fromstring(source, parser, base_url=base.as_uri()).getroottree())


class Validators:
    """One schema compiled by lxml (libxml2) and by xmlschema, asked the same questions."""

    def __init__(self, *paths: Path):
        paths = tuple(p.resolve() for p in paths)
        if len(paths) == 1:
            self.lxml = _lxml_schema(paths[0].read_bytes(), paths[0])
        else:
            imports = "".join(
                f'<xs:import namespace="{_target_namespace(p)}" schemaLocation="{p.as_uri()}"/>'
                for p in paths
            )
            driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
            self.lxml = _lxml_schema(driver.encode(), ROOT / "driver.xsd",
                                     *(p.parent for p in paths))
        # "local": imports may read files, never the network.
        self.xmlschema = xmlschema.XMLSchema([str(p) for p in paths], allow="local")

    def errors(self, tree: etree._ElementTree) -> tuple[list[str], list[str]]:
        """The messages of each validator, lxml's first."""
        self.lxml.validate(tree)
        lxml_errors = [e.message for e in self.lxml.error_log]
        xmlschema_errors = [str(e.reason) for e in self.xmlschema.iter_errors(tree)]
        return lxml_errors, xmlschema_errors


def _target_namespace(path: Path) -> str:
    return xmlio.parse_file(path).getroot().get("targetNamespace")


@pytest.fixture(scope="module")
def cdc() -> Validators:
    return Validators(SCHEMAS / "cdc-contract.xsd")


@pytest.fixture(scope="module")
def soap11() -> Validators:
    return Validators(SCHEMAS / "soap11-envelope.xsd")


@pytest.fixture(scope="module")
def soap12() -> Validators:
    return Validators(SCHEMAS / "soap12-envelope.xsd")


@pytest.fixture(scope="module")
def svrl() -> Validators:
    return Validators(SCHEMAS / "svrl.xsd")


def _valid(validators: Validators, tree: etree._ElementTree) -> None:
    lxml_errors, xmlschema_errors = validators.errors(tree)
    assert lxml_errors == []
    assert xmlschema_errors == []


def _rejected(validators: Validators, tree: etree._ElementTree, word: str) -> None:
    lxml_errors, xmlschema_errors = validators.errors(tree)
    assert lxml_errors, "lxml accepted the document"
    assert xmlschema_errors, "xmlschema accepted the document"
    assert any(word in e for e in lxml_errors), lxml_errors
    assert any(word in e for e in xmlschema_errors), xmlschema_errors


# -- every schema compiles --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TARGET_NAMESPACES))
def test_schema_compiles_with_lxml(name):
    schema = _lxml_schema((SCHEMAS / name).read_bytes(), SCHEMAS / name)
    assert isinstance(schema, etree.XMLSchema)
    assert _target_namespace(SCHEMAS / name) == TARGET_NAMESPACES[name]


@pytest.mark.parametrize("name", sorted(TARGET_NAMESPACES))
def test_schema_compiles_with_xmlschema(name):
    schema = xmlschema.XMLSchema(str(SCHEMAS / name), allow="sandbox")
    assert schema.target_namespace == TARGET_NAMESPACES[name]


@pytest.mark.parametrize("name", ["svrl.xsd", "soap12-envelope.xsd"])
def test_xml_namespace_import_is_the_local_copy(name):
    root = xmlio.parse_file(SCHEMAS / name).getroot()
    imports = root.findall("{http://www.w3.org/2001/XMLSchema}import")
    assert [(i.get("namespace"), i.get("schemaLocation")) for i in imports] == [
        ("http://www.w3.org/XML/1998/namespace", "xml.xsd")
    ]
    schema = xmlschema.XMLSchema(str(SCHEMAS / name), allow="sandbox")
    loaded = [s.url for s in schema.maps.namespaces["http://www.w3.org/XML/1998/namespace"]]
    assert (SCHEMAS / "xml.xsd").as_uri() in loaded


def test_remote_import_is_refused():
    source = (
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:import namespace="urn:x" schemaLocation="http://example.com/x.xsd"/></xs:schema>'
    )
    with pytest.raises(etree.XMLSchemaParseError, match="example.com"):
        _lxml_schema(source, SCHEMAS / "remote.xsd")
    with pytest.warns(xmlschema.XMLSchemaImportWarning, match="block access to remote"):
        xmlschema.XMLSchema(source.decode(), allow="local")


# -- the cdc contract metadata ----------------------------------------------------------------


def test_example_contract_cdc_elements_validate(cdc):
    tree = xmlio.parse_file(PRODUCTSEARCH / "contracts" / "marketing.sch")
    elements = [el for el in tree.getroot() if isinstance(el.tag, str)
                and etree.QName(el).namespace == CDC_NS]
    assert [etree.QName(el).localname for el in elements] == ["contract", "interaction"]
    for el in elements:
        _valid(cdc, etree.ElementTree(el))


def test_example_contract_metadata_reads_as_validated():
    contract = load_contract(PRODUCTSEARCH / "contracts" / "marketing.sch")
    assert (contract.consumer, contract.provider, contract.version) == (
        "marketing", "product-search", "1.0.0")
    (interaction,) = contract.interactions
    assert interaction.id == "search-widgets"
    assert interaction.request.soap_version == "1.1"
    assert interaction.request.soap_action == "urn:example:productsearch:Search"
    assert interaction.response.status == 200


def test_example_request_body_is_a_soap11_envelope(soap11):
    contract = load_contract(PRODUCTSEARCH / "contracts" / "marketing.sch")
    body = xmlio.parse_bytes(contract.interactions[0].request.body, "search-widgets.xml")
    assert etree.QName(body.getroot()).namespace == SOAP11_NS
    _valid(soap11, body)


def test_plain_schematron_contract_is_named_after_its_file():
    contract = load_contract(PRODUCTSEARCH / "contracts" / "reseller-web.sch")
    assert contract.consumer == "reseller-web"
    assert contract.interactions == ()


@pytest.mark.parametrize("name", ["interaction-inline-body.xml", "request-plain-xml.xml"])
def test_cdc_element_accepted(cdc, name):
    _valid(cdc, xmlio.parse_file(SAMPLES / "cdc" / name))


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("bad-contract-no-consumer.xml", "consumer"),
        ("bad-interaction-no-id.xml", "'id'"),
        ("bad-interaction-no-request.xml", "request"),
        ("bad-request-two-bodies.xml", "Search"),
        ("bad-request-soap-version.xml", "1.3"),
        ("bad-response-status.xml", "OK"),
        ("bad-header-name.xml", "X Trace Id"),
    ],
)
def test_cdc_element_rejected(cdc, name, word):
    _rejected(cdc, xmlio.parse_file(SAMPLES / "cdc" / name), word)


def test_missing_consumer_is_reported_on_its_line(cdc):
    tree = xmlio.parse_file(SAMPLES / "cdc" / "bad-contract-no-consumer.xml")
    cdc.lxml.validate(tree)
    assert [e.line for e in cdc.lxml.error_log] == [2]


# -- SOAP envelopes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        PRODUCTSEARCH / "responses" / "soap" / "v1.xml",
        PRODUCTSEARCH / "responses" / "soap" / "broken-no-price.xml",
        PRODUCTSEARCH / "contracts" / "requests" / "search-widgets.xml",
        SAMPLES / "soap" / "soap11-fault.xml",
    ],
    ids=lambda p: p.name,
)
def test_soap11_envelope_accepted(soap11, path):
    _valid(soap11, xmlio.parse_file(path))


@pytest.mark.parametrize("name", ["soap12-response.xml", "soap12-fault.xml"])
def test_soap12_envelope_accepted(soap12, name):
    _valid(soap12, xmlio.parse_file(SAMPLES / "soap" / name))


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("bad-soap11-fault-no-faultstring.xml", "faultstring"),
        ("bad-soap11-header-after-body.xml", "Header"),
    ],
)
def test_soap11_envelope_rejected(soap11, name, word):
    _rejected(soap11, xmlio.parse_file(SAMPLES / "soap" / name), word)


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("bad-soap12-text-no-lang.xml", "lang"),
        ("bad-soap12-unknown-code.xml", "Value"),
        ("bad-soap12-after-body.xml", "Trailer"),
    ],
)
def test_soap12_envelope_rejected(soap12, name, word):
    tree = xmlio.parse_file(SAMPLES / "soap" / name)
    lxml_errors, xmlschema_errors = soap12.errors(tree)
    assert lxml_errors and xmlschema_errors
    # xmlschema names the value's type rather than the element; lxml names the element.
    assert any(word in e for e in lxml_errors), lxml_errors


def test_soap_versions_are_not_interchangeable(soap11, soap12):
    _rejected(soap12, xmlio.parse_file(PRODUCTSEARCH / "responses" / "soap" / "v1.xml"),
              "Envelope")
    _rejected(soap11, xmlio.parse_file(SAMPLES / "soap" / "soap12-response.xml"), "Envelope")


def test_soap_body_is_checked_against_a_payload_schema_loaded_alongside():
    both = Validators(SCHEMAS / "soap11-envelope.xsd",
                      PRODUCTSEARCH / "schemas" / "products-v1.xsd")
    _valid(both, xmlio.parse_file(PRODUCTSEARCH / "responses" / "soap" / "v1.xml"))
    broken = xmlio.parse_file(PRODUCTSEARCH / "responses" / "soap" / "broken-no-price.xml")
    _rejected(both, broken, "Price")


# -- the provider's schemas against the example responses --------------------------------------

# Which response each version of the provider's schema accepts: the article's story, where every
# change breaks an XSD-validating consumer of the previous version.
ACCEPTS = {
    "products-v1.xsd": {"v1.xml"},
    "products-v2-extension.xsd": {"v1.xml", "v2-description.xml"},
    "products-v3.xsd": {"v3-no-instock.xml"},
}
RESPONSES = ["v1.xml", "v2-description.xml", "v3-no-instock.xml", "broken-no-price.xml"]


@pytest.mark.parametrize("schema_name", sorted(ACCEPTS))
@pytest.mark.parametrize("response", RESPONSES)
def test_provider_schema_verdicts(schema_name, response):
    validators = Validators(PRODUCTSEARCH / "schemas" / schema_name)
    lxml_errors, xmlschema_errors = validators.errors(
        xmlio.parse_file(PRODUCTSEARCH / "responses" / response))
    expected_valid = response in ACCEPTS[schema_name]
    assert (not lxml_errors) is expected_valid
    assert (not xmlschema_errors) is expected_valid


def test_missing_price_is_where_the_layout_puts_it():
    validators = Validators(PRODUCTSEARCH / "schemas" / "products-v1.xsd")
    tree = xmlio.parse_file(PRODUCTSEARCH / "responses" / "broken-no-price.xml")
    validators.lxml.validate(tree)
    # The second Product opens on line 10; its Price would have been on line 13.
    assert [e.line for e in validators.lxml.error_log] == [13]
    products = tree.getroot().findall(f"{{{PRODUCTS_NS}}}Product")
    assert [p.sourceline for p in products] == [3, 10]
    assert products[1].find(f"{{{PRODUCTS_NS}}}Price") is None


# -- SVRL -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report-full.xml", "report-empty.xml"])
def test_svrl_accepted(svrl, name):
    _valid(svrl, xmlio.parse_file(SAMPLES / "svrl" / name))


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("bad-assert-no-location.xml", "location"),
        ("bad-assert-no-text.xml", "text"),
        ("bad-ns-after-pattern.xml", "ns-prefix-in-attribute-values"),
        ("bad-fired-rule-no-context.xml", "context"),
        ("bad-span-no-class.xml", "class"),
        ("bad-unknown-element.xml", "failed-rule"),
        ("bad-foreign-attribute-on-assert.xml", "severity"),
    ],
)
def test_svrl_rejected(svrl, name, word):
    _rejected(svrl, xmlio.parse_file(SAMPLES / "svrl" / name), word)


@pytest.mark.parametrize("response", ["v1.xml", "broken-no-price.xml"])
def test_svrl_from_lxml_isoschematron_is_accepted(svrl, response):
    schematron = isoschematron.Schematron(
        xmlio.parse_file(PRODUCTSEARCH / "contracts" / "marketing.sch"), store_report=True)
    valid = schematron.validate(xmlio.parse_file(PRODUCTSEARCH / "responses" / response))
    report = schematron.validation_report
    failed = report.getroot().findall(f"{{{SVRL_NS}}}failed-assert")
    assert len(failed) == (0 if valid else 1)
    assert valid is (response == "v1.xml")
    _valid(svrl, report)
