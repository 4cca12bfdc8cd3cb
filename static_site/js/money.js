/** Money is integer cents everywhere; these turn it into text and back with integer math only
 * (no floating point ever touches an amount). */

const SESSION_LENGTHS = Object.freeze([15, 30, 60]);
export { SESSION_LENGTHS };

function groupThousands(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `1500` → "$15", `1550` → "$15.50", `123456` → "$1,234.56"; whole dollars drop the cents
 * unless `cents: true`. */
export function formatCents(amount, { cents = false } = {}) {
  if (!Number.isSafeInteger(amount)) {
    return "";
  }
  const sign = amount < 0 ? "−" : "";
  const absolute = Math.abs(amount);
  const dollars = Math.trunc(absolute / 100);
  const rest = absolute % 100;
  const whole = groupThousands(String(dollars));
  if (rest === 0 && !cents) {
    return `${sign}$${whole}`;
  }
  return `${sign}$${whole}.${String(rest).padStart(2, "0")}`;
}

/** The editable form of an amount: `1550` → "15.50", `1500` → "15.00". */
export function centsToInput(amount) {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    return "";
  }
  return `${Math.trunc(amount / 100)}.${String(amount % 100).padStart(2, "0")}`;
}

/** "15", "15.5", "$1,234.56" → cents; null when the text is not an amount of dollars. */
export function dollarsToCents(text) {
  const cleaned = String(text).trim().replace(/^\$/, "").replace(/,/g, "");
  const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(cleaned) || /^()\.(\d{1,2})$/.exec(cleaned);
  if (!match) {
    return null;
  }
  const dollars = match[1] ? Number.parseInt(match[1], 10) : 0;
  const fraction = match[2] ? Number.parseInt(match[2].padEnd(2, "0"), 10) : 0;
  return dollars * 100 + fraction;
}

/** What one session length costs, as a person reads it: "Free", "$15", or null (not offered). */
export function priceLabel(amount) {
  if (amount === 0) {
    return "Free";
  }
  return Number.isSafeInteger(amount) && amount > 0 ? formatCents(amount) : null;
}
