// Shared harness of the webmail's browser tests: cmd/mailserver/
// webmail_e2e_test.go runs `node NAME.mjs` with the server's address and
// the accounts in the environment (see env below). Every script launches
// Debian's Chromium through playwright-core, watches everything the pages
// do, and exits non-zero with a message when a check fails.
//
// What is watched, in every page of the context, and fails the script at
// finish() (or at once through check()):
//   - a dialog (alert, confirm, prompt, beforeunload): injected script ran;
//   - a console error or an uncaught exception;
//   - a request to any host but the webmail's own (Chromium maps every
//     name to 127.0.0.1, so "remote" hosts are loopback servers the Go test
//     runs and counts; a request to one of them is still a remote load).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const env = {
  url: envVar('WEBMAIL_URL'), // https://HOST:PORT/webmail/
  host: envVar('WEBMAIL_HOST'), // the site's name (mapped to 127.0.0.1)
  control: envVar('WEBMAIL_CONTROL'), // the Go test's control server
  user: process.env.WEBMAIL_USER || '',
  password: process.env.WEBMAIL_PASSWORD || '',
  screenshots: process.env.WEBMAIL_SCREENSHOTS_DIR || '', // "" = none
  chromium: process.env.WEBMAIL_CHROMIUM || '/usr/bin/chromium',
  // Public-key digests of the test servers' self-signed certificates,
  // trusted as if a CA had signed them (with ignoreHTTPSErrors instead,
  // Chromium cancels every download from the page).
  spki: envVar('WEBMAIL_SPKI'),
};

function envVar(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`environment variable ${name} is not set (run through go test -run TestWebmailE2E ./cmd/mailserver/)`);
    process.exit(2);
  }
  return v;
}

// A bounded wait for things that happen asynchronously (a delivery, a
// live update): not a timed assertion, only a limit on a hung test.
export const patience = 30_000;

export class Failure extends Error {}

export function check(cond, msg) {
  if (!cond) throw new Failure(msg);
}

// Blocked is what Chromium logs when the sandbox or the CSP stopped
// something: the defence working, not injected script running. The
// hostile-corpus test allows these (and reports them); every other test
// fails on them too.
const blocked = /Refused to|Blocked script execution|violates the following Content Security Policy|Blocked form submission|sandboxed and the 'allow-/;

// Browser is one Chromium with one context, and what it saw.
export class Browser {
  static async launch({ viewport = { width: 1280, height: 800 }, isMobile = false, allowBlocked = false } = {}) {
    const b = new Browser();
    b.allowBlocked = allowBlocked;
    b.browser = await chromium.launch({
      executablePath: env.chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        // Every name is 127.0.0.1: the site's and the "remote" hosts of
        // the hostile corpus alike; nothing leaves the machine.
        '--host-resolver-rules=MAP * 127.0.0.1',
        `--ignore-certificate-errors-spki-list=${env.spki}`,
      ],
    });
    b.contextOptions = {
      viewport,
      isMobile,
      hasTouch: isMobile,
      deviceScaleFactor: 1,
      acceptDownloads: true,
    };
    b.problems = []; // failures, in the order seen
    b.notes = []; // blocked loads and expected errors, for the log
    b.expected = []; // console errors a test provokes on purpose (RegExps)
    b.remoteRequests = []; // URLs of requests to hosts other than env.host
    b.allowRemote = ''; // a host the user asked to load images from
    b.context = await b.newContext();
    return b;
  }

  // newContext is a fresh browser profile (no cookies), watched like the
  // first.
  async newContext() {
    const c = await this.browser.newContext(this.contextOptions);
    c.on('request', (req) => this.#request(req));
    c.on('page', (p) => this.#watch(p));
    return c;
  }

  // expect lets console errors matching re through once: a failed login's
  // 401, an admin page's 403 for a non-admin.
  expect(re) {
    this.expected.push(re);
  }

  #watch(page) {
    page.on('dialog', async (d) => {
      this.problems.push(`dialog (${d.type()}) ${JSON.stringify(d.message())} on ${page.url()}`);
      await d.dismiss().catch(() => {});
    });
    page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'assert') return;
      const where = m.location()?.url || page.url();
      // Chromium asks for /favicon.ico by itself, whatever the page says.
      if (/status of 404/.test(m.text()) && /\/favicon\.ico$/.test(where)) {
        this.notes.push(`no favicon: ${m.text()} (${where})`);
        return;
      }
      const i = this.expected.findIndex((re) => re.test(m.text()));
      if (i >= 0) {
        this.expected.splice(i, 1);
        this.notes.push(`expected console error: ${m.text()} (${where})`);
        return;
      }
      if (blocked.test(m.text()) || (this.allowBlocked && /^Failed to load resource/.test(m.text()))) {
        (this.allowBlocked ? this.notes : this.problems).push(`console: ${m.text()} (${where})`);
        return;
      }
      this.problems.push(`console error: ${m.text()} (${where})`);
    });
    page.on('pageerror', (e) => this.problems.push(`uncaught exception: ${e.message} on ${page.url()}`));
  }

  #request(req) {
    const u = new URL(req.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return;
    if (u.hostname === env.host) return;
    this.remoteRequests.push(req.url());
    if (u.hostname !== this.allowRemote) this.problems.push(`request to a remote host: ${req.method()} ${req.url()}`);
  }

  async newPage(context = this.context) {
    const p = await context.newPage();
    p.setDefaultTimeout(patience);
    return p;
  }

  // check fails now if anything bad was seen so far.
  check(what) {
    if (this.problems.length) throw new Failure(`${what}:\n  ${this.problems.join('\n  ')}`);
  }

  async close() {
    await this.browser.close().catch(() => {});
  }
}

