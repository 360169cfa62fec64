// End-to-end test of the web console in headless Chromium, against a running
// mqtrigger and a real ActiveMQ broker. console/e2e_test.go starts both and runs
// this with the environment below; any failed step exits non-zero.
//
//   CONSOLE_URL      http://127.0.0.1:PORT (mqtrigger serve)
//   CONSOLE_USER, CONSOLE_PASSWORD   a console user of its config
//   FUNCTION         a function to add the trigger to
//   BROKER_NAME      the configured broker to choose
//   BROKER_URL, BROKER_USER, BROKER_PASSWORD   for the new secret and for sending
//   QUEUE            the queue the trigger reads
//   MQTRIGGER_BIN    the binary, for `mqtrigger send`
//   SCREENSHOTS      where each step's screenshot goes
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const env = name => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (console/e2e_test.go sets it)`);
  return v;
};
const base = env('CONSOLE_URL');
const shots = process.env.SCREENSHOTS || mkdtempSync(path.join(tmpdir(), 'mqtrigger-console-'));
mkdirSync(shots, { recursive: true });
const userDataDir = mkdtempSync(path.join(tmpdir(), 'mqtrigger-chromium-'));

// A fresh profile each run (playwright passes it as --user-data-dir).
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync'],
});
let step = 0;
let page;
async function shot(name) {
  const file = path.join(shots, `${String(++step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}
async function until(what, fn, timeout = 60000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}
const text = sel => page.locator(sel).innerText();

try {
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', e => { console.error('page error:', e.message); process.exitCode = 1; });

  // A wrong sign-in is refused, and nothing is shown.
  await page.goto(base + '/console/');
  await page.getByLabel('Name or access key id').fill(env('CONSOLE_USER'));
  await page.getByLabel('Password or secret access key').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('wrong name or password').waitFor();
  assert.equal(await page.locator('#nav').isVisible(), false, 'navigation shown after a wrong sign-in');
  await shot('wrong-sign-in');

  // A change without the CSRF token is refused (even from a signed-out page, and
  // then from a signed-in one below).
  await page.getByLabel('Name or access key id').fill(env('CONSOLE_USER'));
  await page.getByLabel('Password or secret access key').fill(env('CONSOLE_PASSWORD'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Functions' }).waitFor();
  const cookies = await context.cookies();
  const c = cookies.find(x => x.name === 'mqtrigger_console');
  assert.ok(c, 'no session cookie');
  assert.equal(c.httpOnly, true, 'session cookie is not HttpOnly');
  assert.equal(c.sameSite, 'Strict', 'session cookie is not SameSite=Strict');
  assert.equal(c.path, '/console', 'session cookie path');
  assert.ok(c.expires > Date.now() / 1000, 'session cookie does not expire');
  await shot('functions');

  const noToken = await page.evaluate(async () => {
    const r = await fetch('/console/api/secretsmanager/CreateSecret', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: 'csrf-probe', SecretString: '{"username":"x","password":"y"}' }),
    });
    return { status: r.status, body: await r.text() };
  });
  assert.equal(noToken.status, 403, `a change without the CSRF token answered ${noToken.status}: ${noToken.body}`);
  assert.match(noToken.body, /CSRF/);
  const wrongToken = await page.evaluate(async () => {
    const r = await fetch('/console/api/signout', { method: 'POST', headers: { 'X-CSRF-Token': 'forged' } });
    return r.status;
  });
  assert.equal(wrongToken, 403, 'a change with a forged CSRF token was accepted');

  // Open the function.
  await page.getByRole('link', { name: env('FUNCTION'), exact: true }).click();
  await page.getByRole('heading', { name: env('FUNCTION') }).waitFor();
  await page.getByText('No triggers yet.').waitFor();
  await shot('function');

  // Add a trigger through the form: first an invalid batch size, which shows the
  // API's own message next to the field.
  await page.getByRole('link', { name: 'Add trigger' }).click();
  await page.locator('#trigger-form').waitFor();
  const brokerArn = await page.getByLabel('MQ broker').locator('option', { hasText: env('BROKER_NAME') + ' (' }).getAttribute('value');
  await page.getByLabel('MQ broker').selectOption(brokerArn);
  await page.getByLabel('Queue name').fill(env('QUEUE'));
  await page.getByLabel('Batch size').fill('20000');
  await page.getByLabel('Secret with the broker credentials').selectOption('__new__');
  await page.getByLabel('Secret name').fill('console-e2e-broker');
  await page.getByLabel('Broker user').fill(env('BROKER_USER'));
  await page.getByLabel('Broker password').fill(env('BROKER_PASSWORD'));
  await page.getByLabel('Maximum concurrency').fill('2');
  await page.getByLabel('Maximum retry attempts').fill('1');
  await page.getByRole('button', { name: 'Add trigger' }).click();
  const batchError = page.locator('#' + (await page.getByLabel('Batch size').getAttribute('id')) + '-error');
  await until('the batch size error', async () => (await batchError.innerText()).includes('batchSize'));
  assert.match(await batchError.innerText(), /less than or equal to 10000/);
  assert.equal(await page.getByLabel('Batch size').getAttribute('aria-invalid'), 'true');
  await shot('add-trigger-invalid');

  await page.getByLabel('Batch size').fill('10');
  await page.getByLabel('Batching window (seconds)').fill('1');
  await page.getByLabel(/Partial batch responses/).check();
  await page.getByRole('button', { name: 'Add trigger' }).click();
  await page.getByRole('heading', { name: /^Trigger / }).waitFor();
  const uuid = (await text('h1')).replace('Trigger ', '').trim();
  console.log(`trigger ${uuid}`);
  await until('Enabled', async () => (await text('#trigger-state')) === 'Enabled');
  await shot('trigger-enabled');

  // Messages sent to the queue raise the counters, without reloading: two bursts,
  // a few seconds apart, for the chart.
  const send = bodies => execFileSync(env('MQTRIGGER_BIN'), ['send', '--broker', env('BROKER_URL'), '--user', env('BROKER_USER'),
    '--password', env('BROKER_PASSWORD'), '--queue', env('QUEUE'), ...bodies], { stdio: 'inherit' });
  const orders = (from, n) => Array.from({ length: n }, (_, i) => JSON.stringify({ order: from + i }));
  send(orders(0, 25));
  await until('25 received', async () => Number(await text('#figure-Received')) >= 25);
  await until('25 acknowledged', async () => Number(await text('#figure-Acknowledged')) >= 25);
  assert.equal(await text('#trigger-result'), 'OK');
  await new Promise(r => setTimeout(r, 5000));
  send(orders(25, 40));
  await until('65 acknowledged', async () => Number(await text('#figure-Acknowledged')) >= 65);
  await new Promise(r => setTimeout(r, 4500));
  const points = (await page.locator('.chart polyline').getAttribute('points')).trim().split(' ');
  assert.ok(points.length >= 3, `the chart has ${points.length} points`);
  await shot('trigger-counters');

  // A message the function keeps failing (it reports it in batchItemFailures) is
  // dead-lettered after its retries; the panel lists it with the broker's cause,
  // and a redrive of it moves it back.
  send([JSON.stringify({ order: 'poison' })]);
  await until('a dead-lettered message', async () => Number(await text('#figure-DeadLettered')) >= 1);
  await page.getByRole('button', { name: 'Show dead-lettered messages' }).click();
  const row = page.locator('#dead-letters tbody tr', { hasText: 'poison' });
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(env('QUEUE').replaceAll('.', '\\.')));
  assert.match(await row.innerText(), /reported these messages in batchItemFailures/);
  await shot('dead-letters');
  await row.locator('input[type=checkbox]').check();
  await page.getByRole('button', { name: 'Redrive selected' }).click();
  await page.getByText(/Redrive: 1 moved back/).waitFor({ timeout: 30000 });
  await shot('redriven');

  // Disable: Disabling, then Disabled.
  await page.getByRole('button', { name: 'Disable' }).click();
  await until('Disabled', async () => (await text('#trigger-state')) === 'Disabled');
  assert.equal(await page.getByRole('button', { name: 'Enable' }).isEnabled(), true);
  assert.equal(await page.getByRole('button', { name: 'Disable' }).isEnabled(), false);
  await shot('trigger-disabled');

  // Edit: the form comes back filled in, and the panel shows the new value.
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.locator('#trigger-form').waitFor();
  assert.equal(await page.getByLabel('Batch size').inputValue(), '10');
  assert.equal(await page.getByLabel('Maximum concurrency').inputValue(), '2');
  assert.equal(await page.getByLabel(/Partial batch responses/).isChecked(), true);
  assert.equal(await page.getByLabel('Enable trigger').isChecked(), false);
  await page.getByLabel('Batch size').fill('5');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: /^Trigger / }).waitFor();
  await until('batch size 5', async () => (await text('main')).includes('Batch size\n5') || /Batch size\s+5\b/.test(await text('main')));
  await until('Disabled after the edit', async () => (await text('#trigger-state')) === 'Disabled');

  // The brokers and secrets pages show the broker and the new secret, no value.
  await page.getByRole('link', { name: 'Brokers' }).click();
  await page.getByRole('cell', { name: env('BROKER_NAME'), exact: true }).waitFor();
  assert.match(await text('main'), /connected/);
  await shot('brokers');
  await page.getByRole('link', { name: 'Secrets' }).click();
  await page.getByRole('cell', { name: 'console-e2e-broker', exact: true }).waitFor();
  assert.ok(!(await text('main')).includes(env('BROKER_PASSWORD') + '"'), 'a secret value is shown');
  await shot('secrets');

  // Secrets: create one, replace its value, delete it; no value is ever shown.
  await page.getByLabel('Name', { exact: true }).fill('console-e2e-spare');
  await page.getByLabel('Broker user').fill('spare');
  await page.getByLabel('Broker password').fill('spare-password-1');
  await page.getByRole('button', { name: 'Create secret' }).click();
  await page.getByText('Secret console-e2e-spare created.').waitFor();
  const spare = page.getByRole('row', { name: /console-e2e-spare/ });
  await spare.getByRole('button', { name: 'Replace value' }).click();
  await page.getByLabel('Broker user').fill('spare');
  await page.getByLabel('Broker password').fill('spare-password-2');
  await page.getByRole('button', { name: 'Save new value' }).click();
  await page.getByText('Secret console-e2e-spare replaced.').waitFor();
  assert.ok(!/spare-password/.test(await page.content()), 'a secret value is in the page');
  page.once('dialog', d => d.accept());
  await spare.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('Secret console-e2e-spare deleted.').waitFor();
  assert.equal(await page.getByRole('cell', { name: 'console-e2e-spare', exact: true }).count(), 0);

  // Delete: Deleting, then gone from the function's page.
  await page.goto(base + '/console/#/triggers/' + uuid);
  await page.locator('#trigger-state').waitFor();
  page.once('dialog', d => d.accept());
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: env('FUNCTION') }).waitFor();
  await page.getByText('No triggers yet.').waitFor();
  await page.getByText(`Trigger ${uuid} deleted.`).waitFor();
  await shot('trigger-deleted');

  // Narrow window: still readable, tables stacked.
  await page.setViewportSize({ width: 380, height: 800 });
  await page.getByRole('link', { name: 'Functions' }).click();
  await page.getByRole('heading', { name: 'Functions' }).waitFor();
  await shot('narrow');

  // Sign out: the console's endpoints refuse the old session.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('Signed out.').waitFor();
  const after = await page.evaluate(async () => (await fetch('/console/api/brokers')).status);
  assert.equal(after, 401, 'signed out, yet the console answered');
  console.log(`ok: console end-to-end, screenshots in ${shots}`);
} catch (e) {
  console.error(e);
  if (page) await shot('failure').catch(() => {});
  process.exitCode = 1;
} finally {
  await context.close();
}
