/*
 * kingadmin's filter_horizontal widget.
 *
 * Turns every `[data-filter-horizontal]` wrapper, rendered by
 * kingadmin/widgets/filter_horizontal.html around a plain <select multiple>,
 * into two boxes: the available options (with a live filter) and the chosen
 * ones. The original select stays in the form, hidden, and is the element that
 * is submitted: an option is chosen exactly when it is selected there. Labels
 * come from the wrapper's data-label-* attributes so that they are translated
 * by Django; this file holds no user-visible text and runs no inline code.
 */
(function () {
  "use strict";

  const BOX_SIZE = 10;
  let counter = 0;

  function element(tag, properties, children) {
    const node = document.createElement(tag);
    Object.entries(properties || {}).forEach(([name, value]) => {
      if (name === "text") {
        node.textContent = value;
      } else if (name === "className" || name === "type" || name === "size") {
        node[name] = value;
      } else {
        node.setAttribute(name, value);
      }
    });
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  function normalise(text) {
    return text.toLocaleLowerCase();
  }

  function enhance(root) {
    const original = root.querySelector("select[multiple]");
    if (!original || root.dataset.filterHorizontalReady) {
      return;
    }
    root.dataset.filterHorizontalReady = "true";
    const labels = root.dataset;
    counter += 1;
    const baseId = original.id || "filter-horizontal-" + counter;

    // One entry per original option, in the original order; each has its own
    // <option> in both boxes so moving never re-creates nodes.
    const items = Array.from(original.options).map((option) => {
      const copy = () => {
        const node = new Option(option.text, option.value);
        node.title = option.text;
        node.disabled = option.disabled;
        return node;
      };
      return {
        option: option,
        key: normalise(option.text),
        available: copy(),
        chosen: copy(),
      };
    });
    const itemByNode = new Map();
    items.forEach((item) => {
      itemByNode.set(item.available, item);
      itemByNode.set(item.chosen, item);
    });

    const filter = element("input", {
      type: "search",
      className: "form-control",
      id: baseId + "_filter",
      autocomplete: "off",
    });
    const availableBox = element("select", {
      className: "form-select",
      id: baseId + "_from",
      size: BOX_SIZE,
      multiple: "",
    });
    const chosenBox = element("select", {
      className: "form-select",
      id: baseId + "_to",
      size: BOX_SIZE,
      multiple: "",
    });
    const button = (key, className) =>
      element("button", { type: "button", className: className, text: labels[key] || "" });
    const allClass = "btn btn-outline-secondary btn-sm w-100 mt-2";
    const chooseAll = button("labelChooseAll", allClass);
    const removeAll = button("labelRemoveAll", allClass);
    const choose = button("labelChoose", "btn btn-outline-primary btn-sm");
    const remove = button("labelRemove", "btn btn-outline-primary btn-sm");
    const label = (control, key, className) =>
      element("label", { className: className, for: control.id, text: labels[key] || "" });

    // Side by side from Bootstrap's "sm" breakpoint (576px), stacked below it.
    const layout = element("div", { className: "row g-2 align-items-sm-end" }, [
      element("div", { className: "col-12 col-sm filter-horizontal-available" }, [
        label(availableBox, "labelAvailable", "form-label"),
        element("div", { className: "input-group input-group-sm mb-2" }, [
          label(filter, "labelFilter", "input-group-text"),
          filter,
        ]),
        availableBox,
        chooseAll,
      ]),
      element(
        "div",
        {
          className: [
            "col-12 col-sm-auto align-self-center",
            "d-flex flex-sm-column justify-content-center gap-2",
          ].join(" "),
        },
        [choose, remove]
      ),
      element("div", { className: "col-12 col-sm filter-horizontal-chosen" }, [
        label(chosenBox, "labelChosen", "form-label"),
        chosenBox,
        removeAll,
      ]),
    ]);

    // Help text and errors that Django attached to the original select.
    ["aria-describedby", "aria-invalid"].forEach((name) => {
      if (original.hasAttribute(name)) {
        availableBox.setAttribute(name, original.getAttribute(name));
        chosenBox.setAttribute(name, original.getAttribute(name));
      }
    });
    // A hidden required control blocks submission without telling the user
    // why; the server still refuses an empty choice with a visible error.
    if (original.required) {
      original.required = false;
      chosenBox.setAttribute("aria-required", "true");
    }
    if (original.disabled) {
      const controls = [filter, availableBox, chosenBox, chooseAll, removeAll, choose, remove];
      controls.forEach((control) => {
        control.disabled = true;
      });
    }
    // The field's own <label for=...> would point at the hidden select.
    if (original.id) {
      const selector = "label[for='" + CSS.escape(original.id) + "']";
      document.querySelectorAll(selector).forEach((fieldLabel) => {
        fieldLabel.htmlFor = filter.id;
      });
    }

    function visible(item) {
      const needle = normalise(filter.value.trim());
      return !needle || item.key.includes(needle);
    }

    function fill(box, wanted) {
      const current = Array.from(box.options);
      // Only touch the box when it changes, so its scroll position stays.
      const changed =
        current.length !== wanted.length || current.some((node, i) => node !== wanted[i]);
      if (changed) {
        box.replaceChildren(...wanted);
      }
    }

    function render() {
      const available = [];
      const chosen = [];
      items.forEach((item) => {
        if (item.option.selected) {
          chosen.push(item.chosen);
        } else if (visible(item)) {
          available.push(item.available);
        } else {
          item.available.selected = false;
        }
      });
      fill(availableBox, available);
      fill(chosenBox, chosen);
    }

    function move(moving, toChosen) {
      const movable = moving.filter((item) => !item.option.disabled);
      if (!movable.length) {
        return;
      }
      movable.forEach((item) => {
        item.option.selected = toChosen;
        item.available.selected = false;
        item.chosen.selected = false;
      });
      render();
      original.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function shown(box) {
      return Array.from(box.options).map((node) => itemByNode.get(node));
    }

    function highlighted(box) {
      return Array.from(box.selectedOptions).map((node) => itemByNode.get(node));
    }

    // Double-click moves the clicked option, Enter the highlighted ones.
    function moveFrom(box, toChosen) {
      box.addEventListener("dblclick", (event) => {
        const item = itemByNode.get(event.target);
        move(item ? [item] : highlighted(box), toChosen);
      });
      box.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          move(highlighted(box), toChosen);
        }
      });
    }

    filter.addEventListener("input", render);
    filter.addEventListener("keydown", (event) => {
      // Enter in the filter chooses instead of submitting the form.
      if (event.key === "Enter") {
        event.preventDefault();
        // With nothing highlighted, a filter that leaves a single option
        // chooses that one.
        const picked = highlighted(availableBox);
        const options = shown(availableBox);
        move(picked.length === 0 && options.length === 1 ? options : picked, true);
      }
    });
    moveFrom(availableBox, true);
    moveFrom(chosenBox, false);
    choose.addEventListener("click", () => move(highlighted(availableBox), true));
    remove.addEventListener("click", () => move(highlighted(chosenBox), false));
    chooseAll.addEventListener("click", () => move(shown(availableBox), true));
    removeAll.addEventListener("click", () => move(shown(chosenBox), false));
    // Other scripts may change the original select; a form reset restores it
    // after the "reset" event has been dispatched.
    original.addEventListener("change", render);
    if (original.form) {
      original.form.addEventListener("reset", () => window.setTimeout(render));
    }

    original.hidden = true;
    original.after(layout);
    render();
  }

  function init() {
    document.querySelectorAll("[data-filter-horizontal]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
