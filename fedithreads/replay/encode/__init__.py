"""Neutral records → API documents, as a server of each dialect and version writes them.

shapes     the shape table: which keys each dialect and version writes, in which order
context    every object's neutral context, with the facts records lack (local ids, flags)
documents  Encoder: whole responses (post, lists, site, errors), and v4's cursors
"""
