// A user who is not an administrator has no admin link and gets 403 at
// the admin pages, without their forms.
import { run, url, login, check } from './lib.mjs';

await run('admin-refused', async (b) => {
  const page = await b.newPage();
  await login(page);
  check(!(await page.locator('a[href="/webmail/admin/"]').count()), 'a user who is no administrator sees the admin link');
  for (const p of ['admin/', 'admin/users', 'admin/queue']) {
    b.expect(/status of 403/);
    const resp = await page.goto(url(p));
    check(resp.status() === 403, `${p} answered ${resp.status()} to a user who is no administrator`);
    check(!(await page.locator('#admin-user-add, #admin-user-list').count()), `${p} shows the admin forms to a user who is no administrator`);
  }
  b.expected.length = 0;
});
