"""Records into tables, tables into metrics, in vectorised Polars.

frames     neutral records → the posts and comments snapshot tables
snapshots  the current row of each object, from one read and one sort
stats      thread_stats: one row per thread (every formula is in its docstring)
history    activity over time, and votes over collections
derived    the three derived tables from one read (``analyze``)
pipeline   sources → snapshots → the five tables, or one thread's tree: the order
           of steps behind analyze, show, export and report
"""
