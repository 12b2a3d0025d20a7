"""Appointment scheduling: availability, holds, bookings, their lifecycle and the waitlist."""
