"""Getting articles in: fetching URLs, parsing feeds, extracting pages."""
