"""The school's terms: dates, the talk window, the written summary's school years, the
preparation questions per stage, opening a term (each pupil's plan for it), and carrying
last term's unreached goals over."""
