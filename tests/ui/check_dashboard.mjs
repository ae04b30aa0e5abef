// Opens Optuna's dashboard (make dashboard) in headless Chromium (Playwright) and checks that
// the search's Optuna study is listed and that its trials page shows every trial.
// usage: node check_dashboard.mjs URL STUDY_NAME STUDY_PAGE TRIALS OUT_DIR
// Prints one JSON line of findings; exits 1 (saying which step) when a step fails.
import { chromium } from 'playwright-core';
import fs from 'fs';
import path from 'path';

const [base, studyName, studyPage, trials, out] = process.argv.slice(2);
fs.mkdirSync(out, { recursive: true });
const profile = fs.mkdtempSync(path.join(out, 'chrome-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  // without these Chromium reaches for the network (updates, sync, field trials)
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1400, height: 900 },
});
const page = await context.newPage();
const found = {};
const shot = (name) => page.screenshot({ path: path.join(out, `${name}.png`) });

async function step(name, body) {
  try {
    await body();
    await shot(name);
  } catch (error) {
    await shot(`${name}-failed`).catch(() => {});
    console.log(JSON.stringify({ failed: name, error: String(error).split('\n')[0], found }));
    await context.close();
    process.exit(1);
  }
}

// 1. The dashboard's home lists the search's Optuna study.
await step('1-studies', async () => {
  await page.goto(`${base}/dashboard`, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.getByText(studyName, { exact: false }).first().waitFor({ timeout: 60000 });
  found.studyListed = true;
});

// 2. Its trials page (the page the command printed, /trials) lists every trial.
await step('2-trials', async () => {
  await page.goto(`${studyPage}/trials`, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.getByText(`Trial ${Number(trials) - 1}`, { exact: false }).first()
    .waitFor({ timeout: 60000 });
  const text = await page.innerText('body');
  found.trialsShown = [...Array(Number(trials)).keys()]
    .filter((n) => text.includes(`Trial ${n}`)).length;
});

console.log(JSON.stringify({ found }));
await context.close();
