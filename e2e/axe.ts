/**
 * axe-core in the app's pages: injected from node_modules (never a CDN), run
 * over the document including open shadow roots, reduced to the serious and
 * critical violations with the elements they concern.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The widths and colour schemes every accessibility check runs in: desktop and a 360 px phone, light and dark. */
export const MODES = [
  { name: 'light', width: 1280, scheme: 'light' },
  { name: 'dark', width: 1280, scheme: 'dark' },
  { name: '360-light', width: 360, scheme: 'light' },
  { name: '360-dark', width: 360, scheme: 'dark' },
] as const;

export interface AxeProblem {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * DevTools evaluation is exempt from the page's CSP, so the served policy stays as it is.
 *
 * In Firefox (ESR 153), reading an element's ARIA element-reflection property
 * (`section.ariaLabelledByElements`, which axe prefers to the attribute) can crash
 * the tab's content process: at once or at the next change to the DOM. The app never
 * reads these properties; axe does, so in Firefox they are taken off the page's
 * `Element.prototype` before axe loads and axe reads the same relations from the
 * `aria-*` attributes (its path for browsers without the properties). docs/browsers.md.
 */
export async function injectAxe(page: Page): Promise<void> {
  if (await page.evaluate(() => 'axe' in window)) return;
  await page.evaluate(() => {
    if (!navigator.userAgent.includes('Firefox/')) return;
    for (const name of Object.getOwnPropertyNames(Element.prototype)) {
      if (/^aria[A-Z]\w*Elements?$/.test(name)) delete (Element.prototype as unknown as Record<string, unknown>)[name];
    }
  });
  await page.evaluate(AXE_SOURCE);
}

export async function seriousViolations(page: Page): Promise<AxeProblem[]> {
  await injectAxe(page);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) }));
  });
}

/** The focused element, through shadow roots: tag, id, accessible-ish name, and whether focus is visible. */
export async function focused(page: Page): Promise<{ tag: string; id: string; name: string; host: string; visible: boolean } | null> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    let host = '';
    while (el?.shadowRoot?.activeElement) {
      host = el.localName;
      el = el.shadowRoot.activeElement;
    }
    if (!el || el === document.body) return null;
    const h = el as HTMLElement;
    const labels = (h as HTMLInputElement).labels;
    const name = (h.getAttribute('aria-label') ?? (labels && labels.length > 0 ? labels[0]!.textContent : null) ?? h.textContent ?? h.getAttribute('title') ?? '').replace(/\s+/g, ' ').trim();
    return { tag: el.localName, id: h.id, name, host, visible: h.matches(':focus-visible') };
  });
}
