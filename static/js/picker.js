// The picker's themes (templates/preparation/prepare.html): which are open is remembered
// across reloads and swaps. The server renders the themes open that the cookie names
// (medsamtale/preparation/picker.py), so a swapped picker comes back as it was and htmx's
// autofocus finds its button. Everything else in the picker is htmx attributes.
(function () {
  "use strict";

  var COOKIE = "picker_open";

  function remembered() {
    var found = document.cookie.split("; ").filter(function (part) {
      return part.indexOf(COOKIE + "=") === 0;
    })[0];
    var value = found ? decodeURIComponent(found.slice(COOKIE.length + 1)) : "";
    return value.split(".").filter(function (id) { return /^\d+$/.test(id); });
  }

  function remember(ids) {
    var secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = COOKIE + "=" + ids.slice(-100).join(".") +
      "; path=/prepare; max-age=31536000; samesite=lax" + secure;
  }

  function set(id, open) {
    var ids = remembered().filter(function (other) { return other !== id; });
    if (open) ids.push(id);
    remember(ids);
  }

  // A person opens or closes a theme (a click, or Enter or Space on its summary): only
  // what they do is remembered, not the themes a filter opened.
  document.addEventListener("click", function (event) {
    var summary = event.target.closest("details.theme > summary");
    if (summary) {
      var theme = summary.parentElement;
      set(theme.dataset.themeId, !theme.open);
      return;
    }
    var all = event.target.closest("[data-themes]");
    if (!all) return;
    var open = all.dataset.themes === "open";
    var ids = remembered();
    document.querySelectorAll("details.theme").forEach(function (theme) {
      theme.open = open;
      ids = ids.filter(function (id) { return id !== theme.dataset.themeId; });
      if (open) ids.push(theme.dataset.themeId);
    });
    remember(ids);
  });

  document.documentElement.classList.add("picker-js");
})();
