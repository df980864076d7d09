"""The HTML report, rendered by a real headless browser (Debian's chromium)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lxml import html
from PIL import Image

from .analysis_support import EXAMPLE, TRACKING, run

CHROMIUM = Path("/usr/bin/chromium")

# Heatmap and verdict colours of the report's stylesheet, as the browser paints them.
K1 = (254, 240, 199)
K3 = (181, 71, 8)
ACCEPT = (209, 250, 223)
REJECT = (254, 205, 202)

# ProductSearch from the v1 response, by hand: path -> (marketing, reseller-web) cell kinds.
# Emptying /Products or removing every Product leaves each consumer's pattern nothing to match
# (a vacuous contract fails), so both consumers depend on them too.
PRODUCTSEARCH_CELLS = {
    "/Products": ("content", "content"),
    "/Products/Product": ("presence content", "presence content"),
    "/Products/Product/CatalogueID": ("presence", "presence"),
    "/Products/Product/Name": ("presence", "presence"),
    "/Products/Product/Price": ("presence content type", "presence"),
    "/Products/Product/Manufacturer": ("presence", ""),
    "/Products/Product/InStock": ("", ""),
}


@pytest.fixture(scope="module")
def browser() -> Path:
    if not CHROMIUM.exists():
        pytest.fail("these tests render the report in Debian's chromium, which is not installed at "
                    f"{CHROMIUM}: run `apt-get install -y chromium`", pytrace=False)
    return CHROMIUM


def _chromium(tmp_path: Path, page: Path, *args: str) -> bytes:
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", *args, page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout


def _rendered_dom(tmp_path: Path, page: Path) -> html.HtmlElement:
    return html.fromstring(_chromium(tmp_path, page, "--dump-dom"))


def _colours(tmp_path: Path, page: Path) -> dict[tuple[int, int, int], int]:
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, page, "--window-size=1200,1600", "--hide-scrollbars", f"--screenshot={shot}")
    with Image.open(shot) as image:
        return {colour: n for n, colour in image.convert("RGB").getcolors(maxcolors=1 << 22)}


def _report(tmp_path: Path, name: str, *args) -> Path:
    page = tmp_path / f"{name}.html"
    result = run(*args, "--format", "html", "--output", page)
    assert result.stdout == ""
    return page


def _assert_self_contained(page: Path) -> None:
    doc = html.fromstring(page.read_bytes())
    assert doc.xpath("//script | //link | //img | //iframe | //object | //embed") == []
    assert doc.xpath("//@src | //@href | //@srcset") == []
    css = "".join(doc.xpath("//style/text()"))
    assert "url(" not in css and "@import" not in css


def test_obligations_heatmap_renders_with_the_expected_cells(browser, tmp_path):
    page = _report(tmp_path, "obligations", "obligations", "-c", EXAMPLE / "contracts",
                   "--sample", EXAMPLE / "responses/v1.xml")
    _assert_self_contained(page)
    dom = _rendered_dom(tmp_path, page)
    assert dom.findtext(".//h1") == "Consumer obligations"
    table, = dom.xpath("//table[@id='obligations']")
    assert [th.text_content() for th in table.xpath("thead/tr/th")] == [
        "path", "marketing", "reseller-web"]
    cells = {}
    for row in table.xpath("tbody/tr"):
        kinds = {td.get("data-consumer"): td.get("data-kinds") for td in row.xpath("td")}
        cells[row.get("data-path")] = (kinds["marketing"], kinds["reseller-web"])
    assert cells == PRODUCTSEARCH_CELLS
    price, = table.xpath("tbody/tr[@data-path='/Products/Product/Price']/td[@data-consumer='marketing']")
    assert price.text_content() == "P C T"
    assert price.get("title") == "fails: has-price, price-is-number"
    assert table.xpath("tbody/tr[@class='unused']/@data-path") == ["/Products/Product/InStock"]
    assert [li.text_content() for li in dom.xpath("//div[@id='unused']//li")] == [
        "/Products/Product/InStock"]

    colours = _colours(tmp_path, page)
    # One dark cell (Price for marketing, three kinds) and eight light ones really are painted.
    assert colours.get(K3, 0) > 1000
    assert colours.get(K1, 0) > 7 * colours[K3]


def test_tracking_heatmap_has_a_column_per_consumer(browser, tmp_path):
    page = _report(tmp_path, "tracking", "obligations", "-c", TRACKING / "contracts",
                   "--sample", TRACKING / "samples", "--xsd", TRACKING / "schemas/tracking-v1.xsd")
    dom = _rendered_dom(tmp_path, page)
    heads = dom.xpath("//table[@id='obligations']/thead/tr/th/text()")
    assert heads == ["path", "analytics", "billing", "customer-portal", "warehouse"]
    verified, = dom.xpath("//tr[@data-path='/Shipments/Shipment/Destination/@verified']")
    assert verified.xpath("th/@title") == ["urn:example:address"]
    assert {td.get("data-consumer"): td.get("data-kinds") for td in verified.xpath("td")} == {
        "analytics": "", "billing": "", "customer-portal": "presence content type", "warehouse": ""}
    assert "/Shipments/Shipment/Signature" in dom.text_content()


def test_contrast_table_and_findings_with_lines(browser, tmp_path):
    page = _report(tmp_path, "contrast", "contrast", "--xsd", EXAMPLE / "schemas/products-v1.xsd",
                   "-c", EXAMPLE / "contracts", EXAMPLE / "responses")
    _assert_self_contained(page)
    dom = _rendered_dom(tmp_path, page)
    rows = {}
    for row in dom.xpath("//table[@id='contrast']/tbody/tr"):
        rows[row.get("data-document").rsplit("responses/", 1)[1]] = tuple(
            td.text_content() for td in row.xpath("td[@data-consumer]"))
    assert rows == {
        "broken-no-price.xml": ("reject", "reject", "reject"),
        "soap/broken-no-price.xml": ("reject", "reject", "reject"),
        "soap/v1.xml": ("accept", "accept", "accept"),
        "v1.xml": ("accept", "accept", "accept"),
        "v2-description.xml": ("reject", "accept", "accept"),
        "v3-no-instock.xml": ("reject", "accept", "accept"),
    }
    needless, = dom.xpath("//div[@data-case='xsd_rejects_consumers_accept']")
    assert [li.text_content().rsplit("/", 1)[1] for li in needless.xpath(".//li")] == [
        "v2-description.xml", "v3-no-instock.xml"]
    findings = [li.text_content() for li in dom.xpath("//ul[@id='findings']/li")]
    assert (f"{EXAMPLE / 'responses/broken-no-price.xml'}:10: marketing: Must contain Price node "
            "[has-price]") in findings
    assert (f"{EXAMPLE / 'responses/soap/broken-no-price.xml'}:12: reseller-web: Must contain "
            "Price node [p:Price]") in findings
    colours = _colours(tmp_path, page)
    assert colours.get(ACCEPT, 0) > 1000 and colours.get(REJECT, 0) > 1000


def test_impact_page(browser, tmp_path):
    page = _report(tmp_path, "impact", "impact", "-c", TRACKING / "contracts",
                   "--old-xsd", TRACKING / "schemas/tracking-v1.xsd",
                   "--new-xsd", TRACKING / "schemas/tracking-v2.xsd", "--sample", TRACKING / "samples")
    _assert_self_contained(page)
    dom = _rendered_dom(tmp_path, page)
    states = {td.get("data-consumer"): td.text_content()
              for td in dom.xpath("//table[@id='impact']//td[@data-consumer]")}
    assert states == {"analytics": "holds", "billing": "breaks", "customer-portal": "holds",
                      "warehouse": "holds"}
    text = dom.text_content()
    assert "billing: [has-weight] A shipment needs a weight at" in text
    assert "could not derive: /Shipments/Shipment/@tracking" in text


def _every_report(tmp_path: Path) -> dict[str, Path]:
    contracts, responses = EXAMPLE / "contracts", EXAMPLE / "responses"
    xsd = EXAMPLE / "schemas/products-v1.xsd"
    return {
        "obligations": _report(tmp_path, "obligations", "obligations", "-c", contracts,
                               "--sample", responses / "v1.xml", "--xsd", xsd),
        "contrast": _report(tmp_path, "contrast", "contrast", "--xsd", xsd, "-c", contracts,
                            responses),
        "impact": _report(tmp_path, "impact", "impact", "-c", contracts, "--old",
                          responses / "v1.xml", "--new", responses / "broken-no-price.xml",
                          "--new", responses / "v3-no-instock.xml", "--xsd", xsd),
        "batch": _report(tmp_path, "batch", "batch", "-j", "1", "-c", contracts, "--xsd", xsd,
                         responses),
    }


def test_every_report_shares_one_frame_with_a_legend_and_no_raw_keys(browser, tmp_path):
    from cdcxml.analysis.results import CATEGORIES
    from cdcxml.report.html import CSS

    for name, page in _every_report(tmp_path).items():
        _assert_self_contained(page)
        source = html.fromstring(page.read_bytes())
        assert source.xpath("//style/text()") == [CSS], name
        dom = _rendered_dom(tmp_path, page)
        assert dom.xpath("//p[@class='meta'][1]/text()")[0].startswith("cdcxml "), name
        legend = dom.xpath("//div[@id='legend']//li")
        assert legend and all(li.text_content().strip() for li in legend), name
        body = dom.xpath("//body")[0].text_content()
        for key in CATEGORIES:
            assert key not in body, (name, key)
        for row in dom.xpath("//tbody/tr"):  # no blank row, no blank cell
            assert all(td.text_content().strip() for td in row.xpath("td")), (name, row.get(
                "data-path") or row.get("data-document"))
        for ul in dom.xpath("//ul[contains(@class, 'findings')]"):
            items = [li.text_content() for li in ul.xpath("li")]
            assert len(items) == len(set(items)), name
        assert _colours(tmp_path, page).get(ACCEPT if name != "obligations" else K1, 0) > 200, name


def test_contrast_names_its_cases_and_impact_lists_a_break_once(browser, tmp_path):
    pages = _every_report(tmp_path)
    dom = _rendered_dom(tmp_path, pages["contrast"])
    cases = {row.get("data-document").rsplit("responses/", 1)[1]: row.xpath("td[last()]")[0]
             .text_content() for row in dom.xpath("//table[@id='contrast']/tbody/tr")}
    assert cases["v2-description.xml"] == "only the XSD rejects"
    assert cases["broken-no-price.xml"] == "both reject"
    assert cases["v1.xml"] == "both accept"
    dom = _rendered_dom(tmp_path, pages["impact"])
    text = [li.text_content() for li in dom.xpath("//li")]
    assert sum("Must contain Price node" in t and "marketing" in t for t in text) == 1
    assert any("xsd: Unexpected child with tag 'p:Description'" in t for t in text)
    unused = _rendered_dom(tmp_path, pages["obligations"]).xpath(
        "//tr[@class='unused']/td/text()")
    assert unused == ["\u2013", "\u2013"]
