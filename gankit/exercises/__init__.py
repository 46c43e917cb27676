"""Visible checks for the course's exercises: one module per notebook, each check one call."""
