/*
 * kingadmin's autocomplete widget (ModelAdmin.autocomplete_fields).
 *
 * Turns every `[data-autocomplete]` wrapper, rendered by
 * kingadmin/widgets/autocomplete.html around a plain <select> that holds only
 * the chosen row(s), into a combobox (WAI-ARIA "combobox with listbox
 * popup"): a text input labelled by the field's own <label>, a listbox of the
 * rows that the JSON endpoint in data-url finds for the typed text, and the
 * chosen rows as chips with a remove button. The select stays in the form,
 * hidden, and is what is submitted: a row is chosen exactly when its option is
 * selected there. Keyboard: type to search, ArrowDown/ArrowUp to move through
 * the matches, Enter to pick, Escape to close (a second Escape clears the
 * text). Labels come from the wrapper's data-label-* attributes, translated
 * by Django; this file holds no user-visible text and runs no inline code.
 */
(function () {
  "use strict";

  const DELAY_MS = 200;
  let counter = 0;

  function element(tag, properties, children) {
    const node = document.createElement(tag);
    Object.entries(properties || {}).forEach(([name, value]) => {
      if (name === "text") {
        node.textContent = value;
      } else if (name === "className" || name === "type") {
        node[name] = value;
      } else {
        node.setAttribute(name, value);
      }
    });
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  // Fill "%(name)s" placeholders of a translated label.
  function format(template, values) {
    return (template || "").replace(/%\((\w+)\)s/g, (match, key) =>
      key in values ? String(values[key]) : match
    );
  }

  function enhance(root) {
    const select = root.querySelector("select");
    if (!select || root.dataset.autocompleteReady) {
      return;
    }
    root.dataset.autocompleteReady = "true";
    const labels = root.dataset;
    const multiple = select.multiple;
    counter += 1;
    const baseId = select.id || "autocomplete-" + counter;

    // A single select with no option selected would select its first one
    // by itself; an empty option lets "nothing chosen" be submitted (the
    // server reports a required field left empty).
    let emptyOption = null;
    if (!multiple) {
      emptyOption = Array.from(select.options).find((option) => option.value === "");
      if (!emptyOption) {
        emptyOption = new Option("", "");
        select.prepend(emptyOption);
        if (!Array.from(select.options).some((option) => option.defaultSelected)) {
          emptyOption.selected = true;
        }
      }
    }

    const chips = element("ul", {
      className: "autocomplete-chips list-unstyled d-flex flex-wrap gap-1 mb-1",
      id: baseId + "_chosen",
      "aria-label": labels.labelChosen || "",
    });
    const input = element("input", {
      type: "text",
      className: "form-control",
      id: baseId + "_search",
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": baseId + "_listbox",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: labels.labelHint || "",
    });
    const listbox = element("ul", {
      className: "autocomplete-results list-group shadow-sm",
      id: baseId + "_listbox",
      role: "listbox",
    });
    listbox.hidden = true;
    const note = element("div", {
      className: "form-text autocomplete-note",
      id: baseId + "_note",
      role: "status",
    });
    const panel = element("div", { className: "autocomplete-panel" }, [input, listbox]);
    const layout = element("div", { className: "autocomplete-widget" }, [chips, panel, note]);

    // Help text and errors that Django attached to the original select.
    ["aria-describedby", "aria-invalid"].forEach((name) => {
      if (select.hasAttribute(name)) {
        input.setAttribute(name, select.getAttribute(name));
      }
    });
    const described = [input.getAttribute("aria-describedby"), note.id, chips.id];
    input.setAttribute("aria-describedby", described.filter(Boolean).join(" "));
    // A hidden required control blocks submission without telling the user
    // why; the server still refuses an empty choice with a visible error.
    if (select.required) {
      select.required = false;
      input.setAttribute("aria-required", "true");
    }
    const disabled = select.disabled;
    input.disabled = disabled;
    // The field's own <label for=...> would point at the hidden select.
    if (select.id) {
      const selector = "label[for='" + CSS.escape(select.id) + "']";
      document.querySelectorAll(selector).forEach((fieldLabel) => {
        fieldLabel.htmlFor = input.id;
        if (!fieldLabel.id) {
          fieldLabel.id = baseId + "_label";
        }
        listbox.setAttribute("aria-labelledby", fieldLabel.id);
      });
    }

    let results = [];
    let active = -1;
    let timer = null;
    let controller = null;
    let sequence = 0;
    // ArrowDown on a closed list opens it with its first match active.
    let activateFirst = false;

    function chosenOptions() {
      return Array.from(select.options).filter(
        (option) => option.selected && option.value !== ""
      );
    }

    // The select's own "change" listener (below) redraws the chips.
    function changed() {
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function renderChips() {
      const items = chosenOptions().map((option) => {
        const children = [element("span", { text: option.text })];
        if (!disabled) {
          const remove = element("button", {
            type: "button",
            className: "btn-close btn-close-white autocomplete-remove",
            "aria-label": format(labels.labelRemove, { item: option.text }),
          });
          remove.addEventListener("click", () => {
            unchoose(option);
            input.focus();
          });
          children.push(remove);
        }
        return element(
          "li",
          {
            className:
              "badge rounded-pill text-bg-secondary d-inline-flex align-items-center gap-1",
            "data-value": option.value,
          },
          children
        );
      });
      chips.replaceChildren(...items);
      chips.hidden = items.length === 0;
    }

    function unchoose(option) {
      option.selected = false;
      if (emptyOption) {
        emptyOption.selected = true;
      }
      changed();
    }

    function choose(result) {
      let option = Array.from(select.options).find((node) => node.value === result.id);
      if (!option) {
        // Not selected by default: a form reset leaves it out again.
        option = new Option(result.text, result.id, false, false);
        select.appendChild(option);
      }
      if (!multiple) {
        Array.from(select.options).forEach((node) => {
          node.selected = false;
        });
      }
      option.selected = true;
      changed();
    }

    function isOpen() {
      return !listbox.hidden;
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function setActive(index) {
      const nodes = Array.from(listbox.children);
      active = nodes.length ? (index + nodes.length) % nodes.length : -1;
      nodes.forEach((node, i) => {
        const on = i === active;
        node.classList.toggle("active", on);
        node.setAttribute("aria-selected", on ? "true" : "false");
      });
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", nodes[active].id);
        nodes[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(found, more) {
      const chosen = new Set(chosenOptions().map((option) => option.value));
      results = found.filter((result) => !chosen.has(String(result.id)));
      const nodes = results.map((result, i) =>
        element("li", {
          className: "list-group-item list-group-item-action",
          id: baseId + "_option_" + i,
          role: "option",
          "aria-selected": "false",
          text: result.text,
        })
      );
      listbox.replaceChildren(...nodes);
      active = -1;
      if (nodes.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        if (activateFirst) {
          setActive(0);
        }
      } else {
        close();
      }
      activateFirst = false;
      const parts = [];
      parts.push(
        results.length ? format(labels.labelCount, { count: results.length }) : labels.labelNone
      );
      if (more) {
        parts.push(labels.labelMore);
      }
      note.textContent = parts.join(" ");
    }

    function search() {
      window.clearTimeout(timer);
      if (controller) {
        controller.abort();
      }
      controller = new AbortController();
      sequence += 1;
      const mine = sequence;
      const url = new URL(root.dataset.url, window.location.href);
      url.searchParams.set("term", input.value.trim());
      note.textContent = labels.labelLoading || "";
      fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      })
        .then((response) => {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then((data) => {
          if (mine === sequence) {
            show(Array.isArray(data.results) ? data.results : [], Boolean(data.more));
          }
        })
        .catch((error) => {
          if (error.name !== "AbortError" && mine === sequence) {
            close();
            note.textContent = labels.labelError || "";
          }
        });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    }

    function pick(index) {
      const result = results[index];
      if (!result) {
        return;
      }
      choose(result);
      input.value = "";
      note.textContent = "";
      close();
      input.focus();
    }

    input.addEventListener("input", () => {
      activateFirst = false;
      later();
    });
    input.addEventListener("keydown", (event) => {
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (isOpen()) {
            setActive(active + 1);
          } else {
            activateFirst = true;
            search();
          }
          break;
        case "ArrowUp":
          if (isOpen()) {
            event.preventDefault();
            setActive(active - 1);
          }
          break;
        case "Enter":
          // Enter picks instead of submitting the form while searching.
          if (isOpen() || input.value.trim()) {
            event.preventDefault();
          }
          if (isOpen() && active >= 0) {
            pick(active);
          } else if (isOpen() && results.length === 1) {
            pick(0);
          }
          break;
        case "Escape":
          if (isOpen()) {
            event.preventDefault();
            close();
          } else if (input.value) {
            event.preventDefault();
            input.value = "";
            note.textContent = "";
          }
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    });
    // Keep the focus in the input while the pointer picks an option.
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const node = event.target.closest("[role=option]");
      if (node) {
        pick(Array.from(listbox.children).indexOf(node));
      }
    });
    input.addEventListener("blur", () => window.setTimeout(close, 0));
    // Other scripts may change the select; a form reset restores it after
    // the "reset" event has been dispatched.
    select.addEventListener("change", renderChips);
    if (select.form) {
      select.form.addEventListener("reset", () => window.setTimeout(renderChips));
    }

    select.hidden = true;
    select.after(layout);
    renderChips();
  }

  function init() {
    document.querySelectorAll("[data-autocomplete]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
