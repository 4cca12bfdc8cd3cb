/** My page: the time zone the weekly hours are in, with the time there now. */

import { element } from "../../dom.js";
import { pageForm } from "./editor.js";

const timeZoneSelect = pageForm().elements.namedItem("time_zone");
const timeZoneHint = pageForm().querySelector("[data-time-zone-hint]");

export const browserTimeZone = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
})();

function timeZones() {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

export function renderTimeZones(selected) {
  const zones = timeZones();
  if (selected && !zones.includes(selected)) {
    zones.unshift(selected); // an alias the browser does not list, such as Etc/UTC
  }
  const groups = new Map();
  for (const zone of zones) {
    const region = zone.includes("/") ? zone.split("/")[0] : "Other";
    if (!groups.has(region)) {
      groups.set(region, []);
    }
    groups.get(region).push(zone);
  }
  timeZoneSelect.replaceChildren(...[...groups].map(([region, members]) => element("optgroup",
    { label: region }, ...members.map((zone) => element("option", { value: zone },
      zone.replaceAll("_", " ").replaceAll("/", " / "))))));
  timeZoneSelect.value = selected;
  showTimeThere();
}

export function readTimeZone() {
  return timeZoneSelect.value;
}

function showTimeThere() {
  const zone = timeZoneSelect.value;
  try {
    const now = new Intl.DateTimeFormat(undefined, {
      timeZone: zone, weekday: "long", hour: "numeric", minute: "2-digit",
    }).format(new Date());
    timeZoneHint.textContent = `It is ${now} there now. Your weekly hours are in this time zone;`
      + " visitors see them in their own.";
  } catch {
    timeZoneHint.textContent = "Your weekly hours are in this time zone; visitors see them "
      + "in their own.";
  }
}
timeZoneSelect.addEventListener("change", showTimeThere);
