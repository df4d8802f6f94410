// Live: with the message list open, a message sent over SMTP (by the Go
// side, to port 25) appears without a reload, marked unread, and the
// title counts it; a flag set and a message expunged over IMAP show too. Open it, reply with an attachment (uploaded from
// WEBMAIL_ATTACHMENT); the sent copy lands in Sent. The Go side then
// checks the reply at carol's server: attachment and DKIM.
import fs from 'node:fs';
import path from 'node:path';
import { run, env, login, row, openFolder, openMessage, messageText, action, clickNav, ctl, until, check } from './lib.mjs';

const subject = process.env.WEBMAIL_SUBJECT;
const from = process.env.WEBMAIL_FROM;
const attachment = process.env.WEBMAIL_ATTACHMENT;

const unseenInbox = async () => {
  const r = await ctl('imap/messages', { server: 'a', user: env.user, mailbox: 'INBOX' });
  check(r.messages, `IMAP INBOX: ${r.error}`);
  return r.messages.filter((m) => !m.flags.includes('\\Seen')).length;
};

await run('live-open-reply', async (b) => {
  const page = await b.newPage();
  // The list follows changes from the moment the page's event stream is
  // open; the message is sent after that.
  const stream = page.waitForResponse((r) => new URL(r.url()).pathname === '/webmail/events');
  await login(page);
  await stream;
  let navigations = 0;
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations++;
  });

  await ctl('smtp', {
    from, to: [env.user],
    data: `From: Carol Remote <${from}>\nTo: Alice <${env.user}>\nSubject: ${subject}\nDate: ${new Date().toUTCString()}\n` +
      `Message-ID: <live-${Date.now()}@remote.test>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n` +
      `Hello Alice,\n\nthis arrived while you were looking. Could you send me the report?\n\nCarol\n`,
  });
  const r = row(page, subject).first();
  await r.waitFor();
  check(navigations === 0, `the page was reloaded (${navigations} navigations) to show the new message: not live`);
  check(/\bunread\b/.test((await r.getAttribute('class')) || ''), 'the new message\'s row is not marked unread');
  const unseen = await unseenInbox();
  await until(`the title to start with "(${unseen}) " (it is "${await page.title()}")`,
    async () => (await page.title()).startsWith(`(${unseen}) `));
  check(navigations === 0, 'the page was reloaded');
  const badge = page.locator('#folder-list a[data-mailbox="INBOX"] span.unread');
  check((await badge.count()) && (await badge.innerText()).includes(String(unseen)),
    `the INBOX unread count in the folder list does not say ${unseen}`);

  // Another client (IMAP) flags the message and deletes another one: the
  // open list follows without a reload.
  const doomed = `Never mind ${Date.now() % 100000}`;
  await ctl('smtp', {
    from, to: [env.user],
    data: `From: Carol Remote <${from}>\nTo: ${env.user}\nSubject: ${doomed}\nMessage-ID: <doomed-${Date.now()}@remote.test>\n\nNever mind.\n`,
  });
  await row(page, doomed).first().waitFor();
  await ctl('imap/change', { server: 'a', user: env.user, mailbox: 'INBOX', subject, op: 'flag' });
  await until('the row to show the \\Flagged set over IMAP', async () => /\bflagged\b/.test((await r.getAttribute('class')) || ''));
  await ctl('imap/change', { server: 'a', user: env.user, mailbox: 'INBOX', subject: doomed, op: 'delete' });
  await until('the row of the message expunged over IMAP to go', async () => (await row(page, doomed).count()) === 0);
  check(navigations === 0, `the page was reloaded (${navigations} navigations) to show changes made over IMAP: not live`);

  await openMessage(page, subject);
  check((await messageText(page)).includes('this arrived while you were looking'), 'the opened message does not show its text');
  check((await page.locator('#message-view').innerText()).includes(from), 'the message view does not show the sender');

  await action(page, 'reply');
  await page.locator('#compose-form').waitFor();
  const to = await page.locator('#compose-to').inputValue();
  check(to.includes(from), `the reply is addressed to ${JSON.stringify(to)}, not ${from}`);
  const subj = await page.locator('#compose-subject').inputValue();
  check(/^re:/i.test(subj) && subj.includes(subject), `the reply's subject is ${JSON.stringify(subj)}`);
  const quoted = await page.locator('#compose-body').inputValue();
  await page.locator('#compose-body').fill(`Here it is, Carol.\n\nAlice\n\n${quoted}`);
  await page.locator('#compose-attach').setInputFiles(attachment);
  await clickNav(page, page.locator('#compose-send'));
  await page.locator('#compose-form').waitFor({ state: 'detached' });

  await until(`the sent copy of "Re: ${subject}" in Sent over IMAP`, async () => {
    const s = await ctl('imap/messages', { server: 'a', user: env.user, mailbox: 'Sent' });
    return s.messages?.some((m) => m.subject.includes(subject));
  });

  // The sent copy lists the attachment; its link downloads it under its
  // name with the bytes uploaded, and serves it with the right headers.
  await openFolder(page, 'Sent');
  await openMessage(page, subject);
  const link = page.locator('#message-view a[download]', { hasText: path.basename(attachment) }).first();
  check(await link.count(), `the sent copy does not list the attachment ${path.basename(attachment)}`);
  const got = await page.evaluate(async (href) => {
    const r = await fetch(href);
    const bytes = new Uint8Array(await r.arrayBuffer());
    let bin = '';
    for (const x of bytes) bin += String.fromCharCode(x);
    return { status: r.status, disposition: r.headers.get('content-disposition'), type: r.headers.get('content-type'), body: btoa(bin) };
  }, await link.evaluate((a) => a.href));
  check(got.status === 200, `the attachment link answered ${got.status}`);
  check(/^attachment/i.test(got.disposition || '') && (got.disposition || '').includes(path.basename(attachment)),
    `the attachment is served with Content-Disposition ${JSON.stringify(got.disposition)}`);
  check(/^application\/octet-stream/.test(got.type || ''), `the attachment is served as ${got.type}`);
  const body = Buffer.from(got.body, 'base64');
  check(body.equals(fs.readFileSync(attachment)), `the attachment link serves ${body.length} octets, not the uploaded ones`);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15000 }), link.click()]);
  const failure = await download.failure();
  check(failure === null, `Chromium's download of the attachment failed: ${failure}`);
  check(download.suggestedFilename() === path.basename(attachment),
    `the download is named ${JSON.stringify(download.suggestedFilename())}, not ${path.basename(attachment)}`);
  if (failure === null) {
    const saved = fs.readFileSync(await download.path());
    check(saved.equals(fs.readFileSync(attachment)), `the downloaded file has ${saved.length} octets, not the uploaded ones`);
  }
});
