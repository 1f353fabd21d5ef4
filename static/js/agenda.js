// The live agenda. htmx does the work (templates/agenda/): texts save themselves as they
// are typed, one save at a time per text (hx-sync); every change, poll or event answers
// with the list of items, which htmx morphs into the page. What no htmx attribute can say:
//
// 1. A text being typed (focused, with changes not saved yet, or in a conflict) keeps its
//    text and its version together through a morph: what came for it waits on the field
//    and is taken when the field is left, unless it was changed meanwhile (the next save
//    is then merged on the server with what came).
// 2. A save goes with the text as it is when it is sent, on the version the last answer
//    gave; an answer that brings the merged text is taken if nothing was typed since
//    ("basis=sent" tells the server when something was, so only that is merged in).
// 3. Without a connection the page says so, and saves what was typed when it is back.
// 4. Drag and drop to reorder, and the choice in a merge view.
(function () {
  "use strict";

  var FIELD = "textarea[data-field]";

  function isField(elt) {
    return elt instanceof HTMLTextAreaElement && elt.matches(FIELD);
  }

  function busy(field) {
    return field === document.activeElement || field.dataset.dirty === "1" ||
      field.dataset.conflict === "1";
  }

  // 1. Morphing ------------------------------------------------------------------------------

  htmx.registerExtension("agenda-guard", {
    htmx_before_morph_node: function (elt, detail) {
      var field = detail.oldNode;
      if (!isField(field) || !busy(field)) return true;
      field.dataset.incoming = detail.newNode.value;
      field.dataset.incomingVersion = detail.newNode.dataset.version;
      return false;
    },
  });

  document.addEventListener("focusout", function (event) {
    var field = event.target;
    if (!isField(field) || field.dataset.incomingVersion === undefined) return;
    if (field.dataset.dirty !== "1" && field.dataset.conflict !== "1") {
      field.value = field.dataset.incoming;
      field.dataset.version = field.dataset.incomingVersion;
    }
    delete field.dataset.incoming;
    delete field.dataset.incomingVersion;
  });

  document.addEventListener("input", function (event) {
    if (isField(event.target)) event.target.dataset.dirty = "1";
  });

  // 2. Saving --------------------------------------------------------------------------------

  document.addEventListener("htmx:before:request", function (event) {
    var field = event.target, body = event.detail.ctx.request.body;
    if (!isField(field)) return;
    if (field.dataset.conflict === "1") { event.preventDefault(); return; }
    field.sent = field.value;
    body.set("value", field.value);
    body.set("version", field.dataset.version);
    body.set("basis", field.dataset.basis || "");
    body.set("caret", field.selectionStart || 0);
  });

  document.addEventListener("htmx:after:request", function (event) {
    var ctx = event.detail.ctx, elt = event.target;
    connected(true);
    if (elt.matches && elt.matches("form.add-item") && ctx.response.status === 200) elt.reset();
    if (!isField(elt)) return;
    var status = ctx.response.status, version = ctx.response.headers.get("X-Text-Version");
    var retarget = ctx.response.headers.get("HX-Retarget") || "";
    if (status === 409 && !retarget.startsWith("#merge-")) return;
    if (status === 409) { elt.dataset.conflict = "1"; return; }
    if (!version) return;
    var unchanged = elt.value === elt.sent;
    elt.dataset.version = version;
    elt.dataset.basis = status === 200 && !unchanged ? "sent" : "";
    if (status === 200 && unchanged) {
      var caret = parseInt(ctx.response.headers.get("X-Caret"), 10);
      elt.value = ctx.text;
      if (elt === document.activeElement && !isNaN(caret)) elt.setSelectionRange(caret, caret);
    }
    elt.dataset.dirty = unchanged ? "" : "1";
  });

  // 3. The connection ------------------------------------------------------------------------

  function connected(online) {
    var notice = document.getElementById("connection");
    if (!notice || notice.hidden === online) return;
    notice.hidden = online;
    if (online) {
      document.querySelectorAll(FIELD).forEach(function (field) {
        if (field.dataset.dirty === "1") htmx.trigger(field, "resave");
      });
    }
  }

  document.addEventListener("htmx:error", function () { connected(false); });
  window.addEventListener("offline", function () { connected(false); });
  window.addEventListener("online", function () { connected(true); });

  // 4. Merge views and drag and drop ---------------------------------------------------------

  function resolve(merge, text, dirty) {
    var item = merge.dataset.mergeItem, name = merge.dataset.mergeField;
    var field = document.getElementById(name + "-" + item);
    field.value = text;
    field.dataset.version = merge.querySelector('input[name="version"]').value;
    field.dataset.basis = "";
    field.dataset.conflict = "";
    field.dataset.dirty = dirty ? "1" : "";
    merge.remove();
    if (dirty) htmx.trigger(field, "resave");
  }

  document.addEventListener("click", function (event) {
    var keep = event.target.closest('.merge-slot [data-merge="theirs"]');
    if (!keep) return;
    event.preventDefault();
    var merge = keep.closest(".merge");
    resolve(merge, merge.querySelector(".theirs").value, false);
  });

  document.addEventListener("submit", function (event) {
    var merge = event.target.closest(".merge-slot .merge");
    if (!merge) return;
    event.preventDefault();
    resolve(merge, merge.querySelector(".yours").value, true);
  });

  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    dragged = event.target.closest && event.target.closest("#agenda-items > li");
  });
  document.addEventListener("dragover", function (event) {
    var over = dragged && event.target.closest && event.target.closest("#agenda-items > li");
    if (!over) return;
    event.preventDefault();
    if (over !== dragged) {
      var box = over.getBoundingClientRect();
      over[event.clientY > box.top + box.height / 2 ? "after" : "before"](dragged);
    }
  });
  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    event.preventDefault();
    dragged = null;
    var form = document.getElementById("agenda-order");
    form.querySelectorAll('input[name="item"]').forEach(function (input) { input.remove(); });
    document.querySelectorAll("#agenda-items > li").forEach(function (li) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "item"; input.value = li.dataset.id;
      form.appendChild(input);
    });
    htmx.trigger(form, "submit");
  });
})();
