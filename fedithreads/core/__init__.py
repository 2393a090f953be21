"""The words everything else speaks. Imports nothing of the package but errors.

records    neutral post and comment snapshots, whatever the dialect
schema     the five tables' columns and dtypes, declared once
rows       records → rows of the posts and comments tables
tree       one thread as a tree built from ``path``: pure, orphans marked, no I/O
treeshape  the nodes of every thread's tree at once, from parent links
treesums   the shape numbers of every thread at once, from those nodes
hosts      instance keys, base URLs, and the hosts of actor URLs
units      durations, and the clock, sleep and now that code takes as arguments
"""
