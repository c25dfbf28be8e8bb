"""Who is asking: the session cookie, the CSRF token, and the two ways to sign in."""
