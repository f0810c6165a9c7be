"""The realtime adapter: the event table as the hub's store, publishing after commit, the /api/v1/live route."""
