"""Revisit: a patient-engagement CRM that raises clinics' revisit rates."""
