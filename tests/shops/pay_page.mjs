// The customer's payment page in a real browser: headless Chromium driven by
// puppeteer-core (tests/npm, installed by build-aux/install-npm-deps). The
// customer marks the order paid from the page; the merchant confirms through
// the API; the page must show the order completed. Screenshots go to
// $SHOT_DIR. Prints one JSON line with what it saw.
//
// Then a second order is cancelled and a third appealed from the page.
//
// Environment: PAY_URL, CANCEL_URL, APPEAL_URL, API (the platform's base
// URL), MERCHANT_TOKEN, ORDER_ID, SHOT_DIR, USDTPAY_NPM_DIR (optional).
//
// SPDX-License-Identifier: GPL-3.0-or-later

import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

const npmDir = process.env.USDTPAY_NPM_DIR || join(homedir(), '.cache', 'usdtpay', 'npm');
const require = createRequire(join(npmDir, 'package.json'));
let puppeteer;
try {
  puppeteer = require('puppeteer-core');
} catch (e) {
  console.error(`pay_page: puppeteer-core is missing under ${npmDir}/node_modules; ` +
                'run build-aux/install-npm-deps first.');
  process.exit(1);
}

const { PAY_URL, API, MERCHANT_TOKEN, ORDER_ID, SHOT_DIR } = process.env;
const stateText = () => document.getElementById('state').textContent;

const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run'],
});
const problems = [];
const seen = {};
try {
  const page = await browser.newPage();
  // A phone.
  await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url().replace(/t=[^&]*/, 't=…')));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url().replace(/t=[^&]*/, 't=…')}`);
  });
  const outside = [];
  page.on('request', (r) => { if (!r.url().startsWith(API)) outside.push(r.url()); });

  await page.goto(PAY_URL, { waitUntil: 'networkidle0' });
  await page.waitForFunction((s) => document.getElementById('state').textContent === s, { timeout: 10000 },
                             'Waiting for your payment');
  seen.matched = await page.evaluate(() => ({
    fiat: document.getElementById('fiat').textContent,
    accountName: document.getElementById('account-name').textContent,
    accountNumber: document.getElementById('account-number').textContent,
    countdown: document.getElementById('countdown').textContent,
    deadlineShown: !document.getElementById('deadline-card').hidden,
    paidButton: !document.getElementById('paid').hidden,
    cancelButton: !document.getElementById('cancel').hidden,
    appealButton: !document.getElementById('appeal').hidden,
  }));
  await page.waitForFunction(() => document.getElementById('qr').complete &&
                                   document.getElementById('qr').naturalWidth > 0, { timeout: 10000 });
  seen.qrWidth = await page.evaluate(() => document.getElementById('qr').naturalWidth);
  await page.screenshot({ path: join(SHOT_DIR, 'pay-page-1-matched.png'), fullPage: true });

  await page.click('#paid');
  await page.waitForSelector('#payer', { visible: true });
  await page.type('#payer', 'Zhang San');
  await page.screenshot({ path: join(SHOT_DIR, 'pay-page-2-payer-name.png'), fullPage: true });
  await page.click('#paid-confirm');
  await page.waitForFunction((s) => document.getElementById('state').textContent === s, { timeout: 10000 },
                             'Waiting for the merchant');
  seen.paid = await page.evaluate(() => ({
    appealButton: !document.getElementById('appeal').hidden,
    paidButton: !document.getElementById('paid').hidden,
    cancelButton: !document.getElementById('cancel').hidden,
  }));
  await page.screenshot({ path: join(SHOT_DIR, 'pay-page-3-paid.png'), fullPage: true });

  // The merchant confirms receipt through the API; the page follows.
  const r = await fetch(`${API}/v1/orders/${ORDER_ID}/confirm`, {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${MERCHANT_TOKEN}`, 'Content-Type': 'application/json' },
    body: '{}',
  });
  seen.confirmStatus = r.status;
  await page.waitForFunction((s) => document.getElementById('state').textContent === s, { timeout: 10000 },
                             'Completed');
  seen.completed = await page.evaluate(() => ({
    outcome: document.getElementById('outcome').textContent,
    returnShown: !document.getElementById('return').hidden,
    returnHref: document.getElementById('return-link').getAttribute('href'),
    actionsShown: !document.getElementById('actions').hidden,
    detailsShown: !document.getElementById('details').hidden,
  }));
  await page.screenshot({ path: join(SHOT_DIR, 'pay-page-4-completed.png'), fullPage: true });

  // Another order: the customer cancels (the page asks first).
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(process.env.CANCEL_URL, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#cancel', { visible: true });
  await page.click('#cancel');
  await page.waitForFunction((s) => document.getElementById('state').textContent === s, { timeout: 10000 },
                             'Cancelled');
  await page.screenshot({ path: join(SHOT_DIR, 'pay-page-5-cancelled.png'), fullPage: true });
  seen.cancelled = true;

  // A third: paid, then the customer appeals.
  await page.goto(process.env.APPEAL_URL, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#paid', { visible: true });
  await page.click('#paid');
  await page.type('#payer', 'Wang Wu');
  await page.click('#paid-confirm');
  await page.waitForSelector('#appeal', { visible: true });
  await page.click('#appeal');
  await page.waitForFunction((s) => document.getElementById('state').textContent === s, { timeout: 10000 },
                             'Under review');
  await page.screenshot({ path: join(SHOT_DIR, 'pay-page-6-appealed.png'), fullPage: true });
  seen.appealed = true;
  seen.outside = outside;
} catch (e) {
  problems.push('driver: ' + e.message);
} finally {
  await browser.close();
}
seen.problems = problems;
console.log(JSON.stringify(seen));
process.exit(problems.length ? 1 : 0);
