/** Every stored timestamp: ISO-8601 UTC with a four-digit year, so that text order is time order. */
export function iso(date: Date): string {
  const text = date.toISOString();
  // Years past 9999 (or before 0) come out as `+011609-…`: a bug upstream, never a value to store.
  if (!/^\d{4}-/.test(text)) throw new Error(`timestamp out of range: ${text}`);
  return text;
}

export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}

export function addMs(date: Date, ms: number): Date {
  return new Date(date.getTime() + ms);
}
