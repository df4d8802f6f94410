// The hostile corpus (hostile/*.eml, delivered by the Go side): opening
// each mail, hovering, clicking and tabbing through it, and opening every
// link of the message view (attachments, source, headers) and every
// image the frame loads from the site, must never run script in the
// page or on the site's origin (no dialog, no console error, no uncaught
// exception, nothing set on the page), never load anything from a remote
// host (the recorder counts), and never change the layout outside the
// message pane (boxes as for a harmless reference mail, nothing covering
// the folder list). The sanitised document itself must hold no script,
// frame, form, event handler or javascript: URL. Then "show remote
// images" on the remote-images mail, and only then, loads them.
import { run, env, url, login, row, openMessage, messageFrame, messageText, clickNav, ctl, until, check, Failure } from './lib.mjs';

const names = JSON.parse(process.env.WEBMAIL_HOSTILE);
const remote = new URL(process.env.WEBMAIL_REMOTE);

// Boxes of the page outside the message pane, and the pane's position.
const layout = ['#folder-list', '#message-list', '#search-form', '#logout', '#message-view', '#message-frame'];

// Boxes in document coordinates (the page may have scrolled).
async function boxes(page) {
  return page.evaluate((sels) => Object.fromEntries(sels.map((sel) => {
    const el = document.querySelector(sel);
    if (!el) return [sel, null];
    const r = el.getBoundingClientRect();
    return [sel, { x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height }];
  })), layout);
}

function sameBox(a, b, keys) {
  return keys.every((k) => Math.abs(a[k] - b[k]) <= 1);
}

async function checkLayout(page, ref, what) {
  const now = await boxes(page);
  for (const sel of layout) {
    if (!ref[sel]) continue;
    check(now[sel], `${what}: ${sel} is gone from the page`);
    const keys = sel === '#message-view' ? ['x', 'y', 'width'] : sel === '#message-frame' ? ['x', 'width'] : ['x', 'y', 'width', 'height'];
    check(sameBox(now[sel], ref[sel], keys), `${what}: ${sel} moved or changed size: ${JSON.stringify(now[sel])}, with the reference mail ${JSON.stringify(ref[sel])}`);
  }
  // Nothing (from the mail) lies over the folder list or the search box.
  for (const sel of ['#folder-list', '#search-form']) {
    const bx = now[sel];
    if (!bx) continue;
    const inside = await page.evaluate((s) => {
      const el = document.querySelector(s);
      el.scrollIntoView({ block: 'nearest' });
      const r = el.getBoundingClientRect();
      return !!document.elementFromPoint(r.x + r.width / 2, r.y + Math.min(r.height / 2, 20))?.closest(s);
    }, sel);
    check(inside, `${what}: something covers ${sel}`);
  }
  if (now['#message-frame'] && now['#message-view']) {
    const f = now['#message-frame'], v = now['#message-view'];
    check(f.x >= v.x - 1 && f.x + f.width <= v.x + v.width + 1, `${what}: the message frame sticks out of the message pane`);
  }
}

