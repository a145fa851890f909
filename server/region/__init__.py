"""One region, many halls: site servers that run alone and send their history to a centre.

- ``capture``: at a site, which records go up, and the triggers that note each change of them
  in the outbox, in commit order.
- ``uplink``: at a site, the loop that sends the outbox to the centre whenever a link exists,
  and takes the hall file the centre hands down.
- ``mirror``: at the centre, one store per site holding the site's records as the site has
  them (its own ids), and applying the site's batches to it, exactly once, in order.
- ``registry``: at the centre, the region's halls, their tokens and their hall files.
- ``api``: the routes of both ends; ``runtime``: what a server starts for its part.

See docs/region.md.
"""
