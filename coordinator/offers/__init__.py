"""Offers of people for a disaster, and the normal-time register of standing capacity."""
