"""The school's terms: dates, the talk window, the written summary's school years, which
term is "this term" (current.py), the preparation questions per stage (questions.py, edited
in question_editing.py), opening a term (each pupil's plan for it) and closing it
(closing.py). Pages in controllers.py, JSON in api.py."""
