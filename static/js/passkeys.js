/* Passkeys (WebAuthn): a button with data-passkey="create" makes one, "get" signs in with one.
   The button asks the server for the options (data-options), hands them to the browser, and
   posts the browser's answer (data-verify); the server answers {redirect} or {error}. Buttons
   stay hidden where the browser has no passkeys. No inline script: the page's CSP. */
(function () {
  "use strict";

  function supported() {
    return window.PublicKeyCredential &&
      typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
      typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: new URLSearchParams(data || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok || answer.error) {
          throw new Error(answer.error || response.statusText);
        }
        return answer;
      });
    });
  }

  function say(button, message) {
    var region = document.getElementById(button.dataset.error);
    if (region) { region.textContent = message; }
  }

  function run(button) {
    var create = button.dataset.passkey === "create";
    say(button, "");
    button.disabled = true;
    post(button.dataset.options).then(function (options) {
      if (create) {
        return navigator.credentials.create({
          publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)
        });
      }
      return navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)
      });
    }).then(function (credential) {
      var data = { credential: JSON.stringify(credential.toJSON()) };
      var name = button.dataset.nameField && document.getElementById(button.dataset.nameField);
      if (name) { data.name = name.value; }
      if (button.dataset.next) { data.next = button.dataset.next; }
      return post(button.dataset.verify, data);
    }).then(function (answer) {
      window.location.assign(answer.redirect);
    }).catch(function (error) {
      var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
      say(button, cancelled ? button.dataset.cancelled : error.message);
      button.disabled = false;
    });
  }

  function start() {
    if (!supported()) { return; }
    document.querySelectorAll("[data-passkey-box]").forEach(function (box) {
      box.hidden = false;
    });
    document.querySelectorAll("button[data-passkey]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { run(button); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
