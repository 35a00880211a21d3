"""Show and store numbers: the live-event journal, viewer presence and samples, the
figures per show, store and platform, charts and CSV. The factory builds the journal
and the sampler and hands them what chat and checkout provide."""
