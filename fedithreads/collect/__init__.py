"""Collection over HTTP: from TARGET strings to part files, state and a run manifest.

    instances    --across HOSTS → the other instances to read threads from; home instances
    targets      TARGET strings → a post, a community, a user, an instance, or an ap_id
    seeds        seeds/*.toml → targets
    client       one polite HTTP client per run: pace, send, classify, retry
    connections  one httpx pool per host; a body read whole within the size cap
    tls          the certificate-verifying TLS context, built once (early, by the CLI)
    ratelimit    per-host token buckets and concurrency slots
    retry        which answers are retried, and how long to wait
    redact       tokens out of everything kept
    detect       which dialect a host speaks, from nodeinfo and /site
    guess        a host's first requests sent in a guessed dialect, kept if nodeinfo agrees
    firstask     a target's first ask on a host not yet detected, sent on the guess
    api          the read requests of each dialect, as one interface
    listing      a listing of posts newest first, cut to a target's window and max_posts
    person       a person's threads: their posts and the threads they commented in
    modlog       the moderation log of a community or an instance, over its window
    crawl        complete threads: flat pages, the page ceiling, subtrees, a verdict
    spool        a thread's pages spilled to disk on their way to its part file
    resume       the comment pages an interrupted attempt of the run fetched, to reuse
    batch        small finished threads, written together
    state        the lock and state.json: last-seen threads and servers, the run in progress
    ledger       the run's progress as threads finish, recorded once their rows are on disk
    thread       one thread's life in a run: skip it, or crawl it and write it
    views        the other instances' copies of a thread (--across): resolve, crawl
    outcome      what the run did: per-thread outcomes, the manifest, summary lines
    lists        the posts a listing target names (the run's and the dry run's)
    plan         collect --dry-run: the threads due and the requests they would take
    tasks        cancelling what a stopped run started, and waiting for it
    run          the run over all targets: the order of its steps

Never imports the replay server (that meeting is cli's).
"""
