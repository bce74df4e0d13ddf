"""A school's settings, for its principal: which guardian relation types may read the plan
and sign, and how long its data is kept (issue 10)."""
