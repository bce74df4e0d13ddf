"""The roster: who is who at a school, imported from SS 12000 (or a CSV file)."""
