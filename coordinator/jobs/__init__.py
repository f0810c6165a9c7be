"""Background jobs run with the app (or apart with `ouen notify run`): reminders and the notification sender."""
