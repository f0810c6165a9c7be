"""Tests of the coordinator application."""
