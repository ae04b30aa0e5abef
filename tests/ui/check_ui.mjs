// Drives MLflow's UI in headless Chromium (Playwright) the way README "Comparing variants in
// the MLflow UI" tells a user to, and checks what each step should show.
// usage: node check_ui.mjs URL EXPERIMENT_ID CLAIM_START PARENT_NAME_START OUT_DIR
// Prints one JSON line of findings; exits 1 (saying which step) when a step fails.
import { openBrowser } from './browser.mjs';

const [base, experiment, claim, parentName, out] = process.argv.slice(2);
const { context, page, found, step } = await openBrowser(out);

// 1. The experiment opens on its runs (the link `make ui` prints), its claim shown.
await step('1-runs', async () => {
  await page.goto(`${base}/#/experiments/${experiment}/runs?workflowType=machine_learning`,
                  { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.getByText(parentName, { exact: false }).first().waitFor({ timeout: 90000 });
  await page.getByRole('button', { name: 'Close' }).first().click({ timeout: 3000 })
    .catch(() => {});  // the assistant's side panel, when it opens
  const text = await page.innerText('body');
  found.claimShown = text.includes(claim);
  found.runsTab = /\bRuns\b/.test(text);
  if (!found.claimShown) throw new Error('the claim is not on the experiment page');
});

// 2. The parent run holds the trials: expanding it lists them nested.
await step('2-nested', async () => {
  const row = page.locator('[role="row"]', { hasText: parentName }).first();
  const cell = row.locator('[role="gridcell"][col-id*="Run Name"]');
  await cell.locator('button, [role="button"]').first().click();
  await page.getByText(/ seed=\d/).first().waitFor({ timeout: 15000 });
  found.nestedTrials = await page.getByText(/ seed=\d/).count();
  if (found.nestedTrials < 2) throw new Error(`${found.nestedTrials} trials under the parent`);
});

// 3. Group by atlas.variant: one group per variant, each with its count of runs.
await step('3-grouped', async () => {
  await page.getByRole('button', { name: 'Group by' }).click();
  await page.getByText('atlas.variant', { exact: true }).click();
  await page.keyboard.press('Escape');
  await page.getByText(/Group: /).first().waitFor({ timeout: 15000 });
  found.groups = await page.getByText(/Group: /).count();
  if (found.groups < 2) throw new Error(`${found.groups} groups`);
});

// 4. Compare: select two trials, press Compare, and the comparison opens.
await step('4-compare', async () => {
  const rows = page.locator('[role="row"]', { hasText: / seed=\d/ });
  for (const i of [0, 1]) await rows.nth(i).locator('input.ag-checkbox-input').check();
  await page.getByRole('button', { name: /Compare/ }).first().click();
  await page.waitForURL(/compare-runs/, { timeout: 30000 });
  await page.getByText(/Comparing 2/).first().waitFor({ timeout: 30000 });
  found.compared = 2;
});

console.log(JSON.stringify({ ok: true, found }));
await context.close();
