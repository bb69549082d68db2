#!/usr/bin/env node
// Drive the playground's real web UI in headless Chromium and save a screenshot.
//   PLAYGROUND_DIR=/tmp/playground node shot.mjs [--url http://localhost:56150] [--out shot.png] STEP...
// STEP: say:TEXT (typed into the UI; its editor drops Shift+Enter line breaks, so one line only)
//       | post:TEXT (sent through the Playground's HTTP API as the current user while the UI is open:
//         the way to send a message of several lines, "\n" in TEXT)
//       | click:TITLE (newest button with that label) | wait:MS
// --height PX: taller window for long flows; --chat: save only the chat column (smaller PNG).
// Needs: apt-get install -y chromium; npm i playwright-core (in PLAYGROUND_DIR).
// Note: each page load makes the UI POST /_debug/conversation/{personal}/installation,
// so the bot gets installationUpdate + conversationUpdate again.
import { createRequire } from 'node:module';
const require = createRequire((process.env.PLAYGROUND_DIR || '/tmp/playground') + '/');
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
let url = 'http://localhost:56150', outPath = 'shot.png', height = 900, chatOnly = false;
const steps = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--url') url = args[++i];
  else if (args[i] === '--out') outPath = args[++i];
  else if (args[i] === '--height') height = Number(args[++i]);
  else if (args[i] === '--chat') chatOnly = true;
  else steps.push(args[i]);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height } });
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const box = page.locator('[data-lexical-editor="true"][role="textbox"]').first();
  await box.waitFor({ timeout: 30000 });
  await page.waitForTimeout(1500);
  let failed;
  for (const step of steps) {
    if (failed) break;
    try {
    const i = step.indexOf(':');
    const kind = step.slice(0, i), arg = step.slice(i + 1);
    if (kind === 'say') { await box.click(); await page.keyboard.type(arg); await page.keyboard.press('Enter'); await page.waitForTimeout(1500); }
    else if (kind === 'post') {
      const base = url.replace(/\/$/, '');
      const cfg = (await (await fetch(base + '/_internal/v1/testConfig')).json()).config;
      const r = await fetch(`${base}/_conversation/v1/conversations/${encodeURIComponent(cfg.personalChat.id)}/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'text', text: arg, textFormat: 'plain', from: { id: cfg.currentUser.id } }),
      });
      if (!r.ok) throw new Error(`post: ${r.status} ${await r.text()}`);
      await page.waitForTimeout(2000);
    }
    else if (kind === 'click') { const b = page.getByRole('button', { name: arg, exact: true }).last(); await b.waitFor({ timeout: 10000 }); await b.click(); await page.waitForTimeout(1500); }
    else if (kind === 'wait') await page.waitForTimeout(Number(arg));
    else throw new Error('unknown step ' + step);
    } catch (e) {
      // Keep going to the screenshot: it shows why the step failed.
      failed = e; console.error(`step ${step}: ${e.message}`); process.exitCode = 1;
    }
  }
  // The chat column sits between the chat list (~330 px) and the log panel (~1070 px).
  await page.screenshot(chatOnly ? { path: outPath, clip: { x: 330, y: 50, width: 740, height: height - 50 } } : { path: outPath });
  console.log(outPath);
} finally {
  await browser.close();
}
