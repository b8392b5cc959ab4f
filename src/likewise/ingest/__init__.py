"""Sources that turn arXiv feeds, APIs, snapshots and BibTeX files into Paper objects."""
