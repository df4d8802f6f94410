// Drives the compose page's script in Debian's Chromium (for
// compose_browser_test.go): with the session given, type a message, wait for the draft to
// be saved by itself, reload, find the draft again, attach a file (saved
// at once), send. Prints "ok" or fails with a message. Any dialog,
// console error or page error fails it.
const { chromium } = await import(process.env.PLAYWRIGHT_CORE);
const base = process.env.WEBMAIL_URL; // https://127.0.0.1:PORT
const fail = (msg) => { console.error(msg); process.exit(1); };
const browser = await chromium.launch({
  executablePath: process.env.WEBMAIL_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const problems = [];
try {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  page.on('dialog', (d) => { problems.push('dialog: ' + d.type()); d.dismiss(); });
  page.on('console', (m) => {
    // Chromium asks for /favicon.ico by itself, whatever the page says.
    const where = m.location().url || '';
    if (m.type() === 'error' && !/\/favicon\.ico$/.test(where)) problems.push('console: ' + m.text() + ' ' + where);
  });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('response', (r) => { if (r.status() >= 400) problems.push('HTTP ' + r.status() + ' ' + r.url()); });
  // The session comes from the Go side's login (the login form is
  // webcore's and tested there).
  await ctx.addCookies([{ name: 'webmail_session', value: process.env.WEBMAIL_SESSION, domain: '127.0.0.1',
    path: '/webmail/', secure: true, httpOnly: true, sameSite: 'Strict' }]);
  await page.goto(base + '/webmail/compose');
  await page.fill('#compose-to', 'bob@example.test');
  await page.fill('#compose-subject', 'Browser draft');
  await page.fill('#compose-body', 'Typed in Chromium.');
  await page.waitForURL(/compose\?draft=\d+$/, { timeout: 20000 });
  await page.waitForFunction(() => /Draft saved/.test(document.getElementById('compose-status').textContent));
  await page.reload();
  if ((await page.inputValue('#compose-subject')) !== 'Browser draft') fail('the reloaded page lost the subject');
  if ((await page.inputValue('#compose-body')).trimEnd() !== 'Typed in Chromium.') fail('the reloaded page lost the text');
  const before = page.url();
  await page.setInputFiles('#compose-attach', { name: 'notes ü.txt', mimeType: 'text/plain', buffer: Buffer.from(process.env.WEBMAIL_FILE) });
  await page.waitForFunction((u) => location.href !== u && document.querySelectorAll('#compose-attachments li').length === 1, before, { timeout: 20000 });
  if ((await page.inputValue('#compose-attach')) !== '') fail('the file input was not cleared after the save');
  if (process.env.WEBMAIL_SCREENSHOT_DIR) {
    await page.screenshot({ path: process.env.WEBMAIL_SCREENSHOT_DIR + '/compose.png', fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: process.env.WEBMAIL_SCREENSHOT_DIR + '/compose-phone.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }
  const item = await page.textContent('#compose-attachments li label');
  if (!item.includes('notes ü.txt')) fail('the attachment list shows ' + item);
  await Promise.all([page.waitForURL(/\/webmail\/\?sent=/), page.click('#compose-send')]);
  if (problems.length) fail(problems.join('\n'));
  console.log('ok');
} finally {
  await browser.close();
}
