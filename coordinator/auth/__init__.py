"""People and permissions: users, password sign-in with session cookies, bearer API tokens."""
