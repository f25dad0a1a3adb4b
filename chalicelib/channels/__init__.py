"""Message channels: one small interface, one adapter each."""
