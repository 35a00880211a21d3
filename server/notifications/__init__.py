"""In-app notifications, show reminders, e-mail delivery and calendar files."""
