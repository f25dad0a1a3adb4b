/** Where booking lives (subpackage `booking`), for the pages of the main package that link to it. */

/** 预约复诊: the open slots of a department. */
export const BOOKING_PAGE = '/packages/booking/slots/index'
/** 我的预约: the patient's bookings. */
export const MY_BOOKINGS_PAGE = '/packages/booking/mine/index'

/** The booking page, opened on `department` when one is known (a code such as `dentistry`). */
export function bookingUrl(department?: string | null): string {
  return department ? `${BOOKING_PAGE}?department=${encodeURIComponent(department)}` : BOOKING_PAGE
}
