// Administration: an administrator follows the nav to the admin pages
// and adds a user there (the Go side then logs that user in over IMAP).
import { run, url, login, clickNav, checkLabels, checkAccess, check, shot, Failure } from './lib.mjs';

const address = process.env.WEBMAIL_NEW_USER;
const password = process.env.WEBMAIL_NEW_PASSWORD;

await run('admin', async (b) => {
  const page = await b.newPage();
  await login(page);
  const link = page.locator('a[href="/webmail/admin/"]:visible').first();
  check(await link.count(), 'an administrator sees no link to the admin pages');
  await clickNav(page, link);
  await shot(page, 'admin');
  await clickNav(page, page.locator('a[href="/webmail/admin/users"]').first());
  await page.locator('#admin-user-add').waitFor();
  await checkLabels(page, 'the admin users page');
  await checkAccess(page, 'the admin users page');
  await page.getByLabel('E-mail address').fill(address);
  await page.locator('#admin-user-password').fill(password);
  await page.locator('#admin-user-password2').fill(password);
  await clickNav(page, page.locator('[data-action="admin-user-add"]'));
  await page.locator(`#admin-user-list tr[data-address="${address}"]`).waitFor();
  if (await page.locator('#admin-error').count()) throw new Failure(`the admin page reported: ${await page.locator('#admin-error').innerText()}`);
  await shot(page, 'admin-users');
  await page.goto(url('admin/queue'));
  await page.locator('h1').first().waitFor();
});
