// Browser tests of Vigie's web interface against a real `vigie serve --demo`: each role logs
// in, sees its pages and only its schools, uploads a file, follows a to-do item, attests a
// step, edits a policy with an error and sees the marker, previews the impact; every page is
// screenshot (artifacts/*.png) and checked with axe-core (artifacts/axe.json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startVigie } from './server.js';
import { launch, newUser, login, shot, axe, artifacts } from './browser.js';

const ACADEMY = '/academies/demo-poitiers';
let vigie;
let browser;
let demo; // login -> { password, label }
const timings = {};

before(async () => {
  const t0 = Date.now();
  vigie = await startVigie();
  timings.server_ready_ms = Date.now() - t0;
  browser = await launch();
  // The demo accounts, as the login page lists them.
  const html = await (await fetch(vigie.url + '/connexion')).text();
  demo = {};
  for (const m of html.matchAll(/<tr><td><code>([^<]+)<\/code><\/td><td><code>([^<]+)<\/code><\/td><td>([^<]*)<\/td><\/tr>/g)) {
    demo[m[1]] = { password: m[2], label: m[3] };
  }
});

after(async () => {
  if (browser) { await browser.close(); }
  if (vigie) { await vigie.stop(); }
  writeFileSync(join(artifacts, 'timings.json'), JSON.stringify(timings, null, 2));
});

// checkA11y fails on any WCAG A/AA violation axe finds.
async function checkA11y(page, name) {
  const v = await axe(page, name);
  assert.deepEqual(v.map((x) => `${x.id} (${x.impact}): ${x.help} — ${x.targets.join(', ')}`), [], `axe violations on ${name}`);
}

test('the login page shows the demo accounts (demo mode) and refuses a wrong password', async () => {
  const { ctx, page, errors } = await newUser(browser, vigie.url);
  await page.goto('/');
  assert.match(page.url(), /\/connexion$/);
  assert.equal(await page.locator('h1').textContent(), 'Connexion à Vigie');
  const rows = await page.locator('#comptes-demo tbody tr').allTextContents();
  assert.ok(rows.length >= 4, 'a demo account per role');
  for (const r of await page.locator('#comptes-demo tbody tr').all()) {
    const cells = await r.locator('td').allTextContents();
    assert.equal(demo[cells[0].trim()].password, cells[1].trim());
  }
  for (const l of ['superviseur', 'etablissement', 'auteur', 'admin']) { assert.ok(demo[l], `demo account ${l}`); }
  await shot(page, '01-connexion');
  await checkA11y(page, 'connexion');
  await page.fill('#login', 'superviseur');
  await page.fill('#password', 'pas le bon');
  await page.click('#formulaire-connexion button[type=submit]');
  await page.getByText('Identifiant ou mot de passe incorrect.').waitFor();
  assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), [], 'only the refused login answers 401');
  await ctx.close();
});

