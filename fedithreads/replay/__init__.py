"""A local Lemmy-compatible server replaying saved or synthetic threads, on 127.0.0.1 only.

For integration tests (real HTTP over loopback), ``fedithreads serve`` and ``demo``,
benchmarks and fault injection. It never imports the collector, nor the collector it.

index     DatasetIndex: the posts and comments served, by id, post and community
data      ReplayDataset: an index built from records, fixtures or synthetic threads, and
          changed between runs (replies, votes, edits, deletions, locked/removed posts)
mutations a seeded schedule of such changes, one step per interval between runs
arrivals  the record a reply arriving on the served instance becomes
order     listing sort orders as Lemmy's SQL computes them
select    which rows a listing returns, and how pages cut it
encode/   records → API documents as each dialect and version writes them
api/      each dialect's endpoints: one route table and parameter reader, three dialects
quirks    the switches: version behaviours, site settings, latency, limits, faults
limits    Lemmy's rate limiter, one token bucket per client IP
faults    what a flaky proxy, CDN or Lemmy itself sends
log       the request log, for tests
http      plain values: a request, a response, an API error, query parameters
wire      sockets and HTTP/1.1 in, requests and responses out
server    ReplayServer: lifecycle and the one request pipeline
serve     serve fixture directories: the dataset, dialect and version they hold
gaps      which comments each instance of a federation misses, whole reply trees at a time
copies    one discussion as each instance of a federation holds it: ids, counts, votes
federation ReplayFederation: N servers, each with its own copy of the same threads, with gaps
"""
