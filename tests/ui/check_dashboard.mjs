// Opens Optuna's dashboard (make dashboard) in headless Chromium (Playwright) and checks that
// the search's Optuna study is listed and that its trials page shows every trial.
// usage: node check_dashboard.mjs URL STUDY_NAME STUDY_PAGE TRIALS OUT_DIR
// Prints one JSON line of findings; exits 1 (saying which step) when a step fails.
import { openBrowser } from './browser.mjs';

const [base, studyName, studyPage, trials, out] = process.argv.slice(2);
const { context, page, found, step } = await openBrowser(out);

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
