// When htmx did not come from the CDN (a closed network, the CDN down), load the vendored
// copy in its place, before the scripts after this one run. Its address is this tag's
// data-fallback; a file of its own, because the Content-Security-Policy allows no inline script.
if (!window.htmx) {
  document.write('<script src="' + document.currentScript.dataset.fallback + '"><\/script>');
}
