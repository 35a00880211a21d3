"""Shows: scheduling and the lifecycle scheduled → live → ended (or cancelled)."""