// The top document: nothing of the mail outside the message view, no
// script that the site did not ship, nothing set by injected script.
async function checkPage(page, what, refScripts) {
  const s = await page.evaluate(() => {
    const clone = document.body.cloneNode(true);
    clone.querySelector('#message-view')?.remove();
    const view = document.querySelector('#message-view');
    return {
      pwned: !!document.getElementById('pwned') || window.__pwned !== undefined || /PWNED/.test(document.title),
      markerOutside: /HOSTILE-MARKER/.test(clone.textContent),
      scripts: [...document.scripts].map((x) => x.src || `inline: ${x.textContent.slice(0, 80)}`),
      viewActive: view ? [...view.querySelectorAll('script, iframe:not(#message-frame), object, embed, form:not([data-action]):not([action^="/webmail/"]), base, meta')].map((e) => e.outerHTML.slice(0, 120)) : [],
      handlers: view ? [...view.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.localName} ${a.name}`)) : [],
    };
  });
  check(!s.pwned, `${what}: injected script ran in the page (pwned marker set)`);
  check(!s.markerOutside, `${what}: the mail's content is in the page outside the message view`);
  check(JSON.stringify(s.scripts) === JSON.stringify(refScripts), `${what}: the page's scripts changed: ${JSON.stringify(s.scripts)}, with the reference mail ${JSON.stringify(refScripts)}`);
  check(s.viewActive.length === 0, `${what}: active elements in the message view: ${s.viewActive.join(' | ')}`);
  check(s.handlers.length === 0, `${what}: event handlers in the message view: ${s.handlers.join(', ')}`);
}

// The sanitised message document.
async function checkFrame(frame, what) {
  const bad = await frame.evaluate(() => {
    const bad = [];
    const urlAttrs = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'background', 'poster', 'srcset', 'lowsrc', 'dynsrc', 'code', 'codebase', 'ping'];
    const activeTags = ['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'input', 'textarea', 'select', 'isindex', 'keygen', 'base', 'portal'];
    for (const el of document.querySelectorAll('*')) {
      const tag = el.localName;
      if (activeTags.includes(tag)) bad.push(`<${tag}>`);
      if (tag === 'meta' && el.hasAttribute('http-equiv') && !/^(content-type|content-security-policy)$/i.test(el.getAttribute('http-equiv'))) bad.push(`<meta http-equiv=${el.getAttribute('http-equiv')}>`);
      if (tag === 'svg' && el.querySelector('script, animate, set, foreignObject')) bad.push('<svg> with script or animation');
      for (const a of el.attributes) {
        const v = a.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
        if (/^on/i.test(a.name)) bad.push(`${tag} ${a.name}=`);
        if (urlAttrs.includes(a.name.toLowerCase()) && /^(javascript|vbscript|data:text\/html|data:image\/svg)/.test(v)) bad.push(`${tag} ${a.name}=${a.value.slice(0, 60)}`);
        if (a.name === 'style' && /expression\(|javascript:|behavior:|-moz-binding/.test(v)) bad.push(`${tag} style=${a.value.slice(0, 60)}`);
      }
    }
    for (const st of document.querySelectorAll('style')) {
      const v = st.textContent.replace(/\s/g, '').toLowerCase();
      if (/expression\(|javascript:|behavior:|-moz-binding/.test(v)) bad.push(`<style> ${st.textContent.slice(0, 60)}`);
    }
    if (window.__pwned !== undefined) bad.push('script ran in the frame');
    return bad;
  });
  check(bad.length === 0, `${what}: the sanitised message still has: ${bad.join(' | ')}`);
}

// Hover over, click on and tab through the message, as a reader would.
async function exercise(page, frame) {
  const box = await page.locator('#message-frame').boundingBox();
  if (box) {
    for (let i = 1; i <= 4; i++) await page.mouse.move(box.x + (box.width * i) / 5, box.y + Math.min(box.height, 300) * (i / 5), { steps: 3 });
  }
  const marker = frame.getByText('HOSTILE-MARKER').first();
  if (await marker.count()) await marker.click({ timeout: 5000 }).catch(() => {});
  for (const id of ['#phish-submit', '#logout-trap']) {
    const b = frame.locator(id);
    if (await b.count()) await b.click({ timeout: 5000 }).catch(() => {});
  }
  for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
}

// Open, in a page of their own, the message view's links on the site
// (attachments, raw source, headers) and the site images the frame shows
// (cid: parts): none may run script on the site's origin; whatever the
// browser shows there carries a CSP or is a download.
async function openSiteLinks(b, page, frame, what) {
  const links = await page.evaluate(() => [...document.querySelectorAll('#message-view a[href]')]
    .filter((a) => !a.closest('[data-action]') && !a.hasAttribute('data-action') && !/remote|image/i.test(a.textContent))
    .map((a) => a.href));
  const imgs = frame ? await frame.evaluate(() => [...document.images].map((i) => i.currentSrc || i.src)) : [];
  const here = new URL(page.url());
  for (const href of new Set([...links, ...imgs])) {
    if (!href || !URL.canParse(href)) continue;
    const u = new URL(href);
    if (u.hostname !== env.host || (u.pathname === here.pathname && u.search === here.search) || u.pathname.startsWith('/webmail/mailbox/')) continue;
    const p = await probePage(b);
    try {
      const resp = await p.goto(href);
      if (resp) {
        const h = resp.headers();
        const ct = h['content-type'] || '';
        check(h['content-security-policy'] || /^attachment/i.test(h['content-disposition'] || '') || /^(text\/plain|image\/(png|gif|jpeg|webp))/.test(ct),
          `${what}: ${href} is shown on the site's origin as ${ct} without a Content-Security-Policy`);
        check(!/^(text\/html|image\/svg|application\/xhtml|text\/xml|application\/xml)/i.test(ct) || /sandbox|script-src 'none'|default-src 'none'/.test(h['content-security-policy'] || ''),
          `${what}: ${href} (from the mail) is served as ${ct} with a CSP that lets script run: ${h['content-security-policy']}`);
      }
    } catch (e) {
      if (e instanceof Failure) throw e;
      if (!/Download is starting|net::ERR_ABORTED/.test(e.message)) throw new Failure(`${what}: opening ${href}: ${e.message}`);
    }
    b.check(`${what}: opening ${href}`);
  }
}

// probePage is the one extra page the site links are opened in (a new
// one if a link closed or broke it).
let probe = null;
async function probePage(b) {
  if (!probe || probe.isClosed()) probe = await b.newPage();
  return probe;
}

async function remoteHits() {
  return (await ctl('remote/hits')).hits;
}

await run('hostile', async (b) => {
  const page = await b.newPage();
  await login(page);
  await row(page, '[reference]').first().waitFor();
  const listBad = await page.evaluate(() => [...document.querySelectorAll('#message-list script, #message-list img, #message-list iframe, #message-list [onerror], #message-list [onclick]')].map((e) => e.outerHTML.slice(0, 80)));
  check(listBad.length === 0, `the message list holds markup from subjects or senders: ${listBad.join(' | ')}`);
  const subjectRow = await row(page, '[hostile subject-html]').first().innerText();
  check(subjectRow.includes('<script>') || subjectRow.includes('onerror'), `the hostile subject is not shown as text in the list: ${JSON.stringify(subjectRow)}`);
  const refScripts = await page.evaluate(() => [...document.scripts].map((x) => x.src || `inline: ${x.textContent.slice(0, 80)}`));
  check(refScripts.every((s) => !s.startsWith('inline')), `the page has inline script: ${refScripts}`);

  await openMessage(page, '[reference]');
  const ref = await boxes(page);
  const frameEl = page.locator('#message-frame');
  check(await frameEl.count(), 'the HTML reference mail is not shown in #message-frame');
  const sandbox = await frameEl.getAttribute('sandbox');
  check(sandbox !== null && !/allow-scripts/.test(sandbox) && !(/allow-same-origin/.test(sandbox) && /allow-scripts/.test(sandbox)),
    `the message frame's sandbox is ${JSON.stringify(sandbox)}`);
  const src = await frameEl.getAttribute('src');
  check(src, 'the message frame has no src of its own (srcdoc or inline)');
  const frameCSP = await page.evaluate(async (s) => (await fetch(s)).headers.get('content-security-policy'), src);
  check(/default-src 'none'/.test(frameCSP || '') && !/script-src/.test(frameCSP), `the message frame's CSP: ${frameCSP}`);
  await checkPage(page, '[reference]', refScripts);
  b.check('the reference mail');

  for (const name of names) {
    const what = `[hostile ${name}]`;
    const t0 = Date.now();
    await page.goto(url());
    await page.locator('#message-list').waitFor();
    await openMessage(page, what);
    const pageURL = page.url();
    const text = await messageText(page);
    check(text.includes('HOSTILE-MARKER'), `${what}: the message's harmless text is not shown (${JSON.stringify(text.slice(0, 200))})`);
    let frame = null;
    if (await page.locator('#message-frame').count()) {
      frame = await messageFrame(page);
      const frameURL = frame.url();
      await checkFrame(frame, what);
      await exercise(page, frame);
      check(frame.url() === frameURL, `${what}: the message frame navigated to ${frame.url()}`);
    }
    check(page.url() === pageURL, `${what}: the page navigated to ${page.url()}`);
    await checkPage(page, what, refScripts);
    await checkLayout(page, ref, what);
    await openSiteLinks(b, page, frame, what);
    const hits = await remoteHits();
    check(hits.length === 0, `${what}: the remote host was contacted: ${hits.join(', ')}`);
    b.check(what);
    console.log(`ok ${what} (${Date.now() - t0} ms)`);
  }

  // Remote images once asked for, for that message only.
  await page.goto(url());
  await openMessage(page, '[hostile remote-images]');
  const show = page.locator('[data-action="show-remote"], [data-action="show-images"], [data-action="remote-images"]')
    .or(page.getByRole('button', { name: /remote|images/i }))
    .or(page.getByRole('link', { name: /remote|images/i }));
  check(await show.count(), 'the remote-images mail offers no way to show its remote images');
  b.allowRemote = remote.hostname;
  await clickNav(page, show.first());
  await until('the remote images to load after "show remote images"', async () => (await remoteHits()).some((h) => h.includes('m=remote-images')));
  await page.goto(url());
  b.allowRemote = '';
  await openMessage(page, '[hostile css]');
  await messageText(page);
  const others = (await remoteHits()).filter((h) => !h.includes('m=remote-images'));
  check(others.length === 0, `asking for one mail's remote images loaded another's: ${others.join(', ')}`);
}, { allowBlocked: true });
