// Folders and Trash: a folder created, renamed and deleted on the
// folders page is so over IMAP; a message deleted goes to Trash, and
// deleted there it is gone for good.
import { run, env, url, login, row, openFolder, openMessage, action, clickNav, need, ctl, until, check } from './lib.mjs';

const subject = `Throw me away ${Date.now() % 100000}`;

const imap = (mailbox) => ctl('imap/messages', { server: 'a', user: env.user, mailbox });
const exists = async (mailbox) => !!(await imap(mailbox)).messages;
const holds = async (mailbox) => !!(await imap(mailbox)).messages?.some((m) => m.subject === subject);

await run('folders-trash', async (b) => {
  const page = await b.newPage();
  await login(page);

  await page.goto(url('folders'));
  await need(page, '#folder-new-name', 'the folders page');
  await page.locator('#folder-new-name').fill('Receipts');
  await clickNav(page, page.locator('[data-action="create-folder"]'));
  await until('IMAP to show the folder created in the browser', () => exists('Receipts'));
  const renameBox = page.locator('input[id^="rename-"][value="Receipts"]');
  await renameBox.waitFor();
  await renameBox.fill('Receipts 2026');
  await clickNav(page, renameBox.locator('xpath=ancestor::form[1]').locator('[data-action="rename-folder"]'));
  await until('IMAP to show the folder renamed in the browser', async () => (await exists('Receipts 2026')) && !(await exists('Receipts')));
  const folderRow = page.locator('tr', { has: page.locator('input[id^="rename-"][value="Receipts 2026"]') });
  await folderRow.locator('input[type=checkbox][name=confirm]').check();
  await clickNav(page, folderRow.locator('[data-action="delete-folder"]'));
  await until('IMAP to show the folder deleted in the browser gone', async () => !(await exists('Receipts 2026')));

  await ctl('smtp', {
    from: 'spam@remote.test', to: [env.user],
    data: `From: Someone <spam@remote.test>\nTo: ${env.user}\nSubject: ${subject}\nMessage-ID: <trash-${Date.now()}@remote.test>\n\nNot needed.\n`,
  });
  await page.goto(url());
  await openMessage(page, subject);
  await action(page, 'delete', '#message-view');
  await until('IMAP to show the deleted message in Trash and no more in INBOX', async () => (await holds('Trash')) && !(await holds('INBOX')));
  await openFolder(page, 'Trash');
  await openMessage(page, subject);
  await action(page, 'delete', '#message-view');
  await until('IMAP to show the message deleted from Trash gone for good', async () => !(await holds('Trash')) && !(await holds('INBOX')));
  await openFolder(page, 'Trash');
  check((await row(page, subject).count()) === 0, 'the message deleted for good is still listed in Trash');
});
