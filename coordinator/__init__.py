"""ouen's application: disasters, needs, offers, dispatches, events, auth and the web API."""
