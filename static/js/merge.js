// The merge step after an edit conflict (templates/partials/edit_conflict.html): choosing "keep theirs" or "use
// mine" for a field also puts that value in the form's field, so the form shows what will be saved. Without this
// file the choice still works: the server takes it when the form is saved (projects.merge).
(function () {
  "use strict";
  if (window.threatModelMergeStep) return; // htmx runs this again for each swapped-in conflict
  window.threatModelMergeStep = true;

  var PREFIX = "merge-";

  function named(form, name) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name === name;
    });
  }

  function valuesOf(elements) {
    var values = [];
    elements.forEach(function (element) {
      if (element.type === "checkbox" || element.type === "radio") {
        if (element.checked) values.push(element.value);
      } else if (element.tagName === "SELECT") {
        Array.prototype.forEach.call(element.selectedOptions, function (option) {
          values.push(option.value);
        });
      } else {
        values.push(element.value);
      }
    });
    return values;
  }

  function show(elements, values) {
    elements.forEach(function (element) {
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = values.indexOf(element.value) !== -1;
      } else if (element.tagName === "SELECT") {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = values.indexOf(option.value) !== -1;
        });
      } else {
        element.value = values.length ? values[0] : "";
      }
      element.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function isChoice(element) {
    return element.matches && element.matches('input[type="radio"][name^="' + PREFIX + '"]') && element.form;
  }

  function follow(choice) {
    var name = choice.name.slice(PREFIX.length);
    var fields = named(choice.form, name);
    var box = choice.closest("[data-merge-field]");
    if (!fields.length || !box) return;
    box.mergeFollowed = true;
    if (!box.mineValues) box.mineValues = valuesOf(fields);
    var theirs = named(choice.form, "theirs-" + name).map(function (input) {
      return input.value;
    });
    show(fields, choice.value === "theirs" ? theirs : box.mineValues);
  }

  document.addEventListener("change", function (event) {
    if (isChoice(event.target)) follow(event.target);
  });

  // A choice made before this file arrived (it loads after the page is shown) is followed once it has; never
  // again later, so nothing typed after a choice is overwritten.
  function followChosen() {
    var chosen = document.querySelectorAll('input[type="radio"][name^="' + PREFIX + '"][value="theirs"]:checked');
    chosen.forEach(function (choice) {
      var box = choice.closest("[data-merge-field]");
      if (isChoice(choice) && box && !box.mergeFollowed) follow(choice);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", followChosen);
  else followChosen();
  document.addEventListener("htmx:afterSettle", followChosen);
})();
