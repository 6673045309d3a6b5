"""Publishing: what the site, feeds and API rank and find (plain functions and one in-memory index)."""
