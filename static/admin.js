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
