// Pages beyond the core ones: each module exports {key, path, label: {zh, en}, component} and, for a
// page only some roles use, `roles` (the nav shows it to them alone; the API refuses the others anyway).
// The component receives the current route; it may use html, useApi-style calls from ../api.js.
// The sections of a patient's page are listed in pages/patient.js (SECTIONS).
import { appointmentsPage, schedulePage } from "./appointments.js";
import audit from "./audit.js";
import challenges from "./challenges.js";
import { boardPage, rewardsPage, tasksPage } from "./engagement.js";
import experiments from "./experiments.js";
import packages from "./packages.js";
import recall from "./recall.js";
import risk from "./risk.js";
import segments from "./segments.js";
import staff from "./staff.js";
import clinics from "./clinics.js";
import settings from "./settings.js";

export const EXTRA_PAGES = [
  appointmentsPage, schedulePage,
  challenges, tasksPage, rewardsPage, boardPage,
  experiments,
  risk,
  segments,
  recall,
  packages,
  staff,
  clinics,
  settings,
  audit,
];
