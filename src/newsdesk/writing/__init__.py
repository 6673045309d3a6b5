"""Writing a story: headline, standfirst and a sourced briefing, extractive by default."""