// need waits for sel on the page, failing at once (not after the
// patience) when the server answered with a bare error page instead.
export async function need(page, sel, what = sel) {
  await page.locator(`${sel}, body > pre:only-child`).first().waitFor();
  if (!(await page.locator(sel).count())) {
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Failure(`${what}: ${page.url()} answered ${JSON.stringify(text.slice(0, 200))} instead of showing ${sel}`);
  }
}

// url resolves a path against the webmail's base (WEBMAIL_URL).
export function url(p = '') {
  return new URL(p, env.url).toString();
}

// login opens the login page and signs in; it returns when the message
// list is shown.
export async function login(page, user = env.user, password = env.password) {
  await page.goto(url());
  await need(page, '#login-form', 'the login page');
  await page.locator('#login-address').fill(user);
  await page.locator('#login-password').fill(password);
  await clickNav(page, page.locator('#login-form [type=submit], #login-form button').first());
  await need(page, '#message-list', `logging in as ${user}`);
}

// openFolder clicks a folder in the folder list.
export async function openFolder(page, name) {
  const a = page.locator(`#folder-list a[data-mailbox="${name}"]`).first();
  await clickNav(page, a);
  await need(page, '#message-list', `opening folder ${name}`);
}

// row is the message list's row whose text contains subject.
export function row(page, subject) {
  return page.locator('#message-list tr[data-uid]', { hasText: subject });
}

// openMessage opens the message whose list row contains subject and
// waits for the message view and its frame.
export async function openMessage(page, subject) {
  const r = row(page, subject).first();
  await r.waitFor();
  await clickNav(page, r.locator('a[href]').first());
  await need(page, '#message-view', `opening "${subject}"`);
}

// messageText is the text of the message shown: the view's own text
// (text/plain may be shown in the page) and the frame's.
export async function messageText(page) {
  let text = await page.locator('#message-view').innerText();
  if (await page.locator('#message-frame').count()) {
    const f = await messageFrame(page);
    text += '\n' + (await f.locator('body').innerText().catch(() => ''));
  }
  return text;
}

// frame is the message frame's document (the sandboxed iframe).
export async function messageFrame(page) {
  const el = await page.locator('#message-frame').elementHandle({ timeout: patience });
  const f = await el.contentFrame();
  check(f, 'the message frame has no document');
  await f.waitForLoadState('load');
  return f;
}

// clickNav clicks something that loads a new page (a link, a form's
// submit button) and waits until the new page has loaded.
export async function clickNav(page, loc) {
  const nav = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
  await loc.click();
  await nav;
  await page.waitForLoadState('load');
}

// action clicks the button (or link) carrying data-action=name, the
// first visible one (inside within, when given), and waits for the page
// it leads to.
export async function action(page, name, within = '') {
  const b = page.locator(`${within} [data-action="${name}"]:visible`.trim()).first();
  await b.waitFor();
  await clickNav(page, b);
}

