// Small progressive enhancements. Every page works without this file; it only makes things smoother.
(function () {
  "use strict";

  // Menus are <details>: close them on a click outside or on Escape, and keep only one open.
  function openMenus() {
    return document.querySelectorAll("details[data-menu][open]");
  }

  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    openMenus().forEach(function (menu) {
      menu.removeAttribute("open");
      if (menu.contains(document.activeElement)) menu.querySelector("summary").focus();
    });
  });

  document.addEventListener(
    "toggle",
    function (event) {
      var opened = event.target;
      if (!opened.matches || !opened.matches("details[data-menu]") || !opened.open) return;
      openMenus().forEach(function (menu) {
        if (menu !== opened) menu.removeAttribute("open");
      });
    },
    true
  );

  // <form data-confirm="Question?">: ask before destructive posts. Capture phase, so it runs before htmx.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var question = form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // Copy buttons: <button data-copy="input-id" hidden>; shown only where JS can copy.
  function copyFrom(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    input.focus();
    input.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function enhanceCopyButtons(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) {
      if (button.dataset.copyReady) return;
      button.dataset.copyReady = "true";
      button.hidden = false;
      button.addEventListener("click", function () {
        var input = document.getElementById(button.getAttribute("data-copy"));
        var label = button.querySelector("[data-copy-label]") || button;
        copyFrom(input).then(
          function () {
            label.textContent = "Copied";
            window.setTimeout(function () {
              label.textContent = "Copy";
            }, 2000);
          },
          function () {
            input.focus();
            input.select();
            label.textContent = "Press Ctrl+C";
          }
        );
      });
    });
    root.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      if (input.dataset.selectReady) return;
      input.dataset.selectReady = "true";
      input.addEventListener("focus", function () {
        input.select();
      });
    });
  }

  // Flash messages get a close button.
  function enhanceMessages(root) {
    root.querySelectorAll(".message").forEach(function (message) {
      if (message.querySelector(".message__close")) return;
      var close = document.createElement("button");
      close.type = "button";
      close.className = "message__close";
      close.setAttribute("aria-label", "Dismiss message");
      close.textContent = "×";
      close.addEventListener("click", function () {
        message.remove();
      });
      message.appendChild(close);
    });
  }

  // A message in the toasts live region (base.html), for answers that did not swap anything in.
  function showToast(text, level) {
    var region = document.getElementById("toasts");
    if (!region) return;
    var message = document.createElement("div");
    message.className = "message message--" + level;
    if (level === "error") message.setAttribute("role", "alert");
    var paragraph = document.createElement("p");
    paragraph.textContent = text;
    message.appendChild(paragraph);
    region.replaceChildren(message);
    enhanceMessages(region);
  }

  function enhance(root) {
    enhanceCopyButtons(root);
    enhanceMessages(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });

  // With DEBUG on, django-htmx's helper script shows every 400 answer as a full error page. Our 400 answers
  // to htmx are partials (a row with its form errors) and must be swapped in like any other answer, so stop
  // that helper for them. This file loads before {% htmx_script %}, so this listener runs first.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 400 && !/^\s*<(!doctype|html)/i.test(xhr.responseText)) {
      event.stopImmediatePropagation();
    }
  });

  // htmx: enhance swapped content, and say so when a request fails instead of doing nothing.
  document.addEventListener("htmx:afterSettle", function () {
    enhance(document);
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text =
      status === 403
        ? "Your role does not allow this change."
        : status === 404
          ? "That item no longer exists. Reload the page to see the latest."
          : "Something went wrong (" + status + "). Please try again.";
    showToast(text, "error");
  });

  document.addEventListener("htmx:sendError", function () {
    showToast("Could not reach the server. Check your connection and try again.", "error");
  });
})();
