"""Every page of the admin site, as each role sees it, in zh-CN: no raw codes, ids or English words
outside a known list; no serious or critical accessibility violation (axe-core); and from 390 px wide
the page does not overflow sideways, the navigation folds behind a menu button and the top bar keeps
the clinic's name on one line and the sign-out button in view."""

from __future__ import annotations

import re

from tests.e2e.conftest import ROOT
from tests.e2e.test_admin_site import browser, sign_in  # noqa: F401  (fixtures)

playwright_api = __import__("pytest").importorskip("playwright.sync_api")
expect = playwright_api.expect

AXE = ROOT / "admin_site" / "node_modules" / "axe-core" / "axe.min.js"

# Latin words a Chinese page may show: the product's name, units, file and method names, the
# language switch, and abbreviations clinics use as they are.
KNOWN_WORDS = {"Revisit", "English", "CSV", "AUC", "Brier", "KPI", "QR", "mmol", "mg", "dL", "L", "A", "B",
               "ID", "SMS", "WeChat", "VIP", "p", "n", "AB", "Asia", "Shanghai", "Urumqi", "Hong_Kong", "Taipei",
               "Singapore", "Europe", "London", "HbA1c", "BMI", "OR", "x", "y"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
RAW_ID = re.compile(r"\b[0-9a-f]{12,}\b|\b[a-z]+_[a-z_]+\b")


def pages_of(page) -> list[str]:
    return page.locator("nav.side a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def visible_text(page) -> str:
    """The text a person sees, one text node a line, leaving out what the page shows as a code on
    purpose (a file's column names, a template variable, a code to type: `<code>`, `<kbd>`, `.mono`,
    `[data-code]`) and staff usernames."""
    return page.evaluate("""() => {
        const out = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const parent = node.parentElement;
            if (!parent || parent.closest('code, kbd, .mono, [data-code], script, style, option:not(:checked)')) continue;
            if (!parent.getClientRects().length) continue;
            const text = node.nodeValue.trim();
            if (text) out.push(text);
        }
        return out.join('\\n');
    }""")


def strange_words(text: str) -> set[str]:
    """Latin words outside the known list (account usernames and masked ids excluded by the caller)."""
    words = set()
    for line in text.splitlines():
        if "@" in line:  # a staff username (xiaoli@demo-dental) is shown as it is
            continue
        words |= {w for w in WORD.findall(line) if w not in KNOWN_WORDS and not re.fullmatch(r"[A-Z0-9-]{4,}", w)}
    return words


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return found


def weak_controls(page) -> list[str]:
    """Enabled, visible form controls whose edge (border, or a filled button's background) is below
    3:1 against what is behind them (WCAG 1.4.11, non-text contrast)."""
    return page.evaluate("""() => {
        const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92
            : Math.pow((v + 0.055) / 1.055, 2.4); }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
        const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
        const behind = (el) => { for (let e = el.parentElement; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3); }
            return [255, 255, 255]; };
        const weak = [];
        for (const el of document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), select, textarea, button')) {
            if (el.disabled || !el.getClientRects().length) continue;
            const style = getComputedStyle(el), back = behind(el);
            const fill = rgb(style.backgroundColor), edge = rgb(style.borderTopColor);
            const filled = fill.length === 3 || (fill.length === 4 && fill[3] > 0);
            const best = Math.max(parseFloat(style.borderTopWidth) > 0 ? ratio(edge.slice(0, 3), back) : 1,
                                  filled ? ratio(fill.slice(0, 3), back) : 1);
            if (best < 3) weak.push(`${el.tagName.toLowerCase()}[data-testid=${el.dataset.testid || ''}] ${best.toFixed(2)}`);
        }
        return weak.slice(0, 5);
    }""")


def open_page(page, stack, href: str) -> None:
    page.goto(stack.site_url + "/" + href)
    page.wait_for_load_state("networkidle")
    # what is checked is the page once loaded, not its loading line
    page.wait_for_function("() => !(document.querySelector('main') || document.body).innerText.includes('加载中')",
                           timeout=30000)
    page.wait_for_timeout(300)


def walk(browser, stack, role, width, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    username = f"{role}@demo-dental"
    sign_in(page, stack, username=username, password=stack.password(username))
    expect(page.get_by_test_id("clinic-name")).not_to_be_empty()
    hrefs = pages_of(page)
    if role in ("admin", "front_desk", "health_manager"):
        open_page(page, stack, "#/patients")
        page.locator("tr.clickable").first.click()
        page.wait_for_load_state("networkidle")
        hrefs.append(page.url.split("/", 3)[3].lstrip("/"))
    problems = []
    for href in hrefs:
        open_page(page, stack, href)
        name = href.strip("#/").replace("/", "-") or "home"
        page.screenshot(path=str(tmp_path / f"{role}-{width}-{name}.png"), full_page=True)
        text = visible_text(page)
        words = strange_words(text)
        raw = {m for line in text.splitlines() if "@" not in line for m in RAW_ID.findall(line)}
        if words or raw:
            problems.append((href, "words", sorted(words)[:20], sorted(raw)[:10]))
        if role == "admin":  # the admin sees every page and form the other roles see parts of
            violations = axe_violations(page)
            if violations:
                problems.append((href, "axe", violations))
            weak = weak_controls(page)
            if weak:
                problems.append((href, "contrast of controls", weak))
        if width <= 400:
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 1:
                problems.append((href, "overflow", overflow))
    if width <= 400:
        expect(page.get_by_test_id("menu-toggle")).to_be_visible()
        expect(page.locator("nav.side")).to_be_hidden()
        page.get_by_test_id("menu-toggle").click()
        expect(page.locator("nav.side")).to_be_visible()
        name = page.get_by_test_id("clinic-name")
        line = page.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight) || 20",
                             name.element_handle())
        assert name.bounding_box()["height"] <= line * 1.5, "the clinic's name wraps"
        out = page.get_by_test_id("signout").bounding_box()
        assert out and out["x"] + out["width"] <= width, "sign-out is cut off"
    context.close()
    return problems


def test_every_page_speaks_chinese_and_passes_the_accessibility_check(browser, local_stack, tmp_path):  # noqa: F811
    problems = []
    for role in ("admin", "front_desk", "health_manager", "analyst"):
        problems += [(role, *p) for p in walk(browser, local_stack, role, 1280, tmp_path)]
    assert not problems, "\n".join(map(str, problems))


def test_every_page_works_from_390_pixels_wide(browser, local_stack, tmp_path):  # noqa: F811
    problems = [("admin", *p) for p in walk(browser, local_stack, "admin", 390, tmp_path)
                if p[1] == "overflow"]
    assert not problems, "\n".join(map(str, problems))