test('a supervisor sees the academy view: counts, table, heat map, trend, call-first, runs, exports', async () => {
  const { ctx, page, errors } = await newUser(browser, vigie.url);
  const t0 = Date.now();
  await login(page, 'superviseur', demo.superviseur.password);
  timings.academy_page_ms = Date.now() - t0;
  assert.equal(new URL(page.url()).pathname, ACADEMY);
  assert.match(await page.locator('h1').textContent(), /Académie de Poitiers/);
  const counts = await page.locator('.vg-count').allTextContents();
  assert.ok(counts.some((c) => /Non prêt/.test(c)), 'a count of schools not ready');
  assert.ok(counts.some((c) => /depuis la veille/.test(c)), 'the change since yesterday');
  const caption = await page.locator('#tableau-etablissements caption').textContent();
  const total = Number(caption.match(/(\d+) établissements/)[1]);
  assert.ok(total >= 140 && total <= 160, `about 150 schools, got ${total}`);
  await shot(page, '02-academie');
  await checkA11y(page, 'academie');

  // Sort by name, then filter the schools not ready.
  await page.getByRole('link', { name: /Établissement/ }).first().click();
  await page.waitForURL(/sort=name/);
  assert.equal(await page.locator('th[aria-sort]').first().getAttribute('aria-sort'), 'ascending');
  const names = await page.locator('#tableau-etablissements tbody tr td:nth-child(2)').allTextContents();
  const sorted = [...names].sort((a, b) => a.localeCompare(b, 'fr'));
  assert.deepEqual(names.slice(0, 5), sorted.slice(0, 5), 'sorted by name');
  await page.selectOption('#f-status', 'not_ready');
  await Promise.all([page.waitForURL(/status=not_ready/), page.click('.vg-filters button[type=submit]')]);
  const badges = await page.locator('#tableau-etablissements tbody .fr-badge').allTextContents();
  assert.ok(badges.length > 0);
  assert.ok(badges.filter((b, i) => i % 2 === 0).every((b) => b.trim() === 'Non prêt'), 'only schools not ready');

  // The other tabs: heat map, trend, call-first, runs.
  await page.click('#onglet-carte');
  await page.locator('#panneau-carte .vg-heatmap__table').waitFor();
  assert.ok(await page.locator('#panneau-carte td.vg-heat--fail').count() > 0, 'failing cells in the heat map');
  await shot(page, '03-academie-carte');
  await page.click('#onglet-evolution');
  await page.locator('svg.vg-trend').waitFor();
  assert.ok(await page.locator('svg.vg-trend polyline').count() === 3);
  await shot(page, '04-academie-evolution');
  await checkA11y(page, 'academie-evolution');
  await page.click('#onglet-appeler');
  await shot(page, '05-academie-appeler');
  await page.click('#onglet-evaluations');
  const runs = await page.locator('#panneau-evaluations tbody tr').count();
  assert.ok(runs >= 5, 'the run history');

  // Exports answer files.
  const csv = await page.request.get(await page.locator('a', { hasText: 'Exporter en CSV' }).getAttribute('href'));
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /UAI/);
  const xlsx = await page.request.get(await page.locator('a', { hasText: 'Exporter en XLSX' }).getAttribute('href'));
  assert.equal(xlsx.status(), 200);

  // A school page, from the table.
  await page.click('#onglet-etablissements');
  await page.locator('#tableau-etablissements tbody tr td:nth-child(2) a').first().click();
  await page.locator('#titre-afaire').waitFor();
  await shot(page, '06-etablissement-superviseur');
  // The audit log.
  await page.goto(ACADEMY + '/journal');
  assert.match(await page.locator('h1').textContent(), /Journal/);
  await checkA11y(page, 'journal');
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a school admin sees its schools only, follows a to-do item, uploads files and attests a step', async () => {
  const { ctx, page, errors } = await newUser(browser, vigie.url);
  await login(page, 'etablissement', demo.etablissement.password);
  assert.match(new URL(page.url()).pathname, /\/etablissements$/);
  const mine = await page.locator('tbody tr td:first-child code').allTextContents();
  assert.equal(mine.length, 2, 'two schools');
  await shot(page, '07-mes-etablissements');
  await checkA11y(page, 'mes-etablissements');

  // The academy view and another school are out of reach.
  let resp = await page.goto(ACADEMY);
  assert.equal(resp.status(), 403);
  resp = await page.goto(ACADEMY + '/etablissements/0000000A');
  assert.equal(resp.status(), 404);
  assert.match(await page.locator('h1').textContent(), /Page introuvable/);
  // A school of the academy that is not one of the two: pick it from the supervisor's export.
  const sup = await newUser(browser, vigie.url);
  await login(sup.page, 'superviseur', demo.superviseur.password);
  const all = await (await sup.page.request.get('/api/v1/academies/demo-poitiers/export.csv')).text();
  await sup.ctx.close();
  const other = all.split('\n').slice(1).map((l) => l.split(/[;,]/)[0].replace(/"/g, '')).find((u) => /^\d{7}[A-Z]$/.test(u) && !mine.includes(u));
  assert.ok(other, 'another school of the academy');
  resp = await page.goto(`${ACADEMY}/etablissements/${other}`);
  assert.equal(resp.status(), 404, 'another school is not found');
  await shot(page, '08-autre-etablissement-404');

  // Each of its schools: pick the one with the longer to-do list.
  let best = null;
  for (const uai of mine) {
    await page.goto(`${ACADEMY}/etablissements/${uai}`);
    const n = await page.locator('.vg-todo__item').count();
    if (!best || n > best.n) { best = { uai, n }; }
  }
  await page.goto(`${ACADEMY}/etablissements/${best.uai}`);
  assert.match(await page.locator('#titre-afaire').textContent(), /À faire, dans l’ordre/);
  await shot(page, '09-etablissement');
  await checkA11y(page, 'etablissement');
  if (best.n > 0) {
    const first = page.locator('.vg-todo__item').first();
    for (const dt of ['Ce qui ne va pas', 'Pourquoi c’est important', 'Que faire', 'À faire avant']) {
      assert.ok(await first.getByText(dt, { exact: true }).count() === 1, dt);
    }
    // Follow a to-do item: a blocker link when there is one, else the detail of its items.
    const blocker = page.locator('.vg-todo__facts a').first();
    if (await blocker.count()) {
      const href = await blocker.getAttribute('href');
      await blocker.click();
      await page.waitForURL((u) => u.hash === href);
      assert.ok(await page.locator(href).isVisible());
    }
    const det = page.locator('.vg-items summary').first();
    if (await det.count()) {
      await det.click();
      assert.ok(await page.locator('.vg-items[open] li').count() > 0, 'the exact items');
    }
  }

  // Upload: a file that is not an export is refused with a clear error; an STS-Web export of
  // another school too.
  await page.setInputFiles('#fichiers', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('pas un export') });
  await page.click('#formulaire-depot button[type=submit]');
  await page.locator('#resultat-depot .fr-alert').first().waitFor();
  const upload = await page.locator('#resultat-depot').textContent();
  assert.match(upload, /refusé/);
  await shot(page, '10-depot-refuse');
  // A real STS-Web export, but of another school: refused, saying which school it is for.
  await page.setInputFiles('#fichiers', join(import.meta.dirname, '..', '..', '..', 'internal', 'ingest', 'testdata', 'sts_emp_0790029C_2026.xml'));
  await page.click('#formulaire-depot button[type=submit]');
  await page.locator('#resultat-depot .fr-alert').first().waitFor();
  assert.match(await page.locator('#resultat-depot').textContent(), /0790029C/);
  await checkA11y(page, 'etablissement-depot');

  // Step 13 is the academy's: the school cannot attest it, done or not.
  assert.equal(await page.locator('#etape-13 details.vg-attest').count(), 0, 'the academy\'s step is not attested by the school');

  // Attest the first step not done yet (steps the files cannot show are attested), in the
  // first of its schools that has one.
  let step = null;
  for (const uai of [best.uai, ...mine.filter((u) => u !== best.uai)]) {
    await page.goto(`${ACADEMY}/etablissements/${uai}`);
    const s = page.locator('.vg-step', { has: page.locator('details.vg-attest') }).first();
    if (await s.count() === 1) { step = s; break; }
  }
  assert.ok(step, 'a step to attest in one of the schools');
  const stepId = await step.getAttribute('id');
  await step.locator('details.vg-attest summary').click();
  await step.locator('textarea').fill('Fait par le secrétariat, vérifié dans le logiciel.');
  await Promise.all([page.waitForURL(/ok=attestation/), step.locator('button[type=submit]').click()]);
  await page.getByText('Votre attestation est enregistrée').waitFor();
  assert.match(await page.locator('#' + stepId).textContent(), /Attestée par etablissement/);
  await page.locator('#' + stepId).scrollIntoViewIfNeeded();
  await shot(page, '11-attestation');
  // Withdrawn from the page: the step can be attested again.
  await Promise.all([page.waitForURL(/ok=attestation_retiree/), page.locator('#' + stepId + ' form.vg-withdraw button').click()]);
  await page.getByText('L’attestation est retirée').waitFor();
  assert.doesNotMatch(await page.locator('#' + stepId).textContent(), /Attestée par/);
  assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await ctx.close();
});

