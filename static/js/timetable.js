// The timetable calendars (timetable/templates/timetable/_calendar.html):
// FullCalendar reading the events of the shown span from data-events-url.
// Week and month views on wide screens, a list on phones. The campus page's
// room / teacher choice (its query string) narrows the events.
(function () {
  "use strict";

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });

  var element = document.getElementById("timetable");
  if (!element || !window.FullCalendar) {
    return;
  }
  var narrow = window.matchMedia("(max-width: 575.98px)").matches;
  var url = new URL(element.dataset.eventsUrl, window.location.href);
  var page = new URLSearchParams(window.location.search);
  ["room", "teacher"].forEach(function (name) {
    if (page.get(name)) {
      url.searchParams.set(name, page.get(name));
    }
  });
  var chinese = (element.dataset.locale || "").toLowerCase().indexOf("zh") === 0;

  function showError() {
    if (element.previousElementSibling && element.previousElementSibling.dataset.calendarError) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger py-2 small";
    alert.setAttribute("role", "alert");
    alert.dataset.calendarError = "1";
    alert.textContent = element.dataset.error;
    element.parentNode.insertBefore(alert, element);
  }

  function hideIcons() {
    element.querySelectorAll(".fc-icon").forEach(function (icon) {
      icon.setAttribute("aria-hidden", "true");
      icon.removeAttribute("role");
    });
  }

  var calendar = new window.FullCalendar.Calendar(element, {
    initialView: narrow ? "listWeek" : "timeGridWeek",
    locale: chinese ? "zh-cn" : "en",
    firstDay: 1,
    nowIndicator: true,
    height: "auto",
    allDaySlot: false,
    slotMinTime: "08:00:00",
    slotMaxTime: "22:30:00",
    headerToolbar: narrow
      ? { left: "prev,next", center: "title", right: "today" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listWeek" },
    footerToolbar: narrow ? { center: "listWeek,dayGridMonth" } : false,
    events: { url: url.toString(), failure: showError },
    // The toolbar's arrows are icons inside titled buttons: hidden from
    // screen readers, which read the button's title.
    datesSet: hideIcons,
    eventDidMount: function (info) {
      var props = info.event.extendedProps;
      info.el.title = [info.event.title, props.teacher, props.topic]
        .filter(Boolean)
        .join("\n");
    },
  });
  calendar.render();
  hideIcons();
})();
