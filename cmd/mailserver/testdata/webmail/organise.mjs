// Organising: opening a message marks it read; "mark unread" in the
// message view and "mark unread" / "mark read" on a selected row of the
// list change \Seen as IMAP sees it; "move" puts it in a folder (IMAP
// sees it there and gone from INBOX); search finds it there by a word of
// its body, and not by a word it does not have.
import { run, env, login, row, openFolder, openMessage, action, clickNav, need, ctl, until, check } from './lib.mjs';

const subject = `Organise me ${Date.now() % 100000}`;
const folder = 'Projects';

const imapFind = async (mailbox) => {
  const r = await ctl('imap/messages', { server: 'a', user: env.user, mailbox });
  check(r.messages, `IMAP ${mailbox}: ${r.error}`);
  return r.messages.find((m) => m.subject === subject);
};
const seen = async () => (await imapFind('INBOX'))?.flags.includes('\\Seen');

// listAction selects the message's row in the list and clicks the
// toolbar's button. A live refresh of the list may replace the row
// between the two (the page keeps the selection, but a refresh that
// started before the click on the checkbox cannot know of it); then the
// page refuses the submit ("select one or more messages first"), and
// the selection is made again.
async function listAction(page, name) {
  for (let attempt = 1; ; attempt++) {
    await row(page, subject).first().locator('input[type=checkbox]').check();
    const nav = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: 5000 });
    await page.locator(`#message-actions [data-action="${name}"]`).click();
    try {
      await nav;
      await page.waitForLoadState('load');
      return;
    } catch (e) {
      if (attempt === 3) throw new Error(`"${name}" on the selected row never submitted: ${e.message}`);
    }
  }
}

await run('organise', async (b) => {
  // Every step is tried even when one before failed: the failures are
  // reported together.
  const step = async (what, fn) => {
    try {
      await fn();
    } catch (e) {
      b.problems.push(`${what}: ${e.message}`);
    }
  };
  await ctl('imap/create', { server: 'a', user: env.user, mailbox: folder });
  await ctl('smtp', {
    from: 'dora@remote.test', to: [env.user],
    data: `From: Dora <dora@remote.test>\nTo: ${env.user}\nSubject: ${subject}\nDate: ${new Date().toUTCString()}\n` +
      `Message-ID: <organise-${Date.now()}@remote.test>\n\nThe zanzibar plan, as promised.\n`,
  });
  const page = await b.newPage();
  await login(page);
  await page.locator(`#folder-list a[data-mailbox="${folder}"]`).waitFor();
  check(!(await seen()), 'a new message is \\Seen before it was opened');

  await openMessage(page, subject);
  await step('opening a message marks it read', () => until('IMAP to show \\Seen after opening', seen));
  await step('"mark unread" in the message view', async () => {
    await action(page, 'mark-unread', '#message-view');
    await until('IMAP to show the message without \\Seen after "mark unread" in the message view', async () => !(await seen()));
  });

  await step('"mark unread" / "mark read" in the list', async () => {
    await openFolder(page, 'INBOX');
    await listAction(page, 'mark-read');
    await until('IMAP to show \\Seen after "mark read" in the list', seen);
    await listAction(page, 'mark-unread');
    await until('IMAP to show no \\Seen after "mark unread" in the list', async () => !(await seen()));
    await listAction(page, 'mark-read');
    await until('IMAP to show \\Seen after "mark read" in the list, again', seen);
    check(!/\bunread\b/.test((await row(page, subject).first().getAttribute('class')) || ''), 'the row still shows the message unread');
  });

  await step(`"move" to ${folder} in the message view`, async () => {
    await openFolder(page, 'INBOX');
    await openMessage(page, subject);
    await page.locator('#message-view select').first().selectOption({ label: folder });
    await action(page, 'move', '#message-view');
    await until(`IMAP to show the message in ${folder} and no more in INBOX`, async () =>
      (await imapFind(folder)) && !(await imapFind('INBOX')));
  });

  await step('search', async () => {
    await openFolder(page, folder);
    await row(page, subject).first().waitFor();
    await page.locator('#search-q').fill('zanzibar');
    await clickNav(page, page.locator('#search-form [type=submit]'));
    await need(page, '#message-list', 'the search results');
    await row(page, subject).first().waitFor();
    await page.locator('#search-q').fill('quetzalcoatl');
    await clickNav(page, page.locator('#search-form [type=submit]'));
    await need(page, '#message-list', 'the search results');
    check((await row(page, subject).count()) === 0, 'a search for a word the message does not have still lists it');
  });
});
