"""Tests against real server processes (uvicorn on a loopback port, file database)."""
