"""Exports for other tools: today's contact lists (contacts)."""
