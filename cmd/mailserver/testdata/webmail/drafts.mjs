// Drafts: what is typed into a new message is saved to Drafts by itself
// (IMAP sees it), survives a reload of the page, and opens again in the
// compose form with what was typed.
import { run, env, url, login, row, openFolder, clickNav, need, ctl, until, check } from './lib.mjs';

const subject = `Draft survives ${Date.now() % 100000}`;
const body = 'Half-written thoughts about the zanzibar plan, to finish tomorrow.';

await run('drafts', async (b) => {
  const page = await b.newPage();
  await login(page);
  const compose = page.locator('a[href*="compose"]:visible').first();
  await clickNav(page, compose);
  await need(page, '#compose-form', 'the compose page');
  await page.locator('#compose-to').fill('carol@remote.test');
  await page.locator('#compose-subject').fill(subject);
  await page.locator('#compose-body').fill(body);
  await page.locator('#compose-body').press('End');
  await until('the draft to be saved to Drafts by itself (IMAP)', async () => {
    const r = await ctl('imap/messages', { server: 'a', user: env.user, mailbox: 'Drafts' });
    return r.messages?.some((m) => m.subject === subject);
  });

  await page.reload();
  await page.waitForLoadState('load');
  // The reloaded page may restore the draft itself; else it is in Drafts.
  let restored = (await page.locator('#compose-subject').count()) && (await page.locator('#compose-subject').inputValue()) === subject;
  if (!restored) {
    await page.goto(url());
    await openFolder(page, 'Drafts');
    const r = row(page, subject).first();
    await r.waitFor();
    const link = r.locator('a').first();
    await clickNav(page, (await link.count()) ? link : r);
    await page.locator('#compose-form, #message-view').first().waitFor();
    if (!(await page.locator('#compose-form').count())) {
      const edit = page.locator('#message-view [data-action="edit"], #message-view [data-action="edit-draft"], #message-view a[href*="draft"]:not([data-action])').first();
      check(await edit.count(), 'the draft opens as a message with no way to go on editing it');
      await clickNav(page, edit);
    }
    await need(page, '#compose-form', 'the draft, opened again');
  }
  check((await page.locator('#compose-subject').inputValue()) === subject, 'the draft came back with another subject');
  check((await page.locator('#compose-body').inputValue()).includes(body), 'the draft came back without its text');
  check((await page.locator('#compose-to').inputValue()).includes('carol@remote.test'), 'the draft came back without its recipient');
});
