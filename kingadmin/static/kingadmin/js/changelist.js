// kingadmin list page: select-all checkbox, selection counter, auto-submit selects.
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("changelist-form");
    if (form) {
      var all = form.querySelector("[data-select-all]");
      var boxes = Array.prototype.slice.call(form.querySelectorAll("[data-row-select]"));
      var counter = form.querySelector("[data-selected-counter]");
      var template = counter ? counter.textContent : "";
      var update = function () {
        var n = boxes.filter(function (b) { return b.checked; }).length;
        if (counter) { counter.textContent = template.replace(/\d+/, String(n)); }
        if (all) {
          all.checked = n > 0 && n === boxes.length;
          all.indeterminate = n > 0 && n < boxes.length;
        }
      };
      if (all) {
        all.addEventListener("change", function () {
          boxes.forEach(function (b) { b.checked = all.checked; });
          update();
        });
      }
      boxes.forEach(function (b) { b.addEventListener("change", update); });
      update();
    }
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
