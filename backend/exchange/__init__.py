"""The open exchange format (DESIGN, "An open format"; docs/exchange.md): one pupil's whole
history as versioned JSON that another school reads without us."""
