"""Schedules: cron and interval triggers, fired by delayed worker jobs."""
