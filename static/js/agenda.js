// The live agenda. The page works with plain forms; this makes it live:
// - texts are saved as you type (debounced), each save naming the text version it was typed
//   on; a save on an older version comes back 409 with both texts to choose from;
// - the agenda version is kept, and changes made elsewhere are fetched as item fragments,
//   on a "changed" event (PostgreSQL, server-sent events) or by polling (304 = nothing new);
// - an incoming change never replaces a text the person is typing or has not saved.
(function () {
  "use strict";
  var root = document.getElementById("agenda");
  if (!root || !root.dataset.live) return;
  var list = document.getElementById("agenda-items");
  var errorBox = document.getElementById("agenda-error");
  var version = parseInt(root.dataset.version, 10);
  var SAVE_DELAY = parseInt(root.dataset.autosaveDelay, 10);
  var POLL_MS = 500;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  root.classList.add("live");  // texts save themselves; the Save buttons are for no-JS

  function headers(extra) {
    var h = { "X-CSRFToken": csrf, "HX-Request": "true" };
    for (var key in extra || {}) h[key] = extra[key];
    return h;
  }

  function showError(html) { errorBox.innerHTML = html || ""; }

  function takeVersion(response) {
    var v = parseInt(response.headers.get("X-Agenda-Version"), 10);
    if (!isNaN(v) && v > version) version = v;
  }

  // Merging changed items -------------------------------------------------------------------

  function isBusy(field) {
    return field === document.activeElement || field.dataset.dirty === "1" ||
      field.dataset.conflict === "1";
  }

  function mergeItem(incoming) {
    var id = incoming.id;
    var current = document.getElementById(id);
    if (incoming.dataset.removed) {
      if (current) current.remove();
      return;
    }
    if (!current) {
      list.appendChild(incoming);
      return;
    }
    var busy = Array.prototype.some.call(current.querySelectorAll("[data-field]"), isBusy);
    if (!busy) {
      current.replaceWith(incoming);
      return;
    }
    // Someone is typing here: patch the item in place (moving the field would take its
    // focus), keeping what is being typed and taking everything else from the server.
    current.className = incoming.className;
    current.dataset.position = incoming.dataset.position;
    current.dataset.changed = incoming.dataset.changed;
    var head = current.querySelector(".item-head");
    var freshHead = incoming.querySelector(".item-head");
    if (head && freshHead) head.replaceWith(freshHead);
    current.querySelectorAll("[data-field]").forEach(function (field) {
      var fresh = incoming.querySelector('[data-field="' + field.dataset.field + '"]');
      if (fresh && !isBusy(field)) {
        field.value = fresh.value;
        field.dataset.version = fresh.dataset.version;
        field.closest("form").querySelector('input[name="version"]').value =
          fresh.dataset.version;
      }
    });
  }

  function mergeChanges(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    template.content.querySelectorAll("li.agenda-item").forEach(mergeItem);
    var items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) { return a.dataset.position - b.dataset.position; });
    // Order the items around the one being typed in, which must not move (or lose focus).
    var fixed = items.filter(function (item) { return item.contains(document.activeElement); })[0];
    var at = fixed ? items.indexOf(fixed) : items.length;
    items.slice(0, at).forEach(function (item) {
      if (fixed) fixed.before(item); else list.appendChild(item);
    });
    items.slice(at + 1).reverse().forEach(function (item) { fixed.after(item); });
  }

  function fetchChanges() {
    return fetch(root.dataset.pollUrl + "?since=" + version, {
      cache: "no-store",
      headers: headers({ "If-None-Match": '"' + version + '"' }),
    }).then(function (response) {
      if (response.status === 304) return;
      if (!response.ok) throw new Error(response.status);
      takeVersion(response);
      return response.text().then(mergeChanges);
    });
  }

  // Saving texts ----------------------------------------------------------------------------

  function save(field) {
    if (field.dataset.conflict === "1") return;
    if (field._saving) { field._again = true; return; }
    var form = field.closest("form");
    var sent = field.value;
    var body = new URLSearchParams({
      field: field.dataset.field, value: sent, version: field.dataset.version,
    });
    field._saving = true;
    status(form, "");
    fetch(form.action, { method: "POST", headers: headers(), body: body })
      .then(function (response) {
        if (response.status === 204) {
          field.dataset.version = response.headers.get("X-Text-Version");
          form.querySelector('input[name="version"]').value = field.dataset.version;
          if (field.value === sent) field.dataset.dirty = "";
          status(form, "✓");
          return;
        }
        return response.text().then(function (html) {
          // A conflict brings both texts; any other refusal comes for the alert region.
          if (response.status === 409 && !response.headers.get("HX-Retarget")) {
            showMerge(field, html);
          } else {
            showError(html);
          }
        });
      })
      .catch(function () { status(form, "…"); field._again = true; })
      .finally(function () {
        field._saving = false;
        if (field._again || field.dataset.dirty === "1" && field.value !== sent) {
          field._again = false;
          schedule(field);
        }
      });
  }

  function status(form, text) {
    var span = form.querySelector(".status");
    if (span) span.textContent = text;
  }

  function schedule(field) {
    clearTimeout(field._timer);
    field._timer = setTimeout(function () { save(field); }, SAVE_DELAY);
  }

  function showMerge(field, html) {
    field.dataset.conflict = "1";
    var form = field.closest("form");
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var merge = holder.firstElementChild;
    placeMerge(form, merge);
    merge.querySelector('[data-merge="theirs"]').addEventListener("click", function (event) {
      event.preventDefault();
      field.value = merge.querySelector(".theirs").value;
      resolve(field, merge);
      field.dataset.dirty = "";
    });
    merge.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      field.value = merge.querySelector(".yours").value;
      resolve(field, merge);
      field.dataset.dirty = "1";
      save(field);
    });
  }

  function placeMerge(form, merge) {
    var parent = form.parentElement;
    (parent.classList.contains("columns") ? parent : form).after(merge);
  }

  function resolve(field, merge) {
    field.dataset.version = merge.querySelector('input[name="version"]').value;
    field.closest("form").querySelector('input[name="version"]').value = field.dataset.version;
    field.dataset.conflict = "";
    merge.remove();
  }

  root.addEventListener("input", function (event) {
    var field = event.target.closest("[data-field]");
    if (!field) return;
    field.dataset.dirty = "1";
    schedule(field);
  });

  root.addEventListener("focusout", function (event) {
    var field = event.target.closest("[data-field]");
    if (field && field.dataset.dirty === "1") { clearTimeout(field._timer); save(field); }
  });

  // Other changes: add, remove, move, discussed ---------------------------------------------

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.closest(".merge")) return;
    event.preventDefault();
    var field = form.querySelector("[data-field]");
    if (field) { field.dataset.dirty = "1"; save(field); return; }
    var body = new URLSearchParams(new FormData(form));
    body.set("since", version);
    send(form.action, body).then(function () {
      if (form.classList.contains("add-item")) form.reset();
    });
  });

  function send(url, body) {
    return fetch(url, { method: "POST", headers: headers(), body: body })
      .then(function (response) {
        takeVersion(response);
        return response.text().then(function (html) {
          if (response.ok) { showError(""); mergeChanges(html); }
          else showError(html);
        });
      });
  }

  // Drag and drop to reorder ----------------------------------------------------------------

  var dragged = null;
  list.addEventListener("dragstart", function (event) {
    dragged = event.target.closest("li.agenda-item");
    event.dataTransfer.effectAllowed = "move";
  });
  list.addEventListener("dragover", function (event) {
    if (!dragged) return;
    event.preventDefault();
    var over = event.target.closest("li.agenda-item");
    if (over && over !== dragged) {
      var box = over.getBoundingClientRect();
      over[event.clientY > box.top + box.height / 2 ? "after" : "before"](dragged);
    }
  });
  list.addEventListener("drop", function (event) {
    if (!dragged) return;
    event.preventDefault();
    dragged = null;
    var body = new URLSearchParams();
    body.set("csrf_token", csrf);
    body.set("since", version);
    list.querySelectorAll("li.agenda-item").forEach(function (item) {
      body.append("item", item.dataset.id);
    });
    send(root.dataset.orderUrl, body);
  });

  // Live: server-sent events where the server has them, polling otherwise -------------------

  var fetching = false;
  function refresh() {
    if (fetching) return;
    fetching = true;
    fetchChanges().catch(function () {}).finally(function () { fetching = false; });
  }

  var pushed = false;
  if (root.dataset.eventsUrl && window.EventSource) {
    var source = new EventSource(root.dataset.eventsUrl);
    source.addEventListener("changed", function (event) {
      pushed = true;
      if (parseInt(event.data, 10) > version) refresh();
    });
    source.addEventListener("error", function () {
      // EventSource reconnects by itself; poll meanwhile, so nothing is missed.
      pushed = false;
    });
  }
  (function poll() {
    if (!pushed) refresh();
    setTimeout(poll, pushed ? POLL_MS * 10 : POLL_MS);
  })();

  // Presence and elapsed time -----------------------------------------------------------------

  function heartbeat() {
    fetch(root.dataset.presenceUrl, { method: "POST", headers: headers() })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html) document.getElementById("presence").outerHTML = html;
      })
      .catch(function () {});
  }
  heartbeat();
  setInterval(heartbeat, 5000);

  var elapsed = document.getElementById("elapsed");
  if (elapsed) {
    var started = Date.parse(elapsed.dataset.startedAt);
    var planned = parseInt(elapsed.dataset.duration, 10);
    var template = elapsed.textContent;
    var shown = parseInt(template, 10);
    setInterval(function () {
      var minutes = Math.floor((Date.now() - started) / 60000);
      if (minutes !== shown) {
        elapsed.textContent = template.replace(String(shown), String(minutes));
        elapsed.classList.toggle("over", minutes > planned);
      }
    }, 15000);
  }
})();
