// Changing the password in the settings needs the old one, keeps this
// session and ends the user's other webmail sessions (the Go side then
// checks IMAP: the new password works, the old one no more).
import { run, env, url, login, clickNav, need, check } from './lib.mjs';

const newPassword = process.env.WEBMAIL_NEW_PASSWORD;

await run('password', async (b) => {
  const page = await b.newPage();
  await login(page);
  const otherContext = await b.newContext();
  const other = await b.newPage(otherContext);
  await login(other);

  await page.goto(url('settings'));
  await need(page, '#password-form', 'the settings page');
  // A wrong old password changes nothing.
  b.expect(/status of 40[0-9]/);
  await page.locator('#password-old').fill('not-the-old-one');
  await page.locator('#password-new').fill(newPassword);
  await page.locator('#password-new2').fill(newPassword);
  await clickNav(page, page.locator('#password-submit'));
  await need(page, '#password-form', 'the settings page after a wrong old password');
  b.expected.length = 0;
  await other.goto(url());
  await need(other, '#message-list', 'the other session after a refused password change');

  await page.locator('#password-old').fill(env.password);
  await page.locator('#password-new').fill(newPassword);
  await page.locator('#password-new2').fill(newPassword);
  await clickNav(page, page.locator('#password-submit'));
  await page.goto(url());
  await need(page, '#message-list', 'the session that changed the password');
  await other.goto(url());
  await need(other, '#login-form', 'the other session after the password change');
  check(!(await other.locator('#message-list').count()), 'the other session still sees the mailbox after the password change');
});
