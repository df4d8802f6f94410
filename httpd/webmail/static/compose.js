// Compose page: saves the draft by itself (a few seconds after a change,
// at once when files are attached), keeps the page's URL on the draft so
// that a reload shows it, and never lets a save and the send overlap.
// Without the script the page works as a plain form (Save draft, Send).
"use strict";
(function () {
  var form = document.getElementById("compose-form");
  if (!form) { return; }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : "";
  var status = document.getElementById("compose-status");
  var attachInput = document.getElementById("compose-attach");
  var list = document.getElementById("compose-attachments");
  var saving = false, again = false, dirty = false, sending = false, timer = null;

  function say(text) { if (status) { status.textContent = text; } }

  function schedule(ms) {
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, ms);
  }

  function rebuild(atts) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    atts.forEach(function (a) {
      var li = document.createElement("li");
      var box = document.createElement("input");
      box.type = "checkbox"; box.name = "keep"; box.value = String(a.index);
      box.id = "keep-" + a.index; box.checked = true;
      var label = document.createElement("label");
      label.htmlFor = box.id;
      label.textContent = a.name + " ";
      var size = document.createElement("span");
      size.className = "size"; size.textContent = "(" + a.size + ")";
      label.appendChild(size);
      li.appendChild(box); li.appendChild(document.createTextNode(" ")); li.appendChild(label);
      list.appendChild(li);
    });
  }

  function save() {
    timer = null;
    if (sending) { return Promise.resolve(); }
    if (saving) { again = true; return Promise.resolve(); }
    saving = true; dirty = false;
    say("Saving draft…");
    var data = new FormData(form);
    return fetch("/webmail/compose/save", {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" }
    }).then(function (resp) {
      return resp.text().then(function (t) {
        var j;
        try { j = JSON.parse(t); } catch (e) { j = { error: t.trim() || resp.statusText }; }
        if (resp.status === 413 && !j.draft) {
          j.error = "The attachments are too large to save: " + (j.error || "413");
        }
        return { ok: resp.ok, j: j };
      });
    }).then(function (r) {
      if (!r.ok) { say(r.j.error || "The draft could not be saved."); return; }
      form.elements.draft.value = String(r.j.draft);
      form.elements.fwd_mailbox.value = ""; form.elements.fwd_uid.value = "";
      if (attachInput) { attachInput.value = ""; }
      rebuild(r.j.attachments || []);
      history.replaceState(null, "", "/webmail/compose?draft=" + r.j.draft);
      var now = new Date();
      say("Draft saved at " + now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + ".");
    }).catch(function () {
      say("The draft could not be saved (no connection?).");
      dirty = true;
    }).then(function () {
      saving = false;
      if (again) { again = false; return save(); }
    });
  }

  form.addEventListener("input", function (ev) {
    if (ev.target === attachInput) { return; }
    schedule(3000);
  });
  form.addEventListener("change", function (ev) {
    if (ev.target === attachInput) { schedule(0); } else { schedule(3000); }
  });
  var saveButton = document.getElementById("compose-save");
  if (saveButton) {
    saveButton.addEventListener("click", function (ev) {
      ev.preventDefault();
      if (timer) { clearTimeout(timer); timer = null; }
      save();
    });
  }
  form.addEventListener("submit", function (ev) {
    if (ev.submitter && ev.submitter.id === "compose-save") { return; }
    if (timer) { clearTimeout(timer); timer = null; }
    if (saving) {
      // Send after the save: the form then names the draft that the
      // send removes.
      ev.preventDefault();
      var wait = setInterval(function () {
        if (!saving) { clearInterval(wait); sending = true; form.submit(); }
      }, 50);
      return;
    }
    sending = true;
  });
  // No beforeunload prompt: the draft is saved within seconds, and a
  // prompt would stand in the way of every navigation.
})();
