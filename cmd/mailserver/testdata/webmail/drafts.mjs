// Drafts: what is typed into a new message is saved to Drafts by itself
// (IMAP sees it), survives a reload of the page, and opens again in the
// compose form with what was typed.
import { run, env, url, login, row, openFolder, ctl, until, check } from './lib.mjs';

const subject = `Draft survives ${Date.now() % 100000}`;
const body = 'Half-written thoughts about the zanzibar plan, to finish tomorrow.';

await run('drafts', async (b) => {
  const page = await b.newPage();
  await login(page);
  const compose = page.locator('a[href*="compose"]:visible').first();
  await Promise.all([page.waitForLoadState('load'), compose.click()]);
  await page.locator('#compose-form').waitFor();
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
    await Promise.all([page.waitForLoadState('load'), (await link.count()) ? link.click() : r.click()]);
    await page.locator('#compose-form, #message-view').first().waitFor();
    if (!(await page.locator('#compose-form').count())) {
      const edit = page.locator('#message-view [data-action="edit"], #message-view a[href*="compose"]').first();
      check(await edit.count(), 'the draft opens as a message with no way to go on editing it');
      await Promise.all([page.waitForLoadState('load'), edit.click()]);
    }
    await page.locator('#compose-form').waitFor();
  }
  check((await page.locator('#compose-subject').inputValue()) === subject, 'the draft came back with another subject');
  check((await page.locator('#compose-body').inputValue()).includes(body), 'the draft came back without its text');
  check((await page.locator('#compose-to').inputValue()).includes('carol@remote.test'), 'the draft came back without its recipient');
});
