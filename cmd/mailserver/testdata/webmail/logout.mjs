// Logout ends the session on the server: after it, the old cookie, put
// into a fresh browser profile, gets the login page.
import { run, url, login, need, clickNav, check } from './lib.mjs';

await run('logout', async (b) => {
  const page = await b.newPage();
  await login(page);
  const cookies = await b.context.cookies();
  check(cookies.some((c) => c.name === 'webmail_session'), 'no session cookie after login');
  await clickNav(page, page.locator('#logout'));
  await need(page, '#login-form', 'the page after logging out');

  await page.goto(url());
  await page.locator('#login-form').waitFor();
  check((await page.locator('#message-list').count()) === 0, 'after logout the same browser still sees the message list');

  // The cookie from before the logout, replayed.
  const other = await b.newContext();
  await other.addCookies(cookies);
  const p2 = await b.newPage(other);
  await p2.goto(url());
  await p2.locator('#login-form').waitFor();
  check((await p2.locator('#message-list, #folder-list').count()) === 0, 'the cookie from before the logout still opens the mailbox');
});
