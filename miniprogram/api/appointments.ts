/**
 * Appointments for the patient: the open slots of a department with the places left, booking one
 * (answered once per Idempotency-Key), one's own bookings, cancelling and moving one to another
 * slot (the API cancels the old and books the new in one transaction). docs/appointments.md.
 */
import { request, Schemas } from './client'
import { idempotencyHeader } from './idempotency'

export type OpenSlot = Schemas['OpenSlot']
export type SlotsReply = Schemas['SlotsReply']
export type Appointment = Schemas['AppointmentRow']
/** A slot as booking names it: the doctor, the clinic-local day and start ("HH:MM"). */
export type SlotChoice = Schemas['BookBody']
export type AppointmentReply = Schemas['AppointmentReply']
export type RescheduleReply = Schemas['RescheduleReply']

/**
 * The open slots of `department` from `from` to `to` (clinic-local days "YYYY-MM-DD", at most 31
 * days apart), each with its places left; `doctorId` narrows them to one doctor.
 */
export const getOpenSlots = (department: string, from: string, to: string, doctorId?: string) =>
  request<SlotsReply>('GET', '/me/appointment-slots', {
    data: doctorId ? { department, from, to, doctor_id: doctorId } : { department, from, to },
  })

/**
 * Book a slot. `key` is the Idempotency-Key of this one booking: the page keeps it and sends it
 * again when the patient retries after a failure, so a retry never books twice.
 */
export const bookAppointment = (slot: SlotChoice, key: string) =>
  request<AppointmentReply>('POST', '/me/appointments', { data: slot, headers: idempotencyHeader(key) })

/** The patient's bookings, latest slot first (every status). */
export const getMyAppointments = () => request<Schemas['AppointmentsReply']>('GET', '/me/appointments')

/** Cancel one's booking before its slot starts; the place goes back to the slot. */
export const cancelAppointment = (appointmentId: string) =>
  request<AppointmentReply>('POST', '/me/appointments/{appointment_id}/cancel', { params: { appointment_id: appointmentId } })

/** Move one's booking to another slot: the old one is cancelled and the new one booked in one write. */
export const rescheduleAppointment = (appointmentId: string, slot: SlotChoice) =>
  request<RescheduleReply>('POST', '/me/appointments/{appointment_id}/reschedule', {
    params: { appointment_id: appointmentId }, data: slot,
  })

/** A slot a recall reminder holds for the patient until `held_until` (book it with bookAppointment). */
export type SlotOffer = Schemas['SlotOffer']

/** The slots recall reminders hold for the patient now (a reminder's link opens the booking page on one). */
export const getMySlotOffers = () => request<Schemas['SlotOffersReply']>('GET', '/me/slot-offers')
