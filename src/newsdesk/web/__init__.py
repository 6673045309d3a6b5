"""The website and API: a thin shell over the Desk."""
