"""Anonymised outreach metrics: aggregates of the interaction log, small cells suppressed."""
