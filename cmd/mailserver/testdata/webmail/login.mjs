// Login: the page has labelled fields and a strict CSP; a wrong password
// keeps the login page; the right one shows the folders and the message
// list, with a session cookie that is Secure, HttpOnly, SameSite=Strict,
// random and limited to /webmail/.
import { run, env, url, login, need, clickNav, checkLabels, checkAccess, check, shot } from './lib.mjs';

await run('login', async (b) => {
  const page = await b.newPage();
  const resp = await page.goto(url());
  await page.locator('#login-form').waitFor();
  for (const id of ['login-address', 'login-password']) {
    check((await page.locator(`label[for="${id}"]`).count()) === 1, `#${id} has no <label for>`);
  }
  const csp = resp.headers()['content-security-policy'] || '';
  const scriptSrc = csp.match(/script-src([^;]*)/)?.[1] || '';
  check(/default-src 'none'/.test(csp) && /'self'/.test(scriptSrc) && !/unsafe|\*|http/.test(scriptSrc),
    `the login page's Content-Security-Policy is not the strict one: ${JSON.stringify(csp)}`);
  await checkLabels(page, 'the login page');
  await checkAccess(page, 'the login page');
  await shot(page, 'login');

  // A wrong password: the login page again, no session.
  b.expect(/status of 40[0-9]/);
  await page.locator('#login-address').fill(env.user);
  await page.locator('#login-password').fill('not-the-password');
  const answer = page.waitForResponse((r) => r.request().method() === 'POST');
  await clickNav(page, page.locator('#login-form [type=submit], #login-form button').first());
  const wrong = await answer;
  check(wrong.status() === 401 || wrong.status() === 403 || wrong.status() === 200, `a wrong password was answered ${wrong.status()}`);
  check(!/webmail_session=[^;]/.test((await wrong.allHeaders())['set-cookie'] || ''), 'a wrong password got a session cookie');
  await need(page, '#login-form', 'the login page after a wrong password');
  check((await page.locator('#message-list').count()) === 0, 'a wrong password showed the message list');
  b.expected.length = 0;

  await login(page);
  await page.locator('#folder-list a[data-mailbox="INBOX"]').waitFor();
  await page.locator('#message-list').waitFor();
  await page.locator('#logout').waitFor();
  const cookie = (await b.context.cookies()).find((c) => c.name === 'webmail_session');
  check(cookie, `no webmail_session cookie after login: ${JSON.stringify(await b.context.cookies())}`);
  check(cookie.secure && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/webmail/',
    `the session cookie is not Secure, HttpOnly, SameSite=Strict, Path=/webmail/: ${JSON.stringify(cookie)}`);
  // 256 random bits: at least 43 base64 or 64 hex characters.
  check(cookie.value.length >= 43, `the session id is short: ${cookie.value.length} characters`);
  check(!(await page.evaluate(() => document.cookie)).includes('webmail_session'), 'the session cookie is readable from script');
});
