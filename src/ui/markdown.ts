/**
 * Markdown → inert HTML: the one renderer for text from users, models and
 * documents. marked turns Markdown (and any raw HTML in it) into HTML, then
 * DOMPurify keeps an allow-list of tags and attributes: no scripts, frames,
 * forms, styles, SVG or MathML, no event handlers, no ids or classes (no DOM
 * clobbering). Links may go only to http(s), mailto or an in-page anchor and
 * open in a new tab without opener or referrer. Inline raster data URLs
 * (never SVG) show as images; an https image never loads on its own: it
 * becomes a placeholder button (`button.remote-image`, the URL in
 * `data-remote-src`, the alt text in `data-remote-alt`) that `loadRemoteImage` turns into the image, without a
 * referrer, when the person clicks it. The served Content-Security-Policy
 * (scripts/serve.mjs) is the second wall.
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

/** The host an image would be fetched from, for the placeholder's label. */
function hostOf(src: string): string {
  try {
    return new URL(src).host;
  } catch {
    return 'another site';
  }
}

/** Replaces each https image of sanitized HTML with a click-to-load placeholder (built with DOM calls: no markup from the text). */
function holdRemoteImages(root: DocumentFragment): void {
  for (const img of root.querySelectorAll('img')) {
    const src = img.getAttribute('src') ?? '';
    if (!/^https:/i.test(src)) continue;
    const alt = img.getAttribute('alt')?.trim() ?? '';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'remote-image';
    button.dataset['remoteSrc'] = src;
    if (alt) button.dataset['remoteAlt'] = alt;
    button.textContent = `Image${alt ? ` “${alt}”` : ''} from ${hostOf(src)}: click to load`;
    button.title = src;
    img.replaceWith(button);
  }
}

export function renderMarkdown(text: string): string {
  const html = purify.sanitize(markdown.parse(text) as string, CONFIG);
  if (!/<img/i.test(html)) return html;
  // A template's content is inert: nothing in it loads while the images are swapped out.
  const template = document.createElement('template');
  template.innerHTML = html;
  holdRemoteImages(template.content);
  return template.innerHTML;
}

/**
 * Click handler for containers of rendered Markdown: a click on a remote-image
 * placeholder loads that one image (the person asked for it). Returns whether
 * the click was one.
 */
export function loadRemoteImage(event: Event): boolean {
  const button = event.composedPath().find((node): node is HTMLButtonElement => node instanceof HTMLButtonElement && node.classList.contains('remote-image'));
  const src = button?.dataset['remoteSrc'];
  if (!button || !src || !/^https:/i.test(src)) return false;
  const doc = button.ownerDocument;
  const img = doc.createElement('img');
  img.alt = button.dataset['remoteAlt'] ?? '';
  img.referrerPolicy = 'no-referrer';
  // The app is cross-origin isolated (COEP require-corp): an image from another site shows only if that
  // site allows it by CORS; otherwise (or if it does not answer) the person gets a link to open it in a new tab.
  img.crossOrigin = 'anonymous';
  img.addEventListener('error', () => {
    const link = doc.createElement('a');
    link.href = src;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.textContent = `${img.alt || 'The image'} cannot be shown here (its site refused or did not answer): open it`;
    img.replaceWith(link);
  });
  img.src = src;
  button.replaceWith(img);
  return true;
}

/** The text of every fenced or indented code block, in order, for copy buttons. */
export function codeBlocks(text: string): string[] {
  const blocks: string[] = [];
  void markdown.walkTokens(markdown.lexer(text), (token) => {
    if (token.type === 'code') blocks.push((token as { text: string }).text);
  });
  return blocks;
}
