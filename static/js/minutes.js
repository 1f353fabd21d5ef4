// The minutes' editor: a small toolbar over each text that writes the Markdown for bold,
// italic and bulleted lists around the selection, so nobody types marks or tags. The text
// stays plain text in its textarea; an `input` event lets htmx save it as typing does.
// Without JavaScript the toolbar stays hidden and the marks can be typed (see the help).
(function () {
  document.documentElement.classList.add("format-ready");

  var WRAP = { bold: "**", italic: "*" };

  function wrap(field, mark) {
    var start = field.selectionStart, end = field.selectionEnd, value = field.value;
    var chosen = value.slice(start, end);
    var before = value.slice(0, start), after = value.slice(end);
    if (before.endsWith(mark) && after.startsWith(mark)) {  // already marked: unmark
      field.setRangeText(chosen, start - mark.length, end + mark.length, "select");
      return;
    }
    var trimmed = chosen.replace(/\s+$/, "");  // "**word **" would not be bold
    field.setRangeText(mark + trimmed + mark, start, start + trimmed.length, "end");
    if (!trimmed) {
      field.setSelectionRange(start + mark.length, start + mark.length);
    } else {
      field.setSelectionRange(start + mark.length, start + mark.length + trimmed.length);
    }
  }

  function list(field) {
    var value = field.value;
    var start = value.lastIndexOf("\n", field.selectionStart - 1) + 1;
    var end = value.indexOf("\n", Math.max(field.selectionEnd - 1, field.selectionStart));
    if (end === -1) end = value.length;
    var lines = value.slice(start, end).split("\n");
    var listed = lines.every(function (line) { return /^- /.test(line); });
    var changed = lines.map(function (line) {
      return listed ? line.replace(/^- /, "") : "- " + line;
    }).join("\n");
    // A list may follow a line of text directly: Markdown starts the list there.
    field.setRangeText(changed, start, end, "end");
  }

  function format(field, how) {
    if (how === "list") list(field); else wrap(field, WRAP[how]);
    field.focus();
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".format-bar [data-format]");
    if (!button) return;
    var bar = button.closest("[data-format-for]");
    var field = document.getElementById(bar.getAttribute("data-format-for"));
    if (field) format(field, button.getAttribute("data-format"));
  });

  // Ctrl+B and Ctrl+I (Cmd on a Mac) in a text that has a toolbar.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!(event.ctrlKey || event.metaKey) || !field.matches || !field.matches("textarea")) return;
    if (!document.querySelector('[data-format-for="' + field.id + '"]')) return;
    var how = { b: "bold", i: "italic" }[event.key.toLowerCase()];
    if (!how) return;
    event.preventDefault();
    format(field, how);
  });
})();
