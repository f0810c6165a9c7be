"""What waits for the signed-in person: one list gathered from small providers, one per domain."""
