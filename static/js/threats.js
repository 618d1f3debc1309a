// The Threats and Controls pages: keyboard saving, "select all" and the bulk bars. Every page works without it.
(function () {
  "use strict";

  // Ctrl+Enter (Cmd+Enter on a Mac) saves a form marked data-submit-shortcut, with its default button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    var form = event.target.closest && event.target.closest("form[data-submit-shortcut]");
    if (!form) return;
    event.preventDefault();
    var button = form.querySelector("[data-default-submit]") || form.querySelector("button[type=submit]");
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(button || undefined);
    } else if (button) {
      button.click();
    }
  });

  function boxes(name) {
    return Array.prototype.slice.call(
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]')
    );
  }

  // <input type=checkbox data-select-all="name">: ticks or unticks every checkbox of that name. Hidden until
  // this script runs, as it does nothing without it.
  function refresh(name) {
    var all = boxes(name);
    var ticked = all.filter(function (box) {
      return box.checked;
    }).length;
    document.querySelectorAll('[data-select-all="' + name + '"]').forEach(function (toggle) {
      toggle.checked = all.length > 0 && ticked === all.length;
      toggle.indeterminate = ticked > 0 && ticked < all.length;
    });
    document.querySelectorAll('[data-selected-count="' + name + '"]').forEach(function (counter) {
      counter.textContent = ticked + " of " + all.length + " selected";
    });
    // The bulk bar of a list says how many of its rows are ticked (partials/bulk_bar.html); with none ticked,
    // what the page first said there (each bar says what ticking is for).
    document.querySelectorAll('[data-bulk-summary="' + name + '"]').forEach(function (summary) {
      var noun = summary.getAttribute("data-noun") || "row";
      if (!summary.hasAttribute("data-untouched")) summary.setAttribute("data-untouched", summary.textContent);
      summary.textContent = ticked
        ? ticked + " " + noun + (ticked === 1 ? "" : "s") + " ticked"
        : summary.getAttribute("data-untouched");
    });
  }

  function enhance(root) {
    root.querySelectorAll("[data-select-all]").forEach(function (toggle) {
      var wrapper = toggle.closest("label[hidden]");
      toggle.hidden = false;
      if (wrapper) wrapper.hidden = false;
      refresh(toggle.getAttribute("data-select-all"));
    });
    root.querySelectorAll("[data-reason-toggle]").forEach(function (select) {
      showReason(select);
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches("[data-select-all]")) {
      var name = target.getAttribute("data-select-all");
      boxes(name).forEach(function (box) {
        box.checked = target.checked;
      });
      refresh(name);
    } else if (target.matches("input[type=checkbox][name]")) {
      if (document.querySelector('[data-select-all="' + target.name + '"]')) refresh(target.name);
    }
    if (target.matches("[data-reason-toggle]")) showReason(target);
  });

  // The bulk bar's reason matters only for "rejected": show it then, and make it required.
  function showReason(select) {
    var field = document.getElementById(select.getAttribute("data-reason-toggle"));
    if (!field) return;
    var needed = select.value === "rejected";
    field.hidden = !needed && select.value !== "accepted";
    var input = field.querySelector("input");
    if (input) input.required = needed;
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    enhance(event.target.ownerDocument ? event.target.ownerDocument : document);
  });
})();
