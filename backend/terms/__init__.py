"""The school's terms: dates, the talk window, the written summary's school years, the
preparation questions per stage, and opening a term (each pupil's plan for it)."""
