"""The notify service: tells people and outside systems what happened, in their language."""