test('a policy author opens a draft, sees the error marker, saves, tests, previews the impact, publishes and rolls back', async () => {
  const { ctx, page, errors } = await newUser(browser, vigie.url);
  await login(page, 'auteur', demo.auteur.password);
  assert.match(new URL(page.url()).pathname, /\/regles$/);
  await page.locator('.CodeMirror').waitFor();
  await shot(page, '12-regles');
  await checkA11y(page, 'regles');

  // A new draft from the version in force.
  await page.fill('#titre-brouillon', 'Démonstration : absents en surveillance');
  await Promise.all([page.waitForURL(/brouillon=\d+/), page.click('#nouveau-brouillon button[type=submit]')]);
  await page.locator('#bouton-enregistrer').waitFor();
  const cmDo = (fn, ...args) => page.evaluate(([f, a]) => {
    const cm = document.querySelector('.CodeMirror').CodeMirror;
    return new Function('cm', 'args', f)(cm, a); // eslint-disable-line no-new-func
  }, [fn, args]);

  // A syntax error at line 3: the marker is at that line.
  await cmDo("cm.replaceRange('this is not rego !!!\\n', { line: 2, ch: 0 });");
  await page.click('#bouton-verifier');
  await page.locator('.vg-marker--error').first().waitFor();
  const markerLine = () => cmDo(`for (let i = 0; i < cm.lineCount(); i++) {
      const info = cm.lineInfo(i);
      if (info.gutterMarkers && info.gutterMarkers['vg-markers'] && info.gutterMarkers['vg-markers'].classList.contains('vg-marker--error')) { return i + 1; }
    } return 0;`);
  assert.equal(await markerLine(), 3, 'the marker is at the line of the error');
  assert.match(await page.locator('#resultat-verification').textContent(), /ne compile pas/);
  await shot(page, '13-regles-erreur');
  // Saved as it is, the draft is not publishable and says why, at the same line.
  await page.click('#bouton-enregistrer');
  await page.locator('#resultat-enregistrement .fr-alert').first().waitFor({ timeout: 120000 });
  assert.match(await page.locator('#resultat-enregistrement').textContent(), /ne compile pas/);
  assert.equal(await markerLine(), 3);

  // Fixed: it compiles; the tests pass.
  await cmDo("cm.replaceRange('', { line: 2, ch: 0 }, { line: 3, ch: 0 });");
  await page.click('#bouton-verifier');
  await page.locator('#resultat-verification .fr-alert--success, #resultat-verification .fr-alert--warning').first().waitFor();
  assert.equal(await page.locator('.vg-marker--error').count(), 0);
  await page.click('#bouton-tests');
  await page.locator('#resultat-tests .fr-alert').waitFor({ timeout: 120000 });
  assert.match(await page.locator('#resultat-tests').textContent(), /tests? réussis?/);

  // Monitor mode for a check, then the impact preview: schools change, with links to them.
  const mode = await page.locator('#mode-siecle\\.groups_populated').inputValue();
  await page.selectOption('#mode-siecle\\.groups_populated', mode === 'monitor' ? '' : 'monitor');
  await page.click('#bouton-apercu');
  await page.locator('#resultat-apercu .fr-alert').waitFor({ timeout: 240000 });
  const summary = await page.locator('#resultat-apercu .fr-alert').first().textContent();
  assert.match(summary, /établissements? sur \d+ changeraient/);
  assert.ok(await page.locator('#tableau-impact tbody tr').count() > 0, 'schools that change');
  await shot(page, '14-regles-apercu');
  await checkA11y(page, 'regles-apercu');
  const drill = await page.locator('#tableau-impact tbody tr a').first().getAttribute('href');
  assert.match(drill, /\/etablissements\/\d{7}[A-Z]$/);

  // Publish with a message: the version is in force and in the history.
  await page.fill('#message-publication', 'Groupes peuplés en surveillance pendant la démonstration.');
  await Promise.all([page.waitForURL(/ok=publie/, { timeout: 240000 }), page.click('#formulaire-publier button[type=submit]')]);
  await page.getByText('Le brouillon est publié').waitFor();
  const inForce = () => page.locator('#versions').textContent().then((t) => Number((t.match(/Version (\d+) \(en vigueur\)/) || [])[1]));
  const first = await inForce();
  assert.ok(first >= 1, 'a version in force');
  await page.locator('#versions .fr-accordion__btn').first().click();
  assert.match(await page.locator('#versions .vg-diff').first().textContent(), /mode/);
  await shot(page, '15-regles-versions');
  await checkA11y(page, 'regles-versions');

  // A second version, then back to the first one.
  await page.fill('#titre-brouillon', 'Deuxième version');
  await Promise.all([page.waitForURL(/brouillon=\d+/), page.click('#nouveau-brouillon button[type=submit]')]);
  await page.locator('#formulaire-publier').waitFor();
  await page.fill('#message-publication', 'Deuxième version, sans changement.');
  await Promise.all([page.waitForURL(/ok=publie/, { timeout: 240000 }), page.click('#formulaire-publier button[type=submit]')]);
  assert.equal(await inForce(), first + 1);
  const v1 = page.locator('#versions .fr-accordion', { hasText: `Version ${first} —` });
  await v1.locator('.fr-accordion__btn').click();
  await v1.locator('input[name=message]').fill(`Retour à la version ${first} pour la démonstration.`);
  await Promise.all([page.waitForURL(/ok=retour/, { timeout: 240000 }), v1.locator('form.vg-rollback button[type=submit]').click()]);
  await page.getByText('La version choisie est de nouveau en vigueur.').waitFor();
  assert.equal(await inForce(), first);
  assert.match(await page.locator('#versions table').textContent(), /Retour en arrière/);
  assert.deepEqual(errors, []);
  await ctx.close();
});

