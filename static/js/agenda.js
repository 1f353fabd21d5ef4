// The live agenda. htmx does the work (templates/agenda/): texts save themselves as they
// are typed, one save at a time per text (hx-sync); every change, poll or event answers
// with the list of items, which htmx morphs into the page. What no htmx attribute can say:
//
// 1. A text being typed (changed and not saved yet, being saved, or in a conflict) keeps
//    its text and its version together through a morph: what came for it waits on the
//    field and is taken once the field's own save is answered, if it is still newer (else
//    the save was merged on the server with it). A field that only has the cursor takes
//    what came at once, and its caret stays where it was in the text.
// 2. A save goes only when something was typed, with the text as it is when it is sent, on
//    the version the last answer gave; an answer that brings the merged text is taken if
//    nothing was typed since ("basis=sent" tells the server when something was, so only
//    that is merged in).
// 3. Without a connection the page says so, and saves what was typed when it is back.
// 4. Drag and drop to reorder, and the choice in a merge view.
// 5. Focus: after a change the control used keeps the focus, or the next sensible one gets
//    it (an added item's text, the item after a removed one); the other party's changes are
//    said in words in #agenda-news. A second click of a double click does nothing.
(function () {
  "use strict";

  var FIELD = "textarea[data-field]";

  function isField(elt) {
    return elt instanceof HTMLTextAreaElement && elt.matches(FIELD);
  }

  function busy(field) {
    return field.dataset.dirty === "1" || field.dataset.conflict === "1" || field.saving ||
      field.composing;
  }

  // Put `text` in the field; a field with the cursor keeps its caret (and selection) where
  // it was in the text around the change.
  function replaceText(field, text) {
    var old = field.value;
    if (old === text) return;
    if (field !== document.activeElement) { field.value = text; return; }
    var start = field.selectionStart, end = field.selectionEnd;
    var direction = field.selectionDirection, scroll = field.scrollTop;
    var head = 0, tail = 0;
    while (head < old.length && head < text.length && old[head] === text[head]) head++;
    while (tail < old.length - head && tail < text.length - head &&
           old[old.length - 1 - tail] === text[text.length - 1 - tail]) tail++;
    var place = function (at) {
      if (at <= head) return at;
      if (at >= old.length - tail) return at + text.length - old.length;
      return text.length - tail;
    };
    field.value = text;
    field.setSelectionRange(place(start), place(end), direction);
    field.scrollTop = scroll;
  }

  // What came for a busy field, taken once it is no longer busy, if it is newer.
  function settle(field) {
    if (busy(field) || field.dataset.incomingVersion === undefined) return;
    if (+field.dataset.incomingVersion > +field.dataset.version) {
      replaceText(field, field.dataset.incoming);
      field.known = field.dataset.incoming;
      field.dataset.version = field.dataset.incomingVersion;
    }
    delete field.dataset.incoming;
    delete field.dataset.incomingVersion;
  }

  // 1. Morphing ------------------------------------------------------------------------------

  htmx.registerExtension("agenda-guard", {
    htmx_before_morph_node: function (elt, detail) {
      var field = detail.oldNode, incoming = detail.newNode;
      if (!isField(field)) return true;
      if (busy(field)) {
        if (!(+incoming.dataset.version <= +(field.dataset.incomingVersion || 0))) {
          field.dataset.incoming = incoming.value;
          field.dataset.incomingVersion = incoming.dataset.version;
        }
        return false;
      }
      // htmx leaves the value of a focused field alone: the text comes in, the caret stays.
      if (+incoming.dataset.version >= +field.dataset.version) {
        replaceText(field, incoming.value);
        field.known = incoming.value;
      }
      delete field.dataset.incoming;
      delete field.dataset.incomingVersion;
      return true;
    },
  });

  // Changed: it differs from the text of its version as this page knows it (typing a
  // letter and taking it back again changes nothing).
  function known(field) {
    return field.known === undefined ? field.defaultValue : field.known;
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!isField(field)) return;
    var changed = field.value !== known(field);
    field.dataset.dirty = changed ? "1" : "";
    if (!changed) field.dataset.basis = "";
    settle(field);
  });
  document.addEventListener("compositionstart", function (event) {
    if (isField(event.target)) event.target.composing = true;
  });
  document.addEventListener("compositionend", function (event) {
    if (!isField(event.target)) return;
    event.target.composing = false;
    settle(event.target);
  });

  // 2. Saving --------------------------------------------------------------------------------

  document.addEventListener("htmx:before:request", function (event) {
    var field = event.target, body = event.detail.ctx.request.body;
    if (!isField(field)) { ownRequest(event); return; }
    // Leaving a field, or a resave, with nothing typed since its last save: nothing to send.
    if (field.dataset.conflict === "1" || field.dataset.dirty !== "1") {
      event.preventDefault();
      return;
    }
    field.saving = event.detail.ctx.saving = true;
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
    if (status === 409 && retarget.startsWith("#merge-")) elt.dataset.conflict = "1";
    if (status === 409 || !version) return;
    var unchanged = elt.value === elt.sent;
    elt.dataset.version = version;
    elt.dataset.basis = status === 200 && !unchanged ? "sent" : "";
    elt.known = status === 200 ? ctx.text : elt.sent;
    if (status === 200 && unchanged) {
      var caret = parseInt(ctx.response.headers.get("X-Caret"), 10);
      elt.value = ctx.text;
      if (elt === document.activeElement && !isNaN(caret)) elt.setSelectionRange(caret, caret);
    }
    elt.dataset.dirty = unchanged ? "" : "1";
  });

  // Whatever became of it (answered, refused, no connection), the save is no longer on its
  // way; what came for the field meanwhile is taken if it is still newer.
  document.addEventListener("htmx:finally:request", function (event) {
    var elt = event.target, ctx = event.detail.ctx;
    if (ctx.ownCounted) { ctx.ownCounted = false; own = Math.max(0, own - 1); elt.pending = false; }
    if (!isField(elt) || !ctx.saving) return;
    elt.saving = false;
    settle(elt);
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
    field.known = merge.querySelector(".theirs").value;
    field.dataset.version = merge.querySelector('input[name="version"]').value;
    field.dataset.basis = "";
    field.dataset.conflict = "";
    field.dataset.dirty = dirty ? "1" : "";
    merge.remove();
    field.focus();
    if (dirty) htmx.trigger(field, "resave"); else settle(field);
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

  // 5. Focus, words for the other party's changes, double clicks ------------------------------

  // The second click of a double click on an agenda button does nothing (the first one
  // does it); so does a click while that button's change is still on its way.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(
      "#agenda button[type=submit], [data-once]");
    if (!button) return;
    var form = button.form;
    if (event.detail > 1 || (form && form.pending)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // A plain form that leaves the page (ending the meeting) is sent once.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-once]")) return;
    if (form.sent) event.preventDefault();
    form.sent = true;
  });
  window.addEventListener("pageshow", function () {  // back again: it may be sent again
    document.querySelectorAll("form[data-once]").forEach(function (form) { form.sent = false; });
  });

  // The page's own changes of the items on their way: a poll's answer meanwhile may
  // already hold them, and they are not the other party's.
  var own = 0;
  function ownRequest(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id === "agenda-sync") return;
    own += 1;
    form.pending = event.detail.ctx.ownCounted = true;
    // The items as they were when the item was sent: a poll may bring it before the answer.
    if (form.matches("form.add-item")) {
      form.itemsBefore = (itemsNow() || []).map(function (i) { return i.id; });
    }
  }

  function itemsNow() {
    var list = document.getElementById("agenda-items");
    if (!list) return null;
    return Array.prototype.map.call(list.children, function (li) {
      var fields = {};
      li.querySelectorAll(FIELD).forEach(function (field) {
        fields[field.dataset.field] = +(field.dataset.incomingVersion || field.dataset.version);
      });
      return { id: li.dataset.id, discussed: li.classList.contains("discussed"),
               fields: fields };
    });
  }

  var before = null;
  document.addEventListener("htmx:before:swap", function (event) {
    var source = event.detail.ctx.sourceElement, active = document.activeElement;
    var list = document.getElementById("agenda-items");
    before = {
      source: source, items: itemsNow(),
      fromPoll: !!(source && source.id === "agenda-sync"),
      item: source && source.closest && source.closest("#agenda-items > li"),
      action: source && source.querySelector && source.querySelector("[data-action]"),
      active: active,
      inside: !!(list && active && list.contains(active)),
      index: -1,
    };
    if (before.inside) {
      var li = active.closest("#agenda-items > li");
      before.index = Array.prototype.indexOf.call(list.children, li);
      before.activeItem = li.dataset.id;
      if (isField(active)) {
        before.selection = [active.selectionStart, active.selectionEnd, active.selectionDirection];
      }
    }
  });

  document.addEventListener("htmx:after:swap", function () {
    var was = before;
    before = null;
    if (!was || !was.items) return;
    var now = itemsNow();
    if (!now) return;
    keepFocus(was, now);
    if (was.fromPoll && own === 0) announce(was.items, now);
  });

  function itemElement(id) { return document.getElementById("item-" + id); }

  function focusItem(index, now) {
    var target = now[Math.min(index, now.length - 1)];
    var elt = target ? itemElement(target.id) : document.getElementById("new-item");
    if (elt) elt.focus();
  }

  function keepFocus(was, now) {
    var ids = was.items.map(function (i) { return i.id; });
    // The page's own change: an added item's text gets the focus; after a removal, the
    // item that took its place; after a move or a mark, the button used.
    if (was.source && was.source.matches && was.source.matches("form.add-item")) {
      var sentWith = was.source.itemsBefore || ids;
      var mine = now.filter(function (i) { return sentWith.indexOf(i.id) < 0; });
      var text = mine.length && document.getElementById("text-" + mine[mine.length - 1].id);
      if (text) { text.focus(); return; }
    }
    if (was.item && was.action) {
      var still = itemElement(was.item.dataset.id);
      if (!still) { focusItem(ids.indexOf(was.item.dataset.id), now); return; }
      var button = still.querySelector('[data-action="' + was.action.dataset.action + '"]');
      if (button && document.activeElement !== button) button.focus();
      return;
    }
    // Anyone's change: a focused element that the morph moved gets the focus back, with its
    // caret; one that was removed leaves it on the item that took its place.
    if (!was.inside || document.activeElement === was.active) return;
    if (was.active.isConnected) {
      was.active.focus();
      if (was.selection) was.active.setSelectionRange.apply(was.active, was.selection);
    } else if (!itemElement(was.activeItem)) {
      focusItem(was.index, now);
    }
  }

  var lastSaid = { text: "", at: 0 };
  function announce(then, now) {
    var news = document.getElementById("agenda-news");
    if (!news) return;
    var said = [], place = {}, old = {};
    now.forEach(function (item, index) { place[item.id] = index + 1; });
    then.forEach(function (item, index) { old[item.id] = { item: item, number: index + 1 }; });
    var say = function (kind, number) {
      said.push(news.dataset[kind].replace("{number}", number));
    };
    now.forEach(function (item) {
      var was = old[item.id];
      if (!was) { say("added", place[item.id]); return; }
      if (item.discussed !== was.item.discussed) {
        say(item.discussed ? "discussed" : "undiscussed", place[item.id]);
      }
      Object.keys(item.fields).forEach(function (name) {
        if (item.fields[name] > (was.item.fields[name] || 0)) {
          say(name === "text" ? "text" : "note", place[item.id]);
        }
      });
    });
    then.forEach(function (item) {
      if (place[item.id] === undefined) say("removed", old[item.id].number);
    });
    var kept = now.filter(function (i) { return old[i.id]; }).map(function (i) { return i.id; });
    var keptBefore = then.filter(function (i) { return place[i.id]; }).map(function (i) { return i.id; });
    if (kept.join() !== keptBefore.join()) said.push(news.dataset.moved);
    if (!said.length) return;
    var text = said.join(". ") + ".";
    var moment = Date.now();
    if (text === lastSaid.text && moment - lastSaid.at < 10000) return;  // typing on
    lastSaid = { text: text, at: moment };
    news.textContent = text;
  }
})();
