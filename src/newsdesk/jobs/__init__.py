"""Work as jobs on a queue: refresh a source, process an article, rewrite a story, relink a story."""
