"""The rendered leaderboard in a real browser: headless Chromium driven by Playwright.

Asserts that the tables and plots are there and load, and that no script from a submission ran, on
the task page and on a plot opened directly (an SVG document would run scripts; ours hold none).
Screenshots go to the test's tmp folder and, when ``SEQD_SCREENSHOT_DIR`` is set, there too.

Needs Debian's ``chromium`` package (``apt-get install -y chromium``) and the ``playwright`` Python
package; skips with the reason when either is missing. Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from seqd_builder.leaderboard import render_site, submit
from seqd_builder.leaderboard.testing import crowded_results, make_result, task_assets

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCRIPT_MODEL = "<script>window.__pwned=1</script>"
IMG_UPSTREAM = "<img src=x onerror=\"window.__pwned=2\">"

pytestmark = pytest.mark.browser


def _playwright():
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian's browser with "
                    "`apt-get update && apt-get install -y chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed (pip install playwright)")
    return sync_playwright


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    sync_playwright = _playwright()
    tmp = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQD_ASSETS", str(task_assets(tmp / "assets")))
        subs = tmp / "submissions"
        runs = [make_result("emodb", model="speecheq", upstream="openai/whisper-base", skill=0.82, seed=1,
                            parameters=20_590_080, bootstrap=50),
                make_result("emodb", model="baseline", upstream="fbank", skill=0.55, seed=2, bootstrap=50),
                make_result("emodb", model=SCRIPT_MODEL, upstream=IMG_UPSTREAM, skill=0.65, seed=3,
                            parameters=1000, bootstrap=50,
                            notes="<script>window.__pwned=3</script>", submitter=IMG_UPSTREAM),
                make_result("toy_vad", model="emosphere-ser", upstream="fbank", skill=0.8, seed=4,
                            bootstrap=20)]
        for i, data in enumerate(runs):
            src = tmp / f"run{i}.json"
            src.write_text(json.dumps(data), encoding="utf-8")
            submit(src, subs)
        render_site(subs, tmp / "site")
    return tmp / "site", sync_playwright


@pytest.fixture(scope="module")
def server(site):
    root, _ = site
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def browser(site):
    _, sync_playwright = site
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _screenshot(page, name: str, tmp_path: Path) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    extra = os.environ.get("SEQD_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(extra) / name)
    return path


def test_task_page_shows_tables_and_plots_and_runs_no_submitted_script(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/index.html")
    assert page.locator("table#tasks tbody tr").count() == 3
    page.click("a[href='emodb.html']")
    page.wait_for_load_state("load")
    assert page.title().startswith("EmoDB")

    # The ranked table: one entry per submission, primary metric first, best first.
    assert page.locator("table#board tbody.entry").count() == 3
    headers = page.locator("table#board thead th").all_inner_texts()
    assert headers[:4] == ["#", "model", "upstream", "UA ↑"]
    assert page.locator("table#board tbody.entry").first.locator("td.model .name").inner_text() == "speecheq"

    # Submitted markup is shown as text, and nothing of it became an element or ran.
    models = page.locator("table#board td.model .name").all_inner_texts()
    assert SCRIPT_MODEL in models
    assert any(IMG_UPSTREAM in t for t in page.locator("table#board td.upstream").all_inner_texts())
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert errors == []

    # Fold details open on demand.
    entry = page.locator("table#board tbody.entry").first
    assert not entry.locator("table.folds").is_visible()
    entry.locator("summary").click()
    assert entry.locator("table.folds tbody tr").count() == 10
    assert entry.locator("table.folds").is_visible()

    # Plots are present and actually decoded by the browser.
    sizes = page.evaluate("Array.from(document.querySelectorAll('figure.plot img'))"
                          ".map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
    assert [s[0] for s in sizes] == ["plots/emodb-folds.svg", "plots/emodb-recall.svg",
                                     "plots/emodb-params.svg"]
    assert all(complete and width > 200 for _, complete, width in sizes)
    _screenshot(page, "leaderboard-emodb.png", tmp_path)
    page.close()


def test_plots_opened_directly_run_no_script(browser, server):
    page = browser.new_page()
    for plot in ("emodb-folds.svg", "emodb-recall.svg", "emodb-params.svg"):
        page.goto(f"{server}/plots/{plot}")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        assert SCRIPT_MODEL[:20] in page.evaluate("document.documentElement.textContent")
    page.close()


def test_synthetic_board_and_index_read_well(browser, server, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{server}/index.html")
    row = page.locator("table#tasks tbody tr", has_text="toy_vad")
    assert row.locator(".synthetic-badge").inner_text() == "synthetic data"
    _screenshot(page, "leaderboard-index.png", tmp_path)
    page.goto(f"{server}/toy_vad.html")
    assert page.locator(".synthetic-banner").is_visible()
    assert page.locator("table#board thead th").all_inner_texts()[3] == "CCC mean ↑"
    _screenshot(page, "leaderboard-toy_vad.png", tmp_path)
    page.close()


def test_site_works_from_the_file_system(browser, site):
    root, _ = site
    page = browser.new_page()
    page.goto((root / "emodb.html").as_uri())
    # The stylesheet and plots load under the page's Content-Security-Policy from file:// as well.
    assert page.evaluate("getComputedStyle(document.querySelector('table.board')).borderCollapse") \
        == "collapse"
    assert page.evaluate("document.querySelector('figure.plot img').naturalWidth") > 200
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.close()


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """A site whose RAVDESS-like board has 19 entries (long names, a seed ensemble beside its single
    seed, five upstream sizes)."""
    tmp = tmp_path_factory.mktemp("crowded")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQD_ASSETS", str(task_assets(tmp / "assets")))
        for i, data in enumerate(crowded_results("emodb")):
            src = tmp / f"run{i}.json"
            src.write_text(json.dumps(data), encoding="utf-8")
            submit(src, tmp / "submissions")
        render_site(tmp / "submissions", tmp / "site")
    return tmp / "site"


# every line box of an element: one box per line it occupies
_LINES = "els => els.map(e => { const r = document.createRange(); r.selectNodeContents(e);" \
         " return new Set(Array.from(r.getClientRects()).map(b => Math.round(b.top))).size; })"


@pytest.mark.parametrize("width", [1400, 390])
def test_many_entries_read_well_wide_and_on_a_phone(browser, crowded, tmp_path, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((crowded / "emodb.html").as_uri())
    assert page.locator("table#board tbody.entry").count() == 19
    # no model name and no config · result pair wraps onto a second line
    assert set(page.eval_on_selector_all("table#board td.model .name", _LINES)) == {1}
    assert set(page.eval_on_selector_all("table#board td.links", _LINES)) == {1}
    # a seed ensemble and a single seed of the same config read differently
    ens = page.locator("table#board tbody.entry", has=page.locator(".ensemble-badge"))
    assert ens.count() == 1 and ens.locator(".ensemble-badge").inner_text() == "ensemble of 3 seeds"
    single = page.locator("table#board tbody.entry", has_text="speecheq_stats").filter(
        has_not=page.locator(".ensemble-badge")).filter(has=page.locator("td.upstream", has_text="ct2-whisper"))
    assert "seed " in single.first.locator(".seeds").inner_text()
    # the page never scrolls sideways; the table does, inside its box, on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    fits = page.evaluate("(() => { const s = document.querySelector('.scroll');"
                         " return s.scrollWidth <= s.clientWidth; })()")
    assert fits == (width >= 1400)
    if width < 1400:  # on a phone the metrics are one sideways scroll of the table away
        page.locator("table#board td.primary").first.scroll_into_view_if_needed()
        box = page.locator("table#board td.primary").first.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= width
    # every plot decoded, drawn at its natural width or scaled down to the page, never wider
    sizes = page.evaluate("Array.from(document.querySelectorAll('figure.plot img'))"
                          ".map(i => [i.naturalWidth, i.getBoundingClientRect().right])")
    assert len(sizes) == 3 and all(nat > 200 and right <= width for nat, right in sizes)
    _screenshot(page, f"leaderboard-crowded-{width}.png", tmp_path)
    page.close()
