// How the dashboards put figures and days into words. Days come from the
// server as calendar dates in the organisation's time zone ("2025-03-14"), so
// they are formatted as dates, never shifted into the browser's zone.

const weekdayAndDay = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" });
const shortDay = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", day: "numeric", month: "short" });
const fullDay = new Intl.DateTimeFormat(undefined, { timeZone: "UTC", dateStyle: "medium" });
const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** A calendar date ("YYYY-MM-DD") as the instant of its midnight in UTC, for formatting only. */
function calendarDay(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

/** "Mon, 3 Mar": a day in a table. */
export function formatDay(date: string): string {
  return weekdayAndDay.format(calendarDay(date));
}

/** "3 Mar": a day on a chart's axis. */
export function formatShortDay(date: string): string {
  return shortDay.format(calendarDay(date));
}

/** "3 Mar 2025": a day in a sentence. */
export function formatFullDay(date: string): string {
  return fullDay.format(calendarDay(date));
}

/**
 * Summed mastery (each concept 0..1) in points: a concept fully known is 100
 * points, the unit the server's "mastery fell by N points" flags use too.
 */
export function masteryPoints(summed: number): number {
  return Math.round(summed * 100);
}

/** A change with its sign: "+12", "−3", "0". */
export function signed(value: number): string {
  if (value > 0) return `+${whole.format(value)}`;
  if (value < 0) return `−${whole.format(-value)}`;
  return "0";
}

export function formatCount(value: number): string {
  return whole.format(value);
}

/** A sum of scores, which may be partial ("2.5"). */
export function formatScore(value: number): string {
  return oneDecimal.format(value);
}

/** "1 day", "3 days". */
export function days(count: number): string {
  return `${whole.format(count)} ${count === 1 ? "day" : "days"}`;
}
