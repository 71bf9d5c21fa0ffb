/**
 * Markdown for model output, which is untrusted: rendered by `marked`, then sanitized by `DOMPurify`.
 *
 * Two layers: (1) the renderer escapes any raw HTML in the markdown (shown as text, never parsed as
 * markup) and turns images into plain links (a remote image URL would load without a click: the
 * classic way an injected prompt exfiltrates a conversation); (2) DOMPurify keeps only an allowlist of
 * formatting tags and attributes, and link targets with an http(s) or mailto scheme.
 */
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for use inside HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
    image(token: Tokens.Image): string {
      const label = escapeHtml(token.text || token.title || "image");
      return `<a href="${escapeHtml(token.href)}">${label}</a>`;
    },
  },
});

const ALLOWED_TAGS = [
  "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p",
  "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
];
const ALLOWED_ATTR = ["href", "title", "start", "align", "class"];
/** http(s) and mailto only: no javascript:, data:, vbscript:, file: or relative links. */
export const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

const purifier = DOMPurify();
purifier.addHook("uponSanitizeAttribute", (_node, data) => {
  if (data.attrName === "href" && !SAFE_URL.test(data.attrValue.trim())) {
    data.keepAttr = false;
  }
  if (data.attrName === "class" && !/^language-[\w+-]+$/.test(data.attrValue)) {
    data.keepAttr = false;
  }
});
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.nodeName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

/** Render untrusted markdown to sanitized HTML (safe for `dangerouslySetInnerHTML`). */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown) as string;
  return purifier.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: [...ALLOWED_ATTR, "target", "rel"],
    ALLOWED_URI_REGEXP: SAFE_URL,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
  });
}
