/**
 * A `limit` query parameter as a number for the service to check: absent stays undefined (the
 * service's default), anything but digits becomes NaN so the service refuses it with its range.
 */
export const limitParam = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
