// Headless Chromium (Debian's /usr/bin/chromium) through playwright-core, screenshots and the
// axe-core accessibility check of a page.
import { chromium } from 'playwright-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

export const artifacts = resolve(import.meta.dirname, '..', 'artifacts');
mkdirSync(artifacts, { recursive: true });
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export async function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// newUser opens a fresh browser context (its own cookies). axe is injected by the test, so
// the page's content security policy is bypassed in the test browser only.
export async function newUser(browser, baseURL) {
  const ctx = await browser.newContext({ baseURL, locale: 'fr-FR', timezoneId: 'Europe/Paris', bypassCSP: true,
    viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') { errors.push(m.text()); } });
  return { ctx, page, errors };
}

export async function login(page, loginName, password) {
  await page.goto('/connexion');
  await page.fill('#login', loginName);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/connexion')), page.click('#formulaire-connexion button[type=submit]')]);
}

export async function shot(page, name) {
  const path = join(artifacts, name + '.png');
  await page.screenshot({ path, fullPage: true });
  return path;
}

// axe runs the WCAG 2.x A/AA rules on the page and records the violations in artifacts/axe.
export const axeResults = {};
export async function axe(page, name) {
  await page.addScriptTag({ path: axePath });
  const res = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
      targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  axeResults[name] = res;
  writeFileSync(join(artifacts, 'axe.json'), JSON.stringify(axeResults, null, 2));
  return res;
}
