"""Practitioners (doctors): who they are, where they practise and when they work."""
