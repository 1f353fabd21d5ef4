// Every htmx request carries the page's CSRF token, as forms do in a hidden field.
document.addEventListener("htmx:config:request", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.ctx.request.headers["X-CSRFToken"] = meta.content;
  }
});

// A button that prints the page (the minutes' print view).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
