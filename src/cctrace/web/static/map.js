// The route on a site map: Leaflet with L.CRS.Simple, one unit = one metre of the site plan
// (or of the local grid the server projected lat/lon cameras onto). No tiles, no request
// to any other site: cameras as dots, stops numbered in route order, over the site's plan
// image when it has one (served by this server, placed by its scale), else a metre grid.
"use strict";

(function () {
  function niceStep(span) {
    const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
    for (const s of steps) {
      if (span / s <= 8) {
        return s;
      }
    }
    return 20000;
  }

  function textNode(text) {
    const span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  // A metre grid over ``area``, its step fitted to what ``view`` shows at first.
  function drawGrid(map, area, view) {
    const south = area.getSouth();
    const north = area.getNorth();
    const west = area.getWest();
    const east = area.getEast();
    const step = niceStep(
      Math.max(view.getNorth() - view.getSouth(), view.getEast() - view.getWest()),
    );
    const opts = { color: "#c8d0da", weight: 1, interactive: false };
    for (let x = Math.floor(west / step) * step; x <= east; x += step) {
      L.polyline([[south, x], [north, x]], opts).addTo(map);
    }
    for (let y = Math.floor(south / step) * step; y <= north; y += step) {
      L.polyline([[y, west], [y, east]], opts).addTo(map);
    }
  }

  function initMap(el) {
    if (el.dataset.ready === "1" || typeof L === "undefined") {
      return;
    }
    el.dataset.ready = "1";
    let data;
    try {
      data = JSON.parse(el.dataset.map || "{}");
    } catch (e) {
      data = { cameras: [] };
    }
    const cameras = data.cameras || [];
    if (cameras.length === 0) {
      const p = document.createElement("p");
      p.className = "map-empty";
      p.textContent = "No camera of this route has a position to draw.";
      el.appendChild(p);
      return;
    }
    const map = L.map(el, {
      crs: L.CRS.Simple,
      attributionControl: false,
      minZoom: -8,
      maxZoom: 6,
      zoomSnap: 0.25,
      keyboard: true,
    });
    let bounds = L.latLngBounds(cameras.map((c) => [c.y, c.x]));
    const margin = 10;
    bounds = L.latLngBounds(
      [bounds.getSouth() - margin, bounds.getWest() - margin],
      [bounds.getNorth() + margin, bounds.getEast() + margin],
    );
    let padded = bounds.pad(0.15);
    const plan = data.plan;
    if (plan && plan.url && plan.bounds) {
      const planBounds = L.latLngBounds(plan.bounds);
      L.imageOverlay(plan.url, planBounds, {
        alt: `Site plan ${plan.file_name || ""}`,
        className: "site-plan-image",
        interactive: false,
      }).addTo(map);
      el.dataset.plan = "1";
      padded = padded.extend(planBounds);
    } else {
      drawGrid(map, bounds.pad(3), padded);
    }
    if ((data.path || []).length > 1) {
      L.polyline(data.path, { color: "#c0392b", weight: 3, opacity: 0.8, dashArray: "6 4" }).addTo(map);
    }
    cameras.forEach((c) => {
      const onRoute = (c.stops || []).length > 0;
      const dot = L.circleMarker([c.y, c.x], {
        radius: onRoute ? 6 : 4,
        color: onRoute ? "#7f1d1d" : "#5b6472",
        weight: 1.5,
        fillColor: onRoute ? "#c0392b" : "#9aa4b2",
        fillOpacity: 0.9,
      }).addTo(map);
      // Cameras of the route keep their name on the map; the others show it on hover.
      dot.bindTooltip(textNode(onRoute ? c.id : `${c.name} (${c.id})`), {
        direction: "bottom",
        offset: [0, 6],
        permanent: onRoute,
        className: onRoute ? "cam-label" : "",
      });
      if (onRoute) {
        const label = c.stops.join(", ");
        L.marker([c.y, c.x], {
          icon: L.divIcon({
            className: "stop-icon",
            html: label.replace(/[^0-9, ]/g, ""),
            iconSize: null,
            iconAnchor: [-8, 24],
          }),
          title: `Stop ${label}: ${c.name} (${c.id})`,
          alt: `Stop ${label}`,
          keyboard: true,
        }).addTo(map);
      }
    });
    map.fitBounds(padded);
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
  }

  function initAll(root) {
    (root || document).querySelectorAll("[data-map]").forEach(initMap);
  }

  document.addEventListener("DOMContentLoaded", () => initAll(document));
  document.body.addEventListener("htmx:load", (event) => initAll(event.detail.elt));
})();
