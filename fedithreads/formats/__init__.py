"""The analysed tables in the formats other research tools load.

convokit  ``export --format convokit``: a ConvoKit corpus directory
edges     ``export --format edges``: the reply and author graphs as edge lists and GraphML
graphml   a node and an edge frame as a GraphML file
write     which writer each format has
"""

FORMATS = ("convokit", "edges")
"""The research formats ``export --format`` offers beside the tables' own; named here,
without the writers, so that the CLI can list them before anything imports Polars."""
