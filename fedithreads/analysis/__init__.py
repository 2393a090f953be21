"""Records into tables, tables into metrics, in vectorised Polars.

frames     neutral records → the posts and comments snapshot tables
snapshots  the current row of each object, from one read and one sort
stats      thread_stats: one row per thread (every formula is in its docstring)
history    activity over time, and votes over collections
federation one thread across instances: its copies found by ap_id (``federate``)
coverage   the federation and comment_presence tables: which copy holds which comment
union      the union of a thread's copies by comment ap_id, and its thread_stats row
derived    the derived tables from one read (``analyze``)
parts      one instance's derived rows (and current tables, authors) at a time
listed     a data dir's table files listed once: each instance reads only its own
replies    who answers whom: each comment's parent and its author, the reply trees' nodes
authors    the authors table: one row per author and instance
pseudonyms every author replaced by a keyed hash (``--pseudonymise``)
pipeline   sources → snapshots → the tables, one thread's tree or its union: the order
           of steps behind analyze, show, export and report
"""