test('a platform administrator manages accounts and reads the audit log; everyone has an account page', async () => {
  const { ctx, page, errors } = await newUser(browser, vigie.url);
  await login(page, 'admin', demo.admin.password);
  assert.equal(new URL(page.url()).pathname, '/admin');
  assert.ok(await page.locator('#comptes tbody tr').count() >= 4);
  await shot(page, '16-administration');
  await checkA11y(page, 'administration');
  await page.goto('/admin/journal');
  assert.ok(await page.locator('tbody tr').count() > 0);
  await shot(page, '17-journal-plateforme');
  await page.goto('/compte');
  await page.fill('#nom-jeton', 'export nocturne');
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/compte/jetons"] button[type=submit]')]);
  await page.locator('#nouveau-jeton').waitFor();
  assert.match(await page.locator('#nouveau-jeton').textContent(), /^vigie_pat_/);
  await shot(page, '18-compte');
  await checkA11y(page, 'compte');
  // Log out.
  await Promise.all([page.waitForURL(/connexion/), page.click('form[action="/deconnexion"] button')]);
  const resp = await page.goto('/admin');
  assert.match(page.url(), /\/connexion\?retour=/);
  assert.equal(resp.status(), 200);
  assert.deepEqual(errors, []);
  await ctx.close();
});
