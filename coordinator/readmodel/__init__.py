"""Read models: figures computed across domains (the people roll-up, the disaster summary); they read, never write."""
