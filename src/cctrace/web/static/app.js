// cctrace web page: small helpers on top of htmx. No inline script anywhere (the page's
// Content-Security-Policy allows only files of its own origin).
"use strict";

(function () {
  // A table row with data-href opens its page when clicked (its link stays the keyboard way).
  function onRowClick(event) {
    const row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, select, summary, label")) {
      return;
    }
    window.location.assign(row.dataset.href);
  }

  // Contacts: sort by a column (risk, exposure, closest distance, id) without a reload.
  const KEYS = {
    id: (row) => row.dataset.id,
    risk: (row) => [Number(row.dataset.risk), -Number(row.dataset.exposure), row.dataset.id],
    exposure: (row) => Number(row.dataset.exposure),
    distance: (row) => Number(row.dataset.distance),
  };

  function compare(a, b) {
    if (Array.isArray(a)) {
      for (let i = 0; i < a.length; i += 1) {
        const c = compare(a[i], b[i]);
        if (c !== 0) {
          return c;
        }
      }
      return 0;
    }
    if (typeof a === "number") {
      return a - b;
    }
    return String(a).localeCompare(String(b));
  }

  function sortTable(button) {
    const table = button.closest("table");
    const th = button.closest("th");
    const key = KEYS[button.dataset.sort];
    if (!table || !th || !key) {
      return;
    }
    const current = th.getAttribute("aria-sort");
    let ascending = button.dataset.desc !== "1";
    if (current === "ascending" || current === "descending") {
      ascending = current !== "ascending";
    }
    table.querySelectorAll("thead th").forEach((other) => {
      if (other.hasAttribute("aria-sort")) {
        other.setAttribute("aria-sort", "none");
      }
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort((r1, r2) => (ascending ? 1 : -1) * compare(key(r1), key(r2)));
    rows.forEach((row) => body.appendChild(row));
  }

  function onClick(event) {
    const button = event.target.closest("table.sortable th button[data-sort]");
    if (button) {
      sortTable(button);
      return;
    }
    onRowClick(event);
  }

  // A large upload takes a while: say so, and keep the button from being pressed twice.
  function onSubmit(event) {
    const form = event.target;
    const busy = form.dataset.busy && document.getElementById(form.dataset.busy);
    if (busy) {
      busy.hidden = false;
      form.querySelectorAll("button[type=submit]").forEach((b) => {
        b.disabled = true;
      });
    }
  }

  // Back to a page the browser kept (bfcache) after an upload: its indicator and disabled
  // button would still say "uploading".
  function onPageShow(event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-busy]").forEach((form) => {
      const busy = document.getElementById(form.dataset.busy);
      if (busy) {
        busy.hidden = true;
      }
      form.querySelectorAll("button[type=submit]").forEach((b) => {
        b.disabled = false;
      });
    });
  }

  // An htmx request the server refused (403, 404, 500...): say it where the eye is.
  function onResponseError(event) {
    const flash = document.getElementById("flash");
    if (!flash) {
      return;
    }
    const xhr = event.detail && event.detail.xhr;
    let message = "The request failed; reload the page and try again.";
    if (xhr && xhr.responseText) {
      const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const text = doc.querySelector(".error-message");
      if (text && text.textContent) {
        message = text.textContent.trim();
      }
    }
    flash.textContent = message;
    flash.hidden = false;
  }

  document.addEventListener("click", onClick);
  document.addEventListener("submit", onSubmit);
  window.addEventListener("pageshow", onPageShow);
  document.body.addEventListener("htmx:responseError", onResponseError);
  document.body.addEventListener("htmx:sendError", onResponseError);
})();
