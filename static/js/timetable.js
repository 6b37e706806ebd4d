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

  var calendar = new window.FullCalendar.Calendar(element, {
    initialView: narrow ? "listWeek" : "timeGridWeek",
    locale: chinese ? "zh-cn" : "en",
    // The school's wall-clock times, whatever the device's zone: the events
    // carry no offset and "UTC" shows them as they are (timetable/views.py).
    timeZone: "UTC",
    now: element.dataset.now,
    // Text buttons: the icon font is a data: URL the CSP refuses.
    buttonIcons: false,
    buttonText: { prev: element.dataset.previous, next: element.dataset.next },
    firstDay: 1,
    height: "auto",
    allDaySlot: false,
    slotMinTime: "08:00:00",
    slotMaxTime: "22:30:00",
    headerToolbar: narrow
      ? { left: "prev,next", center: "title", right: "today" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listWeek" },
    footerToolbar: narrow ? { center: "listWeek,dayGridMonth" } : false,
    events: { url: url.toString(), failure: showError },
    eventDidMount: function (info) {
      var props = info.event.extendedProps;
      info.el.title = [info.event.title, props.teacher, props.topic]
        .filter(Boolean)
        .join("\n");
    },
  });
  calendar.render();
})();
