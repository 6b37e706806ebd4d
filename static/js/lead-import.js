// A lead import's log page: poll the progress of its commit until it ends,
// then reload; ask before a revert deletes leads.
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });
  var box = document.querySelector("[data-import-progress]");
  if (!box || box.getAttribute("data-state") !== "queued") { return; }
  var bar = box.querySelector("[data-import-bar]");
  var checked = box.querySelector("[data-import-checked]");
  var poll = function () {
    fetch(box.getAttribute("data-import-progress"), { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (progress) {
        if (progress.state !== "queued") {
          window.location.reload();
          return;
        }
        if (bar) { bar.value = progress.percent; bar.textContent = progress.percent + "%"; }
        if (checked) { checked.textContent = progress.checked + " / " + progress.rows; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  };
  window.setTimeout(poll, 1000);
})();
