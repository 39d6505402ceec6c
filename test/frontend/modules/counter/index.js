// A module for the front-end server tests: counts a session's visits, says who served it.
export default function createModule(context) {
  return (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        visits: req.session.visits,
        pid: process.pid,
        provider: context.settings.provider,
        revision: context.settings.revision,
        marker: process.env.COUNTER_MARKER ?? 'v1',
      }),
    );
  };
}