// ctl calls the Go test's control server (SMTP sending, IMAP checks).
export async function ctl(what, body = {}) {
  const res = await fetch(new URL(what, env.control), { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Failure(`control ${what}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// until polls fn (async, returning a truthy value when done) until it is
// done or patience runs out; the failure says what was waited for.
export async function until(what, fn, limit = patience) {
  const end = Date.now() + limit;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Failure(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// checkLabels fails unless every visible form control of the page has a
// label (a <label for>, an enclosing <label>, aria-label or
// aria-labelledby): the W1 accessibility rule.
export async function checkLabels(page, what) {
  const bare = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden' && e.type !== 'submit' && e.type !== 'button' && e.getClientRects().length > 0)
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map((e) => e.outerHTML.slice(0, 100)));
  check(bare.length === 0, `${what}: form controls without a label: ${bare.join(' | ')}`);
}

// checkAccess fails when the page breaks the focus order (a positive
// tabindex, WCAG 2.1 SC 2.4.3) or has visible text whose contrast with
// its background is under 4.5:1, 3:1 for large text (SC 1.4.3: 24 px, or
// 18.66 px bold). The background is the first opaque one up the tree
// (white at the top); disabled controls are exempt, as the SC says.
export async function checkAccess(page, what) {
  const found = await page.evaluate(() => {
    const rgb = (c) => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (e) => {
      for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
        const c = rgb(getComputedStyle(n).backgroundColor);
        if (c && c.a >= 0.99) return c;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    const out = [];
    for (const e of document.querySelectorAll('[tabindex]')) {
      if (Number(e.getAttribute('tabindex')) > 0) out.push(`tabindex ${e.getAttribute('tabindex')} on ${e.outerHTML.slice(0, 80)}`);
    }
    for (const e of document.body.querySelectorAll('*')) {
      if (e.disabled || e.closest('[disabled]') || e.getClientRects().length === 0) continue;
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
      if (!own) continue;
      const st = getComputedStyle(e);
      if (st.visibility !== 'visible' || Number(st.opacity) === 0) continue;
      const fg = rgb(st.color), bg = background(e);
      if (!fg) continue;
      const mix = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) };
      const [hi, lo] = [lum(mix), lum(bg)].sort((x, y) => y - x);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
      const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      if (ratio < need) out.push(`contrast ${ratio.toFixed(2)}:1 (needs ${need}) for "${e.textContent.trim().slice(0, 40)}" (${st.color} on rgb(${bg.r}, ${bg.g}, ${bg.b}))`);
    }
    return out;
  });
  check(found.length === 0, `${what}: accessibility: ${found.slice(0, 10).join(' | ')}`);
}

// shot writes docs/webmail/NAME.png when screenshots were asked for.
export async function shot(page, name) {
  if (!env.screenshots) return;
  fs.mkdirSync(env.screenshots, { recursive: true });
  await page.screenshot({ path: path.join(env.screenshots, `${name}.png`), animations: 'disabled' });
}

// run runs a test body with a browser and reports the outcome: exit 0
// when it passed, 1 with the reason otherwise.
export async function run(name, body, opts = {}) {
  const b = await Browser.launch(opts);
  const t0 = Date.now();
  let failed = false;
  try {
    await body(b);
    b.check(`${name}: problems seen in the browser`);
  } catch (e) {
    failed = true;
    console.error(`FAIL ${name}: ${e instanceof Failure ? e.message : e.stack || e}`);
    if (b.problems.length && !(e instanceof Failure && e.message.includes('problems seen'))) {
      console.error(`  also seen in the browser:\n    ${b.problems.join('\n    ')}`);
    }
    for (const p of b.context.pages()) {
      const text = await p.evaluate(() => document.body?.innerText || '').catch(() => '');
      console.error(`  page open at the failure: ${p.url()}\n    ${text.slice(0, 1500).replace(/\n+/g, '\n    ')}`);
    }
  }
  for (const n of b.notes) console.log(`note: ${n}`);
  await b.close();
  console.log(`${failed ? 'FAIL' : 'ok'} ${name} (${Date.now() - t0} ms)`);
  process.exit(failed ? 1 : 0);
}
