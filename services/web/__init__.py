"""The web application: the pages employees, supervisors, HR and citizens use (docs/web.md)."""
