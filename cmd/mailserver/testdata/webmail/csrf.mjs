// Cross-site request forgery in a real browser: while alice is logged
// in, a page on another site posts forms to the webmail (logout, and a
// delete on the message actions). Neither may act: the session survives
// and the message is still there.
import { run, env, url, login, row, need, ctl, check } from './lib.mjs';

const remote = process.env.WEBMAIL_REMOTE;
const subject = `Keep me ${Date.now() % 100000}`;

await run('csrf', async (b) => {
  await ctl('smtp', {
    from: 'dora@remote.test', to: [env.user],
    data: `From: Dora <dora@remote.test>\nTo: ${env.user}\nSubject: ${subject}\nMessage-ID: <csrf-${Date.now()}@remote.test>\n\nStill here?\n`,
  });
  const page = await b.newPage();
  await login(page);
  const uid = await row(page, subject).first().getAttribute('data-uid');
  const mailbox = await page.locator('#folder-list a[data-mailbox="INBOX"]').getAttribute('data-mailbox-id');

  b.allowRemote = new URL(remote).hostname; // the attacker's own page
  const attacks = [
    { target: url('logout'), 'f.csrf': 'guessed' },
    { target: url('messages'), 'f.csrf': 'guessed', 'f.mailbox': mailbox, 'f.uid': uid, 'f.op': 'delete', 'f.back': '/webmail/' },
  ];
  for (const attack of attacks) {
    b.expect(/status of 40[0-9]/); // the refusal, on the attacker's tab
    const evil = await b.newPage();
    const arrived = evil.waitForURL((u) => u.hostname === env.host, { waitUntil: 'load' });
    await evil.goto(`${remote}/attack?${new URLSearchParams(attack)}`);
    await arrived;
    await evil.close();
  }
  b.allowRemote = '';
  b.expected.length = 0;

  await page.goto(url());
  await need(page, '#message-list', 'the session after cross-site posts to logout');
  check(await row(page, subject).count(), 'a cross-site post deleted the message');
  const r = await ctl('imap/messages', { server: 'a', user: env.user, mailbox: 'INBOX' });
  check(r.messages?.some((m) => m.subject === subject), 'IMAP no longer has the message a cross-site post tried to delete');
});
