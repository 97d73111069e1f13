/**
 * Markdown → inert HTML: the one renderer for text from users, models and
 * documents. marked turns Markdown (and any raw HTML in it) into HTML, then
 * DOMPurify keeps an allow-list of tags and attributes: no scripts, frames,
 * forms, styles, SVG or MathML, no event handlers, no ids or classes (no DOM
 * clobbering). Links may go only to http(s), mailto or an in-page anchor and
 * open in a new tab without opener or referrer; images load only from https
 * or inline raster data URLs (never SVG), lazily and without a referrer.
 * The served Content-Security-Policy (scripts/serve.mjs) is the second wall.
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const ALLOWED_TAGS = [
  'a', 'b', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'li',
  'ol', 'p', 'pre', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul', 'mark', 'span', 'sup', 'sub',
];
const ALLOWED_ATTR = ['href', 'title', 'alt', 'src', 'colspan', 'rowspan', 'align'];
const SAFE_LINK = /^(?:https?:|mailto:|#)/i;
const SAFE_IMAGE = /^(?:https:|data:image\/(?:png|gif|jpeg|webp);base64,)/i;

// Private instances: hooks and options set here cannot be changed by, or leak into, other code using these libraries.
const markdown = new Marked({ async: false, gfm: true, breaks: true });
const purify = DOMPurify();

// Runs after DOMPurify's own attribute filtering; what it sets is kept, and the
// allow-list above has already dropped any target/rel/loading the text supplied.
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    if (!SAFE_LINK.test(node.getAttribute('href') ?? '')) node.removeAttribute('href');
    node.setAttribute('rel', 'noopener noreferrer');
    node.setAttribute('target', '_blank');
  } else if (node.tagName === 'IMG') {
    // DOMPurify allows any data: URL on <img>, including SVG.
    if (!SAFE_IMAGE.test(node.getAttribute('src') ?? '')) node.removeAttribute('src');
    node.setAttribute('loading', 'lazy');
    node.setAttribute('referrerpolicy', 'no-referrer');
  }
});

const CONFIG = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|data:image\/(?:png|gif|jpeg|webp);base64,)/i,
};

export function renderMarkdown(text: string): string {
  return purify.sanitize(markdown.parse(text) as string, CONFIG);
}

/** The text of every fenced or indented code block, in order, for copy buttons. */
export function codeBlocks(text: string): string[] {
  const blocks: string[] = [];
  void markdown.walkTokens(markdown.lexer(text), (token) => {
    if (token.type === 'code') blocks.push((token as { text: string }).text);
  });
  return blocks;
}
