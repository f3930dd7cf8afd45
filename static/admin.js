/* The admin's clicks that Flask-Admin does with inline handlers (onclick="..."), done here instead:
   the Content-Security-Policy (kit/security.py) runs no inline script, only files like this one. */
(function () {
  "use strict";

  // The kit checks every value and says beside the field what is wrong; the browser's own
  // popups (type="email", type="number") would stop the form before the kit could say it.
  document.querySelectorAll("form.admin-form").forEach(function (form) {
    form.noValidate = true;
  });

  // Filter menu items carry onclick="return false;"; dropping it before any click avoids a refusal.
  document.querySelectorAll("a.filter[onclick]").forEach(function (link) {
    link.removeAttribute("onclick");
  });

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    // Links to "javascript:void(0)" only open menus: following one would be refused.
    if (target.closest('a[href^="javascript:"]')) {
      event.preventDefault();
    }
    var confirming = target.closest("[data-kit-confirm]");
    if (confirming && !window.confirm(confirming.getAttribute("data-kit-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var action = target.closest("[data-kit-action]");
    if (action) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-kit-action"));
    }
  }, true);
})();

/* A reference filter over more rows than a menu can list searches them as one types: the kit
   marks it select2-ajax (kit/admin.py, searched_filter) and says where to look them up; Flask-Admin's
   filter widget has no place for that URL, so it is added here before the widget is made. */
(function ($) {
  "use strict";
  if (!$) {
    return;
  }
  // Flask-Admin's form.js says when its widgets can be made; the filter data is on the page by then.
  $(document).on("adminFormReady", function () {
    var data = document.getElementById("filter-groups-data");
    if (!data) {
      return;
    }
    var groups = JSON.parse(data.textContent);
    var searched = {};
    Object.keys(groups).forEach(function (group) {
      groups[group].forEach(function (filter) {
        if (filter.kit_lookup) {
          searched[filter.arg] = filter;
        }
      });
    });
    var applyStyle = window.faForm.applyStyle;
    window.faForm.applyStyle = function (field, name) {
      var filter = searched[(field.attr("name") || "").replace(/^flt\d+_/, "")];
      if (name === "select2-ajax" && filter && !field.attr("data-url")) {
        var label = filter.kit_labels[field.val()];
        field.attr("data-url", filter.kit_lookup);
        field.attr("data-placeholder", filter.kit_placeholder);
        field.attr("data-minimum-input-length", 0);
        field.attr("data-json", JSON.stringify(label ? [field.val(), label] : null));
      }
      return applyStyle.apply(this, arguments);
    };
  });
})(window.jQuery);

/* The list's date and time filters open Flask-Admin's calendar (daterangepicker 1.3, made in
   admin/js/form.js). As it comes, it reads the box on every keystroke and writes back what it made
   of it ("1" became 0001-01-01, so typing 1990-01-01 gave 0001-01-01990-01-01), and a day picked
   for a time came with the clock's time of now, which "equals" never finds and "from" cuts that
   morning off. Here the box keeps what is typed and the calendar follows it, and a day picked for a
   time starts at 00:00, ends at 23:59 where the operation looks at the day's end, or is the whole
   day for "equals". */
(function ($, moment) {
  "use strict";
  if (!$ || !moment) {
    return;
  }
  // Times to the minute, as the list shows them; the kit reads a minute as the whole of it
  // (kit/admin.py, WHOLE_SPAN), so 23:59 "to" keeps the day's last seconds too.
  var FORMATS = { datepicker: "YYYY-MM-DD", datetimepicker: "YYYY-MM-DD HH:mm" };
  // A filter's box is named after it, operation last (flt1_placed_at_to). A day picked for "to"
  // ends at 23:59 so that the day is in; for "greater than" too, so that it is out, as with dates
  // ("greater than 2026-07-01" starts on the 2nd). "from", "less than" and the rest start at 00:00.
  var TO_DAY_END = /_(to|greater_than)$/;
  // A day picked for "equals" a time is that whole day: written as the day alone, which the kit
  // reads as the day from its first minute to its last. A time typed there is kept as typed.
  var WHOLE_DAY = /_equals$/;

  // Puts the calendar on a moment without touching the box. The picker writes the box when it
  // closes on another moment than it opened on, so the moment it opened on is moved as well.
  function showMoment(picker, when) {
    picker.startDate = when.clone();
    picker.endDate = when.clone();
    picker.oldStartDate = when.clone();
    picker.oldEndDate = when.clone();
    picker.updateView();
    picker.updateCalendars();
  }

  // In place of the picker's own keyup (updateFromControl), which rewrote the box as one typed.
  // A day clicked but not applied gives way to what is typed after it.
  function keepTyping(box, picker) {
    box.off("keyup.daterangepicker");
    box.on("input", function () {
      var typed = moment(box.val(), [picker.format, FORMATS.datetimepicker], true);
      showMoment(picker, typed.isValid() ? typed : picker.startDate);
    });
  }

  // In place of Flask-Admin's handler that opens an empty box's calendar at now: at today's
  // first or last minute instead, so the day picked next keeps that time.
  function openAtDayEdge(box, picker) {
    var atEnd = TO_DAY_END.test(box.attr("name"));
    box.off("show.daterangepicker");
    box.on("show.daterangepicker", function () {
      if (!box.val()) {
        var today = moment().startOf("day");
        showMoment(picker, atEnd ? today.hour(23).minute(59) : today);
      }
    });
  }

  // Once: bs4_filters.js announces adminFormReady a second time, and a box needs its handlers once.
  $(document).one("adminFormReady", function () {
    var applyStyle = window.faForm.applyStyle;
    window.faForm.applyStyle = function (field, name) {
      var isDateFilter = field.hasClass("filter-val") && FORMATS[name];
      if (isDateFilter) {
        var wholeDay = name === "datetimepicker" && WHOLE_DAY.test(field.attr("name") || "");
        field.attr("data-date-format", wholeDay ? FORMATS.datepicker : FORMATS[name]);
      }
      var styled = applyStyle.apply(this, arguments);
      var picker = field.data("daterangepicker");
      if (isDateFilter && picker) {
        keepTyping(field, picker);
        if (name === "datetimepicker") {
          openAtDayEdge(field, picker);
        }
      }
      return styled;
    };
  });
})(window.jQuery, window.moment);

/* The details page's "Find a field" box (kit/templates/admin/kit_details.html): Flask-Admin's
   details_filter.js reads what is typed as a regular expression, so "(" threw an error and "." matched
   every row. Here the box matches plain text, as a person means it. */
(function ($) {
  "use strict";
  if (!$) {
    return;
  }
  // after details_filter.js has bound its handler on document ready, so that it can be taken off
  $(window).on("load", function () {
    var box = $("#fa_filter");
    box.off("keyup").on("input", function () {
      var typed = box.val().toLowerCase();
      $(".searchable tr").each(function () {
        $(this).toggle($(this).text().toLowerCase().indexOf(typed) !== -1);
      });
    });
  });
})(window.jQuery);
