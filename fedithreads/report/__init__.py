"""The HTML report and PNG charts, and a thread as text, HTML or JSON for ``show``.

In the order of the one pass ``build`` runs (each step hands the next a finished value):

render     a thread as styled lines (no terminal), and as nested JSON-ready data
unionview  the union of a thread's copies the same ways (``show --union``)
fold       styled lines folded as a terminal of some width shows them
chartdata  the analysed tables aggregated and capped into chart frames (Polars)
pagedata   step 1: the tables cut per page, and every value a page shows
charts     chart frames → Vega-Lite specs (Altair); fedchart: the chart of a thread's copies
figures    step 2: which charts a page holds
pages      step 3: a page's values and figures laid out as blocks (blocks: their types)
html       step 4: blocks → an HTML document; the only module that escapes
write      step 5: documents and PNGs written to files, atomically
build      runs the steps, one page at a time; ``write_report``, ``thread_document``
"""
