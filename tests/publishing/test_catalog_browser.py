"""The catalog page as people see it: rendered by headless Chromium from a local mirror of the bucket.

The page is written at both of its places (``published/releases/<rid>/index.html`` and the stable
``published/index.html``) into a folder laid out like the bucket, with a placeholder file at every key
the manifest names, and opened from disk with name resolution blocked, as someone opens a downloaded
mirror. Chromium missing is a failure, never a skip: ``make browser`` installs it.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = 1280, 2000


def _synthetic() -> ModuleType:
    # The synthetic inputs live beside the unit tests (tests/ is not a package).
    spec = importlib.util.spec_from_file_location("catalog_synthetic", HERE / "test_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium is not installed: run `make browser` (as root it runs "
                    "`apt-get install --no-install-recommends chromium`).")
    return found


def _run(browser: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess[bytes]:
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--host-resolver-rules=MAP * ~NOTFOUND", *arguments]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr.decode()[-2000:]}"
    return result


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> dict:
    synthetic = _synthetic()
    release = synthetic.synthetic_release()
    rid = release["release"]
    root = tmp_path_factory.mktemp("bucket")
    # Every file the page may link to, where the bucket layout puts it.
    keys = [f"published/releases/{rid}/{name}" for name in ("release.json", "datapackage.json", "dcat.jsonld")]
    keys += [info["key"] for entry in release["datasets"].values() for info in entry["files"].values()]
    keys += [info["report"] for info in release["validation"].values()]
    for key in keys:
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(b"placeholder")
    arguments = {"release": release, "statistics": synthetic.synthetic_statistics(),
                 "overdue_ageing": synthetic.synthetic_ageing(), "changes": synthetic.synthetic_changes(),
                 "dictionary": synthetic.synthetic_dictionary()}
    pages = {"release": root / f"published/releases/{rid}/index.html", "stable": root / "published/index.html"}
    pages["release"].write_text(synthetic.render_catalog(**arguments, link_base=""), encoding="utf-8")
    pages["stable"].write_text(synthetic.render_catalog(**arguments, link_base=f"releases/{rid}/"), encoding="utf-8")
    browser = _chromium()
    doms = {name: _run(browser, tmp_path_factory.mktemp("profile"), "--dump-dom", page.as_uri()).stdout.decode()
            for name, page in pages.items()}
    screenshot = tmp_path_factory.mktemp("shot") / "catalog.png"
    _run(browser, tmp_path_factory.mktemp("profile"), f"--screenshot={screenshot}",
         f"--window-size={WIDTH},{HEIGHT}", pages["release"].as_uri())
    return {"synthetic": synthetic, "release": release, "pages": pages, "doms": doms, "screenshot": screenshot,
            "statistics": arguments["statistics"]}


def test_screenshot_is_a_page_not_a_blank(mirror: dict) -> None:
    from PIL import Image

    with Image.open(mirror["screenshot"]) as image:
        assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
        grey = image.convert("L")
        histogram = grey.histogram()
        dark = sum(histogram[:128])  # text, bars, rules
        assert dark > WIDTH * HEIGHT * 0.005, "the screenshot is (nearly) blank"
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 20


def test_rendered_dom_has_the_figures(mirror: dict) -> None:
    synthetic = mirror["synthetic"]
    for dom in mirror["doms"].values():
        assert synthetic.figure(dom, "rows-consolidated_cases") == str(
            mirror["release"]["datasets"]["consolidated_cases"]["rows"])
        assert synthetic.figure(dom, "national-follow_up_rate") == "0.75"
        # Aceh: 30 of 40 proven recommendations followed up
        assert synthetic.figure(dom, "rate-province-11") == "0.75"
        assert re.search(r'data-figure="rate-province-11"[^>]*>75%<', dom)
        assert synthetic.figure(dom, "changed-consolidated_cases") == "5"


def test_rendered_dom_has_the_charts_with_their_bars(mirror: dict) -> None:
    provinces = mirror["statistics"].query("level == 'province'")
    for dom in mirror["doms"].values():
        charts = [a.get("data-chart") for t, a in mirror["synthetic"].tags(dom) if t == "svg"]
        assert charts == ["chart-rate-province", "chart-rate-election", "chart-days-election", "chart-ageing"]
        bars = re.findall(r'<g id="chart-rate-province-bar-\d+"', dom)
        assert len(bars) == int((~provinces["suppressed"]).sum())
        assert re.search(r"<title>Tingkat tindak lanjut per provinsi", dom)


def test_a_suppressed_cell_shows_disembunyikan(mirror: dict) -> None:
    for dom in mirror["doms"].values():
        assert re.search(r'data-figure="rate-province-51"[^>]*>disembunyikan', dom)  # the table cell
        assert re.search(r"<text[^>]*>disembunyikan</text>", dom)  # the chart
        assert 'data-figure="rate-province-51" data-value="0"' not in dom


def test_every_link_resolves_inside_the_mirror_at_both_depths(mirror: dict) -> None:
    for name, dom in mirror["doms"].items():
        page = mirror["pages"][name]
        links = [a["href"] for t, a in mirror["synthetic"].tags(dom) if t == "a" and a.get("href")]
        files = [h for h in links if not h.startswith("#")]
        assert len(files) >= 10
        missing = [h for h in files if not (page.parent / h).resolve().is_file()]
        assert not missing, f"{name} page: links to nothing: {missing}"
        anchors = {a.get("id") for _, a in mirror["synthetic"].tags(dom)}
        assert not [h for h in links if h.startswith("#") and h[1:] not in anchors]
