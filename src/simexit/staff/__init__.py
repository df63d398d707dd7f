"""Staff users of an operator's back office: agents, supervisors and admins, their passwords
(argon2), roles and whether they may still sign in."""
