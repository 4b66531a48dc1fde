"""Colour contrast of a page's texts, as the browser computes it (WCAG 2 relative luminance)."""

from __future__ import annotations

from typing import Any

COLOURS = """els => els.filter(e => e.offsetParent !== null && e.textContent.trim()).map(e => {
  const style = getComputedStyle(e);
  let node = e, background = "rgba(0, 0, 0, 0)";
  while (node && background.endsWith(", 0)")) {
    background = getComputedStyle(node).backgroundColor;
    node = node.parentElement;
  }
  return [e.tagName + "." + e.className + ": " + e.textContent.trim().slice(0, 30), style.color, background,
          parseFloat(style.opacity)];
})"""


def _luminance(css: str) -> float:
    r, g, b = (int(float(v)) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])

    def channel(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def low_contrast(page: Any) -> list[str]:
    """Texts of the page whose colour on their background is under WCAG AA's 4.5:1 (disabled controls aside)."""
    found = []
    texts = page.locator("h1, h2, h3, p, span, a, button:not([disabled]), li, label, strong, td, th")
    rows = texts.evaluate_all(COLOURS)
    assert len(rows) > 10, "no text to check"
    for name, colour, background, opacity in rows:
        if background.endswith(", 0)"):
            background = "rgb(255, 255, 255)"
        hi, lo = sorted((_luminance(colour), _luminance(background)), reverse=True)
        ratio = (hi + 0.05) / (lo + 0.05)
        if ratio < 4.5 and opacity == 1:
            found.append(f"{name} {colour} on {background}: {ratio:.2f}")
    return found
