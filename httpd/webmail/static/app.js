// Webmail's script: progressive enhancement of server-rendered pages.
// Every page works without it; it adds select-all, drag and drop to
// folders, and live updates (Server-Sent Events from /webmail/events).
"use strict";
(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";

  function setTitle(unread) {
    var base = document.body.dataset.title || document.title;
    document.body.dataset.unread = String(unread);
    document.title = (unread > 0 ? "(" + unread + ") " : "") + base;
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (k) {
      var v = fields[k];
      if (Array.isArray(v)) { v.forEach(function (x) { body.append(k, x); }); } else { body.append(k, v); }
    });
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" }
    });
  }

  function selectedUIDs() {
    return Array.prototype.map.call(
      document.querySelectorAll('#message-list input[name="uid"]:checked'),
      function (c) { return c.value; });
  }

  function markRows() {
    document.querySelectorAll("#message-list tr[data-uid]").forEach(function (tr) {
      var c = tr.querySelector('input[name="uid"]');
      tr.classList.toggle("selected", !!(c && c.checked));
    });
  }

  function wireList() {
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll('#message-list input[name="uid"]').forEach(function (c) { c.checked = all.checked; });
        markRows();
      });
    }
    var list = document.getElementById("message-list");
    if (!list) { return; }
    list.addEventListener("change", markRows);
    list.addEventListener("dragstart", function (ev) {
      var tr = ev.target.closest && ev.target.closest("tr[data-uid]");
      if (!tr) { return; }
      var uids = selectedUIDs();
      if (uids.indexOf(tr.dataset.key) < 0) { uids = [tr.dataset.key]; }
      ev.dataTransfer.setData("application/x-webmail-uids", uids.join(","));
      ev.dataTransfer.effectAllowed = "move";
    });
    var form = document.getElementById("message-actions");
    if (form) {
      form.addEventListener("submit", function (ev) {
        if (selectedUIDs().length === 0) {
          ev.preventDefault();
          var s = document.getElementById("list-status");
          if (s) { s.textContent = "Select one or more messages first."; }
        }
      });
    }
  }

  function wireFolders() {
    var form = document.getElementById("message-actions");
    document.querySelectorAll("#folder-list a[data-mailbox]").forEach(function (a) {
      a.addEventListener("dragover", function (ev) {
        if (ev.dataTransfer.types.indexOf("application/x-webmail-uids") >= 0) {
          ev.preventDefault();
          a.classList.add("drop-target");
        }
      });
      a.addEventListener("dragleave", function () { a.classList.remove("drop-target"); });
      a.addEventListener("drop", function (ev) {
        ev.preventDefault();
        a.classList.remove("drop-target");
        var uids = ev.dataTransfer.getData("application/x-webmail-uids");
        if (!uids || !form) { return; }
        post("/webmail/messages", {
          mailbox: form.dataset.mailboxId, op: "move", dest: a.dataset.mailbox, uid: uids.split(",")
        }).then(function () { refresh(); });
      });
    });
  }

  // refresh reloads the folder list and the message list of the page in
  // place, keeping the selection.
  var refreshing = false, again = false;
  function refresh() {
    if (!document.getElementById("message-list") && !document.getElementById("folder-list")) { return; }
    if (refreshing) { again = true; return; }
    refreshing = true;
    var keep = selectedUIDs();
    // A message view refreshes only its folder list, from its folder's
    // page: the message itself may be gone (moved or deleted).
    var url = location.href;
    var view = document.getElementById("message-view");
    if (view && !document.getElementById("message-list")) { url = "/webmail/mailbox/" + view.dataset.mailboxId; }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["folder-list", "message-list"].forEach(function (id) {
          var now = document.getElementById(id), next = doc.getElementById(id);
          if (now && next) { now.replaceWith(document.importNode(next, true)); }
        });
        keep.forEach(function (uid) {
          var c = document.querySelector('#message-list tr[data-key="' + uid + '"] input[name="uid"]');
          if (c) { c.checked = true; }
        });
        wireList();
        wireFolders();
        markRows();
        var b = doc.body;
        if (b && b.dataset.unread !== undefined) { setTitle(parseInt(b.dataset.unread, 10) || 0); }
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  function live() {
    if (!csrf || !window.EventSource) { return; }
    var es = new EventSource("/webmail/events");
    // Whatever changed between this page's rendering and the stream's
    // (re)connection came with no event: refresh once on every open.
    es.addEventListener("open", function () { refresh(); });
    es.addEventListener("unread", function (ev) {
      var n = parseInt(ev.data, 10);
      if (!isNaN(n)) { setTitle(n); }
    });
    es.addEventListener("change", function () { refresh(); });
    es.addEventListener("reload", function () { refresh(); });
    es.addEventListener("logout", function () { es.close(); location.href = "/webmail/login"; });
  }

  // Keyboard: j / k (or arrow keys on a row) move between messages of
  // the list, x selects, Enter opens (the subject link has the focus).
  function keyboard() {
    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      var t = ev.target;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && t.type !== "checkbox")) { return; }
      var links = Array.prototype.slice.call(document.querySelectorAll("#message-list td.subject a"));
      if (links.length === 0) { return; }
      var row = t && t.closest ? t.closest("#message-list tr[data-uid]") : null;
      var i = row ? links.indexOf(row.querySelector("td.subject a")) : -1;
      var key = ev.key;
      if (key === "j" || (key === "ArrowDown" && row)) {
        links[Math.min(links.length - 1, i + 1)].focus();
        ev.preventDefault();
      } else if (key === "k" || (key === "ArrowUp" && row)) {
        links[Math.max(0, i - 1)].focus();
        ev.preventDefault();
      } else if (key === "x" && row) {
        var c = row.querySelector('input[name="uid"]');
        if (c) { c.checked = !c.checked; markRows(); }
        ev.preventDefault();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setTitle(parseInt(document.body.dataset.unread, 10) || 0);
    wireList();
    wireFolders();
    keyboard();
    live();
  });
})();
