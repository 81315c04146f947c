"""The nightly timetable (APScheduler). Empty until the scheduler lands."""
