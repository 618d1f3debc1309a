// Comments: Ctrl+Enter (Cmd+Enter on a Mac) posts the comment box, and typing @ suggests members to mention.
// The comments work without this file; it is loaded once by templates/comments/include.html or the comment pages.
(function () {
  "use strict";
  if (window.threatmodelComments) return;
  window.threatmodelComments = true;

  // The @ being typed right before the caret: "@al" gives "al"; none when the @ follows a letter (an address).
  var TYPED_MENTION = /(^|[^\w@.+-])@([\w.+-]{0,60})$/;
  var menuCount = 0;

  function form(element) {
    return element && element.closest ? element.closest("form[data-comment-form]") : null;
  }

  function submit(commentForm) {
    if (typeof commentForm.requestSubmit === "function") commentForm.requestSubmit();
    else commentForm.submit();
  }

  // The suggestion list of one textarea ---------------------------------------------------------------------

  function Suggestions(input, url) {
    this.input = input;
    this.url = url;
    this.items = [];
    this.active = -1;
    this.request = 0;
    this.timer = null;
    menuCount += 1;
    this.list = document.createElement("ul");
    this.list.id = "mention-suggestions-" + menuCount;
    this.list.className = "mention-menu";
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", "Members to mention");
    this.list.hidden = true;
    input.insertAdjacentElement("afterend", this.list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", this.list.id);
    input.setAttribute("aria-expanded", "false");
    var self = this;
    this.list.addEventListener("mousedown", function (event) {
      var option = event.target.closest("[role=option]");
      if (!option) return;
      event.preventDefault(); // keep the focus in the textarea
      self.choose(Number(option.getAttribute("data-index")));
    });
  }

  Suggestions.prototype.typed = function () {
    var caret = this.input.selectionStart;
    if (caret !== this.input.selectionEnd) return null;
    var match = TYPED_MENTION.exec(this.input.value.slice(0, caret));
    return match ? { query: match[2], start: caret - match[2].length - 1, end: caret } : null;
  };

  Suggestions.prototype.update = function () {
    var typed = this.typed();
    if (!typed) return this.close();
    // What is shown already narrows at once to what still matches, so Enter never takes a stale suggestion.
    if (this.isOpen()) this.show(this.items, typed.query);
    var self = this;
    var request = ++this.request;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () {
      fetch(self.url + "?q=" + encodeURIComponent(typed.query), { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : { members: [] };
        })
        .then(function (answer) {
          if (request === self.request) self.show(answer.members || []);
        })
        .catch(function () {
          self.close();
        });
    }, 120);
  };

  function matches(member, query) {
    var words = (member.handle + " " + member.name).toLowerCase().split(/\s+/);
    query = query.toLowerCase();
    return words.some(function (word) {
      return word.indexOf(query) === 0;
    });
  }

  Suggestions.prototype.show = function (members, query) {
    if (query) {
      members = members.filter(function (member) {
        return matches(member, query);
      });
    }
    this.items = members;
    this.list.replaceChildren();
    if (!members.length) return this.close();
    var self = this;
    members.forEach(function (member, index) {
      var option = document.createElement("li");
      option.id = self.list.id + "-" + index;
      option.className = "mention-menu__option";
      option.setAttribute("role", "option");
      option.setAttribute("data-index", String(index));
      option.setAttribute("aria-selected", "false");
      var name = document.createElement("span");
      name.textContent = member.name;
      var handle = document.createElement("span");
      handle.className = "mention-menu__handle";
      handle.textContent = "@" + member.handle;
      option.append(name, " ", handle);
      self.list.appendChild(option);
    });
    // Just below the textarea, inside its field (position: relative in comments.css).
    this.list.style.top = this.input.offsetTop + this.input.offsetHeight + 2 + "px";
    this.list.style.left = this.input.offsetLeft + "px";
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.highlight(0);
  };

  Suggestions.prototype.highlight = function (index) {
    var options = this.list.querySelectorAll("[role=option]");
    if (!options.length) return;
    this.active = (index + options.length) % options.length;
    options.forEach(function (option, at) {
      option.setAttribute("aria-selected", at === this.active ? "true" : "false");
    }, this);
    this.input.setAttribute("aria-activedescendant", options[this.active].id);
  };

  Suggestions.prototype.choose = function (index) {
    var member = this.items[index];
    var typed = this.typed();
    if (!member || !typed) return this.close();
    var value = this.input.value;
    var inserted = "@" + member.handle + " ";
    this.input.value = value.slice(0, typed.start) + inserted + value.slice(typed.end);
    var caret = typed.start + inserted.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
  };

  Suggestions.prototype.close = function () {
    this.request += 1;
    window.clearTimeout(this.timer);
    this.items = [];
    this.active = -1;
    this.list.hidden = true;
    this.list.replaceChildren();
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  };

  Suggestions.prototype.isOpen = function () {
    return !this.list.hidden;
  };

  function suggestionsFor(input) {
    if (!input || !input.matches || !input.matches("textarea[data-mention-input]")) return null;
    if (!input.mentionSuggestions) {
      var commentForm = form(input);
      var url = commentForm && commentForm.getAttribute("data-mentions-url");
      if (!url) return null;
      input.mentionSuggestions = new Suggestions(input, url);
    }
    return input.mentionSuggestions;
  }

  // Events ----------------------------------------------------------------------------------------------------

  document.addEventListener("input", function (event) {
    var suggestions = suggestionsFor(event.target);
    if (suggestions) suggestions.update();
  });

  document.addEventListener("keydown", function (event) {
    var commentForm = form(event.target);
    if (!commentForm) return;
    var suggestions = suggestionsFor(event.target);
    if (suggestions && suggestions.isOpen()) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        suggestions.highlight(suggestions.active + (event.key === "ArrowDown" ? 1 : -1));
        return;
      }
      if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        suggestions.choose(suggestions.active);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        suggestions.close();
        return;
      }
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      if (suggestions) suggestions.close();
      submit(commentForm);
    }
  });

  document.addEventListener(
    "blur",
    function (event) {
      var suggestions = event.target && event.target.mentionSuggestions;
      if (suggestions) suggestions.close();
    },
    true
  );
})();
