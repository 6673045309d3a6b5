"""The bundled demo: an invented corpus published as feeds and pages by a local HTTP server."""
