"""A thread's tree from parent links, for reading it: no path is held.

``build_thread`` (fedithreads.core.tree) places each comment by its path, and its
records keep their paths: for a reply chain d deep, d²/2 labels (400 MB of text for a
10,000-deep chain with 7-digit ids). ``linked_thread`` makes the same tree from the nodes
``treeshape.build_nodes`` finds from parent links (placeholders from orphans' paths
only), for records that carry no path (``path`` is ``""``): a tree to render, not to
write out. The two give the same nodes, depths, orphans and order (a property test
holds them to it).
"""

from __future__ import annotations

from collections.abc import Sequence

from fedithreads.core.records import CommentRecord, PostRecord
from fedithreads.core.tree import Node, Thread, cycle_collector_paused, order_children
from fedithreads.core.treeshape import Nodes


@cycle_collector_paused()
def linked_thread(
    instance: str,
    post_id: int,
    post: PostRecord | None,
    records: Sequence[CommentRecord],
    nodes: Nodes,
) -> Thread:
    """The tree of one thread from its ``nodes`` (built over the rows ``records`` came
    from, in the same order: node row i is ``records[i]``)."""
    frame, count, roots = nodes.frame, nodes.comments, nodes.roots
    ids = frame["_id"].head(roots).to_list()
    parents = frame["_parent"].head(roots).to_list()
    depths = frame["_depth"].head(roots).to_list()
    thread = Thread(instance, post_id, post)
    for row in range(roots):
        up = parents[row]
        above = ids[up] if up is not None and up < roots else None
        orphan = row < count and up is not None and count <= up < roots
        record = records[row] if row < count else None
        thread.nodes[ids[row]] = Node(ids[row], above, depths[row], record, orphan)
    for row in range(roots):
        node = thread.nodes[ids[row]]
        siblings = thread.roots if node.parent_id is None else thread.nodes[node.parent_id].children
        siblings.append(node.comment_id)
    order_children(thread)
    return thread
