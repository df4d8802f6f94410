// Organising: mark unread and read (IMAP sees \Seen go and come), move
// to a folder (IMAP sees it there and gone from INBOX), and search finds
// it there by a word of its body, and not by a word it does not have.
import { run, env, login, row, openFolder, openMessage, action, ctl, until, check } from './lib.mjs';

const subject = `Organise me ${Date.now() % 100000}`;
const folder = 'Projects';

const imapFind = async (mailbox) => {
  const r = await ctl('imap/messages', { server: 'a', user: env.user, mailbox });
  check(r.messages, `IMAP ${mailbox}: ${r.error}`);
  return r.messages.find((m) => m.subject === subject);
};

// act clicks the data-action button for the message on screen: in the
// message view when it is open, else for the message's selected row in
// the list. A move picks target from the select or menu next to it.
async function act(page, name, target) {
  const inView = page.locator(`#message-view [data-action="${name}"]:visible`);
  if (!(await inView.count())) {
    const box = row(page, subject).first().locator('input[type=checkbox]');
    if (await box.count()) await box.check();
  }
  const button = (await inView.count()) ? inView.first() : page.locator(`[data-action="${name}"]:visible`).first();
  await button.waitFor();
  if (target) {
    const form = button.locator('xpath=ancestor::form[1]');
    const select = form.locator('select');
    if ((await form.count()) && (await select.count())) {
      await select.first().selectOption({ label: target }).catch(() => select.first().selectOption(target));
      await Promise.all([page.waitForLoadState('load'), button.click()]);
      return;
    }
    await button.click();
    await Promise.all([page.waitForLoadState('load'), page.getByRole('menuitem', { name: target }).or(page.getByRole('button', { name: target })).first().click()]);
    return;
  }
  await Promise.all([page.waitForLoadState('load'), button.click()]);
}

await run('organise', async (b) => {
  await ctl('imap/create', { server: 'a', user: env.user, mailbox: folder });
  await ctl('smtp', {
    from: 'dora@remote.test', to: [env.user],
    data: `From: Dora <dora@remote.test>\nTo: ${env.user}\nSubject: ${subject}\nDate: ${new Date().toUTCString()}\n` +
      `Message-ID: <organise-${Date.now()}@remote.test>\n\nThe zanzibar plan, as promised.\n`,
  });
  const page = await b.newPage();
  await login(page);
  await page.locator(`#folder-list a[data-mailbox="${folder}"]`).waitFor();
  await openMessage(page, subject);
  await act(page, 'mark-unread');
  await until('IMAP to show the message without \\Seen after mark-unread', async () => {
    const m = await imapFind('INBOX');
    return m && !m.flags.includes('\\Seen');
  });
  if (!(await page.locator('#message-view').count())) await page.locator('#message-list').waitFor();
  await act(page, 'mark-read');
  await until('IMAP to show \\Seen after mark-read', async () => (await imapFind('INBOX'))?.flags.includes('\\Seen'));

  if (!(await page.locator('#message-view').count())) await openMessage(page, subject);
  await act(page, 'move', folder);
  await until(`IMAP to show the message in ${folder} and no more in INBOX`, async () =>
    (await imapFind(folder)) && !(await imapFind('INBOX')));

  await openFolder(page, folder);
  await row(page, subject).first().waitFor();
  await page.locator('#search-q').fill('zanzibar');
  await Promise.all([page.waitForLoadState('load'), page.locator('#search-q').press('Enter')]);
  await row(page, subject).first().waitFor();
  await page.locator('#search-q').fill('quetzalcoatl');
  await Promise.all([page.waitForLoadState('load'), page.locator('#search-q').press('Enter')]);
  await page.locator('#message-list').waitFor();
  check((await row(page, subject).count()) === 0, 'a search for a word the message does not have still lists it');
});
