"""Accessibility checks of a page in the browser: axe-core (the axe-playwright-python
package, which carries axe-core's own script) with the WCAG 2.1 A and AA rules, the colour
contrast of what axe leaves for review decided here, and horizontal scrolling on a phone.

Each check returns a list of problems, each a line a person can act on (the rule, what it
says, and the nodes), so that a test asserts `problems == []` and its failure reads as the
list of what to fix."""

from dataclasses import dataclass

from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "resultTypes": ["violations", "incomplete"],
}
AXE = Axe()

# The contrast of each node axe could not decide (a gradient, another element over it, a
# pseudo element, ...), computed from the styles the browser computed: the text colour over
# what is painted under the middle of the node (its own and the lower elements' background
# colours, composited with their opacity, on the white canvas). A gradient counts as each of
# its colour stops, and the worst of them decides. A background picture (url()) cannot be
# judged this way: it is reported, so that the markup is changed until it can be decided.
CONTRAST_OF = """
(targets) => {
  const colours = (text) => [...text.matchAll(/rgba?\\(([^)]+)\\)/g)].map((m) => {
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  });
  const over = (top, bottom) => {
    const a = top.a + bottom.a * (1 - top.a);
    const mix = (t, b) => (t * top.a + b * bottom.a * (1 - top.a)) / a;
    return {r: mix(top.r, bottom.r), g: mix(top.g, bottom.g), b: mix(top.b, bottom.b), a};
  };
  const luminance = ({r, g, b}) => {
    const channel = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const ratio = (one, two) => {
    const [light, dark] = [luminance(one), luminance(two)].sort((a, b) => b - a);
    return (light + 0.05) / (dark + 0.05);
  };
  const opacity = (element) => {
    let value = 1;
    for (let e = element; e; e = e.parentElement) value *= Number(getComputedStyle(e).opacity);
    return value;
  };
  const css = ({r, g, b}) => `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
  return targets.map((target) => {
    const element = document.querySelector(target);
    if (!element) return {target, error: "not found"};
    element.scrollIntoView({block: "center", inline: "center"});
    const box = element.getBoundingClientRect();
    // What is painted at the middle of the node, from the node down.
    const stack = document.elementsFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    let layers = stack.includes(element) ? stack.slice(stack.indexOf(element)) : [];
    if (!layers.length) for (let e = element; e; e = e.parentElement) layers.push(e);
    const painted = [];  // [[colour, ...] per layer], topmost first
    for (const layer of layers) {
      const style = getComputedStyle(layer);
      if (/url\\(/.test(style.backgroundImage)) {
        return {target, error: "a background picture: " + style.backgroundImage.slice(0, 80)};
      }
      const alpha = opacity(layer);
      const fill = colours(style.backgroundColor).filter((c) => c.a > 0);
      const stops = style.backgroundImage === "none" ? [] : colours(style.backgroundImage);
      if (stops.length) painted.push(stops.map((c) => ({...c, a: c.a * alpha})));
      if (fill.length) painted.push([{...fill[0], a: fill[0].a * alpha}]);
      if (!stops.length && fill.length && fill[0].a === 1 && alpha === 1) break;
    }
    let backgrounds = [{r: 255, g: 255, b: 255, a: 1}];
    for (const layer of painted.reverse()) {
      backgrounds = layer.flatMap((colour) => backgrounds.map((b) => over(colour, b)));
    }
    const style = getComputedStyle(element);
    const text = colours(style.color)[0];
    let worst = null;
    for (const background of backgrounds) {
      const foreground = over({...text, a: text.a * opacity(element)}, background);
      const value = ratio(foreground, background);
      if (!worst || value < worst.ratio) worst = {ratio: value, background: css(background)};
    }
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    return {target, ratio: worst.ratio, needed: large ? 3 : 4.5, foreground: style.color,
            background: worst.background};
  });
}
"""

# How much wider than the viewport the document is, and the elements that stick out.
OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      const inside = element.parentElement && element.parentElement.getBoundingClientRect();
      if (!inside || inside.right <= width + 1) wide.push(
        element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
        (element.className && typeof element.className === "string"
          ? "." + element.className.trim().split(/\\s+/).join(".") : "") +
        " (right edge at " + Math.round(box.right) + " px)");
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8)};
}
"""


@dataclass
class Problem:
    rule: str
    help: str
    nodes: list[str]

    def __str__(self) -> str:
        nodes = "\n".join(f"      {node}" for node in self.nodes)
        return f"  {self.rule}: {self.help}\n{nodes}"


def _node(node) -> str:
    target = " ".join(str(t) for t in node["target"])
    summary = (node.get("failureSummary") or "").replace("\n", " ")
    return f"{target}  {node['html'][:160]}  {summary[:240]}"


def axe_problems(page) -> list[Problem]:
    """The WCAG 2.1 A/AA violations axe finds on the page as it is, and the colour-contrast
    nodes axe left for review that do not reach their ratio (or cannot be decided)."""
    results = AXE.run(page, options=AXE_OPTIONS).response
    problems = [Problem(v["id"], v["help"], [_node(n) for n in v["nodes"]])
                for v in results["violations"]]
    for review in results["incomplete"]:
        if review["id"] != "color-contrast":
            continue
        targets = [node["target"][0] for node in review["nodes"]
                   if isinstance(node["target"][0], str)]
        failing = [f"{c['target']}  {c['error']}" if "error" in c else
                   f"{c['target']}  {c['ratio']:.2f}:1 (needs {c['needed']}:1), "
                   f"{c['foreground']} on {c['background']}"
                   for c in page.evaluate(CONTRAST_OF, targets)
                   if "error" in c or c["ratio"] < c["needed"]]
        if failing:
            problems.append(Problem("color-contrast (axe: review)",
                                    "Elements must meet minimum color contrast ratio "
                                    "thresholds (decided from the computed styles)", failing))
    return problems


def overflow_problems(page) -> list[Problem]:
    """The page scrolls sideways: the document is wider than the viewport."""
    found = page.evaluate(OVERFLOW)
    if found["scrollWidth"] <= found["width"]:
        return []
    return [Problem("horizontal-scroll",
                    f"The page is {found['scrollWidth']} px wide in a {found['width']} px "
                    "viewport", found["wide"])]


def report(where: str, problems: list[Problem]) -> str:
    return f"{where}:\n" + "\n".join(str(problem) for problem in problems)
