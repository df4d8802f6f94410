// The main pages with an ordinary mailbox (the Go side filled erin's):
// message list, message view, compose (a reply), settings, at 1280×800
// and the message list and a message at 390×844 (a phone). The pages are
// checked like every other (no console error, nothing remote); the
// pictures go to docs/webmail/ when WEBMAIL_SCREENSHOTS=1. Each page's
// controls must be labelled, and its focus order and contrast sound.
import { run, login, row, openMessage, action, clickNav, checkLabels, checkAccess, check, shot, Browser } from './lib.mjs';

const open = process.env.WEBMAIL_SHOT_SUBJECT; // the HTML message to show

await run('screenshots', async (b) => {
  const page = await b.newPage();
  await login(page);
  await row(page, open).first().waitFor();
  await checkLabels(page, 'the message list');
  await checkAccess(page, 'the message list');
  await shot(page, 'message-list');
  await openMessage(page, open);
  await page.locator('#message-frame').waitFor();
  await checkLabels(page, 'the message view');
  await checkAccess(page, 'the message view');
  await shot(page, 'message-view');
  await action(page, 'reply');
  await page.locator('#compose-form').waitFor();
  await checkLabels(page, 'the compose page');
  await checkAccess(page, 'the compose page');
  await shot(page, 'compose');
  const settings = page.locator('a[href*="settings"]:visible').first();
  check(await settings.count(), 'no link to the settings');
  await clickNav(page, settings);
  await page.locator('main, form').first().waitFor();
  await checkLabels(page, 'the settings page');
  await checkAccess(page, 'the settings page');
  await shot(page, 'settings');

  const phone = await Browser.launch({ viewport: { width: 390, height: 844 }, isMobile: true });
  try {
    const p = await phone.newPage();
    await login(p);
    await row(p, open).first().waitFor();
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, `the message list is ${overflow}px wider than a 390px phone screen`);
    await shot(p, 'phone-message-list');
    await openMessage(p, open);
    const wide = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(wide <= 1, `the message view is ${wide}px wider than a 390px phone screen`);
    await shot(p, 'phone-message-view');
    phone.check('on a phone-sized screen');
  } finally {
    await phone.close();
  }
});
