"""The documentation: executable examples in the guides, and the built site in a real browser.

The browser test needs the built site (``bash docs/build.sh``) and Chromium (Debian's
``chromium`` package) driven by Playwright. CI builds the site and installs Chromium before the
tests; outside CI the test is skipped, with the reason, when either is missing.
"""

from __future__ import annotations

import doctest
import functools
import http.server
import os
import pathlib
import shutil
import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxacts as ja

ROOT = pathlib.Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
DOC_PAGES = sorted((ROOT / "docs").rglob("*.md"))


@pytest.mark.parametrize("path", DOC_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_placeholder_pages(path):
    """No page of the site is a stub (two guides in the navigation said only "To be written")."""
    text = path.read_text()
    assert "to be written" not in text.lower(), f"{path}: a placeholder page"
    if "\n::: " not in text:  # an API page: mkdocstrings writes its body
        words = len(text.split())
        assert words >= 60, f"{path}: {words} words, a stub?"


@pytest.mark.parametrize("path", DOC_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_examples_run(path):
    """Every ``>>>`` example in the hand-written pages runs and prints what the page says."""
    with jax.enable_x64(False):
        res = doctest.testfile(str(path), module_relative=False,
                               globs={"jax": jax, "jnp": jnp, "ja": ja, "np": np},
                               optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                               verbose=False, report=True)
    assert res.failed == 0, f"{path}: {res.failed} example(s) failed"


def _need(condition: bool, why: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide this: {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def site_url():
    _need((SITE / "index.html").exists(), "site not built: run `bash docs/build.sh`")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(SITE))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    _need(chromium is not None, "Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed (pip install -e '.[docs]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _visit(browser, url: str, shot: pathlib.Path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    resp = page.goto(url, wait_until="networkidle")
    assert resp is not None and resp.ok, f"{url}: HTTP {resp and resp.status}"
    broken = page.evaluate(
        "() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src)")
    assert not broken, f"{url}: broken images {broken}"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=False)
    assert not errors, f"{url}: console errors {errors}"
    return page


def test_site_renders_in_a_browser(site_url, browser, tmp_path):
    out = ROOT / ".cache" / "screenshots"
    page = _visit(browser, f"{site_url}/", out / "index.png")
    assert "jaxacts" in page.title()
    page.close()

    name = ja.names()[0]
    page = _visit(browser, f"{site_url}/activations/{name}/", out / f"{name}.png")
    assert page.locator(".katex").count() >= 2, "the formula and derivative did not render"
    assert page.locator(f"img[src*='{name}.png']").count() == 1, "the plot is missing"
    assert not page.locator(".katex-error").count(), "KaTeX could not parse a formula"
    page.close()

    page = _visit(browser, f"{site_url}/gallery/", out / "gallery.png")
    n_imgs = page.locator("img[src*='thumb_']").count()
    assert n_imgs == len(ja.names()), f"gallery shows {n_imgs} of {len(ja.names())} activations"
    page.close()
    assert (out / "gallery.png").stat().st_size > 10_000
