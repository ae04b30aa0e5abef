// What both browser checks share: headless Chromium (Playwright) with a fresh profile and the
// flags that keep it off the network, and `step`, which screenshots each step as OUT_DIR/NAME.png
// and, when a step fails, prints one JSON line saying which (with the findings so far) and exits 1.
import { chromium } from 'playwright-core';
import fs from 'fs';
import path from 'path';

export async function openBrowser(out) {
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

  return { context, page, found, step };
}
