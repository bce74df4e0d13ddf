"""Retention: what is past its period goes (`iup gallra`)."""
